import type {
  ChargeSettled,
  PaymentCaptured,
  RefundCanceled,
  RefundCreated,
  RefundFailed,
} from '#libs/payments/src/domain/payment-intent.events';
import { balanceTransaction, type BalanceTransactionObject } from './balance-transaction.js';
import { derivedBalanceTransactionId, ledgerEntryId } from './derived-id.js';
import { emptyIntentLedger, type FundsLocation, type IntentLedger } from './intent-ledger.js';
import { balancedEntry, type LedgerEntry, type MovementKind, type Posting } from './ledger-entry.js';

/** The contract events that move money (payment-intent.events.ts). Authorizations and voids move none. */
export const LEDGER_EVENT_TYPES = [
  'PaymentCaptured',
  'ChargeSettled',
  'RefundCreated',
  'RefundFailed',
  'RefundCanceled',
] as const;
const LEDGER_TYPES: ReadonlySet<string> = new Set(LEDGER_EVENT_TYPES);
export const movesMoney = (type: string): boolean => LEDGER_TYPES.has(type);

/** A domain event as the ledger needs it: its id (for derived ids), type, data and owner. */
export interface LedgerFact {
  eventId: string;
  type: string;
  data: unknown;
  accountId: string;
  livemode: boolean;
}

export interface LedgerMovement {
  /** Balanced entries (ENTRY_BALANCED checked as each is built). */
  entries: LedgerEntry[];
  /** New Stripe balance transactions. */
  created: BalanceTransactionObject[];
  /** Existing balance transactions whose funds became available (status pending → available). */
  madeAvailable: string[];
}

const NOTHING: LedgerMovement = { entries: [], created: [], madeAvailable: [] };

/**
 * The ledger's one rule book, pure: a domain event and the PaymentIntent's ledger so far →
 * the money it moves and the ledger after it. Facts that reference nothing the ledger knows
 * (a settlement of an uncaptured charge, a second capture of one charge) move nothing here;
 * checkLedgerInvariants reports them from the log.
 */
export function applyLedgerFact(
  state: IntentLedger | null,
  fact: LedgerFact,
): { state: IntentLedger | null; movement: LedgerMovement } {
  switch (fact.type) {
    case 'PaymentCaptured':
      return capture(state, fact, fact.data as PaymentCaptured['data']);
    case 'ChargeSettled':
      return settle(state, fact, fact.data as ChargeSettled['data']);
    case 'RefundCreated':
      return refund(state, fact, fact.data as RefundCreated['data']);
    case 'RefundFailed':
    case 'RefundCanceled':
      return returnRefund(state, fact, fact.data as (RefundFailed | RefundCanceled)['data']);
    default:
      return { state, movement: NOTHING };
  }
}

function entry(
  fact: LedgerFact,
  kind: MovementKind,
  paymentIntent: string,
  source: string,
  balanceTransaction: string | null,
  at: number,
  postings: Posting[],
): LedgerEntry {
  return balancedEntry({
    id: ledgerEntryId(fact.eventId),
    accountId: fact.accountId,
    livemode: fact.livemode,
    kind,
    paymentIntent,
    source,
    balanceTransaction,
    at,
    postings,
  });
}

/** Capture: the gross amount comes from the network; the net goes to pending, the fee to Coffer. */
function capture(state: IntentLedger | null, fact: LedgerFact, data: PaymentCaptured['data']) {
  const ledger = state ?? emptyIntentLedger(data.id);
  if (ledger.charges[data.chargeId] || data.amount <= 0) return { state, movement: NOTHING };
  const { currency, amount, fee } = data;
  const net = amount - fee;
  const move = entry(fact, 'capture', data.id, data.chargeId, data.balanceTransaction, data.at, [
    { account: 'card_network', currency, amount: -amount },
    { account: 'merchant_pending', currency, amount: net },
    { account: 'coffer_fees', currency, amount: fee },
  ]);
  const txn = balanceTransaction({
    id: data.balanceTransaction,
    type: 'charge',
    amount,
    fee,
    currency,
    created: data.at,
    availableOn: data.availableOn,
    status: 'pending',
    source: data.chargeId,
    description: null,
  });
  const next: IntentLedger = {
    ...ledger,
    charges: {
      ...ledger.charges,
      [data.chargeId]: {
        currency,
        amount,
        fee,
        balanceTransaction: data.balanceTransaction,
        availableOn: data.availableOn,
        settled: false,
        pending: net,
        pendingTransactions: [data.balanceTransaction],
      },
    },
  };
  return { state: next, movement: { entries: [move], created: [txn], madeAvailable: [] } };
}

/**
 * Settlement: whatever of the charge is still pending (its net, less reversals) becomes
 * available, and every balance transaction waiting on it flips to available.
 */
