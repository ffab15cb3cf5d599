/** Who is calling: resolved from the API key by the accounts module. */
export interface Principal {
  accountId: string;
  livemode: boolean;
  keyId: string;
  kind: 'secret' | 'publishable' | 'restricted';
}

/** Resource groups a restricted key's scopes name, and what each route needs. */
export type ResourceGroup = 'customers' | 'events' | 'payments' | 'billing' | 'webhooks';
export type AccessLevel = 'read' | 'write';

export const PRINCIPAL_RESOLVER = Symbol('PRINCIPAL_RESOLVER');

export interface PrincipalResolver {
  /** The principal a raw API key stands for, or null when the key is unknown, expired or revoked. */
  resolve(rawKey: string, now: Date): Promise<Principal | null>;
  /** For a key resolve() refused: is it a real key past its expiry (a rolled key)? */
  isExpired(rawKey: string, now: Date): Promise<boolean>;
  /** May this principal use a route of this group at this level? (secret keys: always). */
  allows(principal: Principal, group: ResourceGroup, access: AccessLevel): boolean;
}
