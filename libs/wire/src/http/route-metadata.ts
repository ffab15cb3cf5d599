import { HttpCode, Post, SetMetadata, applyDecorators } from '@nestjs/common';
import type { AccessLevel, ResourceGroup } from './principal.js';

export const ACCESS_METADATA = 'coffer:access';
export const PUBLIC_METADATA = 'coffer:public';

export interface AccessRule {
  group: ResourceGroup;
  access: AccessLevel;
  /** Publishable keys may call this route (what a browser needs: PaymentMethod create, …). */
  publishable?: boolean;
}

/** The resource group and level a route needs; routes without it are secret-key only. */
export const Access = (group: ResourceGroup, access: AccessLevel, options: { publishable?: boolean } = {}) =>
  SetMetadata(ACCESS_METADATA, { group, access, ...options } satisfies AccessRule);

/** No API key needed (health checks). */
export const Public = () => SetMetadata(PUBLIC_METADATA, true);

/** Stripe answers every successful POST with 200 (Nest's default for POST is 201). */
export const StripePost = (path?: string) => applyDecorators(Post(path), HttpCode(200));