function settle(state: IntentLedger | null, fact: LedgerFact, data: ChargeSettled['data']) {
  const charge = state?.charges[data.chargeId];
  if (!state || !charge || charge.settled) return { state, movement: NOTHING };
  const entries =
    charge.pending === 0
      ? []
      : [
          entry(fact, 'settlement', data.id, data.chargeId, null, data.at, [
            { account: 'merchant_pending', currency: charge.currency, amount: -charge.pending },
            { account: 'merchant_available', currency: charge.currency, amount: charge.pending },
          ]),
        ];
  const next: IntentLedger = {
    ...state,
    charges: {
      ...state.charges,
      [data.chargeId]: { ...charge, settled: true, pending: 0, pendingTransactions: [] },
    },
  };
  return { state: next, movement: { entries, created: [], madeAvailable: charge.pendingTransactions } };
}

/**
 * Refund or reversal: the amount goes back to the network from where the charge's funds are —
 * pending before the charge settles (a reversal), available after (a refund). The fee is not
 * returned. The refund's `operation` says the same thing in a consistent log; where it does not,
 * the ledger follows the funds and checkLedgerInvariants reports the refund.
 */
function refund(state: IntentLedger | null, fact: LedgerFact, data: RefundCreated['data']) {
  const charge = state?.charges[data.chargeId];
  if (!state || !charge || state.refunds[data.refundId] || data.amount <= 0)
    return { state, movement: NOTHING };
  const from: FundsLocation = charge.settled ? 'merchant_available' : 'merchant_pending';
  const move = entry(
    fact,
    from === 'merchant_pending' ? 'reversal' : 'refund',
    data.id,
    data.refundId,
    data.balanceTransaction,
    data.at,
    [
      { account: from, currency: charge.currency, amount: -data.amount },
      { account: 'card_network', currency: charge.currency, amount: data.amount },
    ],
  );
  const inPending = from === 'merchant_pending';
  const txn = balanceTransaction({
    id: data.balanceTransaction,
    type: 'refund',
    amount: -data.amount,
    fee: 0,
    currency: charge.currency,
    created: data.at,
    availableOn: inPending ? charge.availableOn : data.at,
    status: inPending ? 'pending' : 'available',
    source: data.refundId,
    description: 'REFUND FOR CHARGE',
  });
  const next: IntentLedger = {
    ...state,
    charges: inPending
      ? {
          ...state.charges,
          [data.chargeId]: {
            ...charge,
            pending: charge.pending - data.amount,
            pendingTransactions: [...charge.pendingTransactions, txn.id],
          },
        }
      : state.charges,
    refunds: {
      ...state.refunds,
      [data.refundId]: {
        chargeId: data.chargeId,
        amount: data.amount,
        currency: charge.currency,
        from,
        balanceTransaction: data.balanceTransaction,
        returned: false,
      },
    },
  };
  return { state: next, movement: { entries: [move], created: [txn], madeAvailable: [] } };
}

/**
 * A refund that failed or was canceled: its entry is reversed — the network pays the amount
 * back, into pending while the charge is unsettled, into available after.
 */
function returnRefund(
  state: IntentLedger | null,
  fact: LedgerFact,
  data: (RefundFailed | RefundCanceled)['data'],
) {
  const refunded = state?.refunds[data.refundId];
  const charge = refunded && state?.charges[refunded.chargeId];
  if (!state || !refunded || !charge || refunded.returned) return { state, movement: NOTHING };
  const to: FundsLocation = charge.settled ? 'merchant_available' : 'merchant_pending';
  const txnId = derivedBalanceTransactionId(fact.eventId);
  const move = entry(fact, 'refund_return', data.id, data.refundId, txnId, data.at, [
    { account: 'card_network', currency: charge.currency, amount: -refunded.amount },
    { account: to, currency: charge.currency, amount: refunded.amount },
  ]);
  const inPending = to === 'merchant_pending';
  const txn = balanceTransaction({
    id: txnId,
    type: 'refund_failure',
    amount: refunded.amount,
    fee: 0,
    currency: charge.currency,
    created: data.at,
    availableOn: inPending ? charge.availableOn : data.at,
    status: inPending ? 'pending' : 'available',
    source: data.refundId,
    description: fact.type === 'RefundCanceled' ? 'REFUND CANCELED' : 'REFUND FAILURE',
  });
  const next: IntentLedger = {
    ...state,
    charges: inPending
      ? {
          ...state.charges,
          [refunded.chargeId]: {
            ...charge,
            pending: charge.pending + refunded.amount,
            pendingTransactions: [...charge.pendingTransactions, txnId],
          },
        }
      : state.charges,
    refunds: { ...state.refunds, [data.refundId]: { ...refunded, returned: true } },
  };
  return { state: next, movement: { entries: [move], created: [txn], madeAvailable: [] } };
}
