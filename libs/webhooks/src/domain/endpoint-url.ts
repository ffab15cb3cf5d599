import { DomainError } from '#libs/kernel/src/domain-error';

/** Stripe's limit on a webhook endpoint URL. */
export const MAX_URL_LENGTH = 5000;

/**
 * The URL rules that need no network: an absolute http(s) URL with a host, https in live mode.
 * Whether the host resolves to a public address (live mode) is checked by the SSRF guard at
 * creation and again at every delivery (delivery/ssrf-guard.ts).
 */
export function validateEndpointUrl(raw: string, livemode: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidUrl(
      `Invalid URL: ${raw.slice(0, 200)}. URLs must be absolute, e.g. https://example.com/webhook.`,
    );
  }
  if (raw.length > MAX_URL_LENGTH)
    throw invalidUrl(`Invalid URL: must be at most ${MAX_URL_LENGTH} characters.`);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalidUrl('Invalid URL: the scheme must be https (or http in test mode).');
  if (livemode && url.protocol !== 'https:')
    throw invalidUrl('Invalid URL: live mode webhook endpoints must use https.');
  if (url.hostname === '') throw invalidUrl('Invalid URL: a host name is required.');
  return raw;
}

export function invalidUrl(message: string): DomainError {
  return new DomainError('invalid', 'url_invalid', message, { param: 'url' });
}
