import { Inject, Injectable } from '@nestjs/common';
import { cardFingerprint } from './card-fingerprint.js';

/** Provider token of the fingerprint key (a Buffer; see fingerprint-key.ts). */
export const CARD_FINGERPRINT_KEY = Symbol('CARD_FINGERPRINT_KEY');

@Injectable()
export class CardFingerprinter {
  constructor(@Inject(CARD_FINGERPRINT_KEY) private readonly key: Buffer) {}

  fingerprint(accountId: string, digits: string): string {
    return cardFingerprint(this.key, accountId, digits);
  }
}
