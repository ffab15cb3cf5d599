import { STRIPE_API_VERSION } from '#libs/events/src/api-version';
import { DomainError } from '#libs/kernel/src/domain-error';

/**
 * An endpoint's `api_version`. At Stripe it picks the version its events are rendered in, and
 * an unknown version is refused at creation (400 on `api_version`). Coffer serves exactly one
 * API version: every payload is rendered in it, so that is the only version an endpoint may
 * ask for. Leaving it out (null, "the account's version") is the same version.
 */
export function validateApiVersion(apiVersion: string | null): string | null {
  if (apiVersion === null || apiVersion === STRIPE_API_VERSION) return apiVersion;
  throw new DomainError(
    'invalid',
    'parameter_invalid',
    `Invalid api_version: ${apiVersion.slice(0, 100)}. Coffer serves one API version, ${STRIPE_API_VERSION}, ` +
      'and renders every webhook payload in it: pass that version or leave api_version out.',
    { param: 'api_version' },
  );
}
