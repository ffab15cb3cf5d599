import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isForbiddenAddress, resolvePublicAddresses, type Resolver, systemResolver } from './ssrf-guard.js';

/** How much of a receiver's response body is kept with the attempt. */
export const RESPONSE_HEAD_BYTES = 1024;
/** Past this much response body the connection is dropped rather than drained for reuse. */
const MAX_DRAIN_BYTES = 64 * 1024;

export interface SendRequest {
  url: string;
  body: string | Buffer;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Live mode: resolve the host and refuse private addresses, connecting only to checked ones. */
  publicOnly: boolean;
}

export interface SendResult {
  statusCode: number | null;
  /** Milliseconds from the start of the request to the end of the response (or the failure). */
  latencyMs: number;
  /** Network failure, timeout or refused target; null when an HTTP response arrived. */
  error: string | null;
  /** At most RESPONSE_HEAD_BYTES of the response body, as text. */
  responseHead: string;
}

/**
 * POSTs one webhook. Redirects are not followed (a 3xx is a failed attempt, as at Stripe),
 * the whole exchange is bounded by `timeoutMs`, and connections are kept alive per origin so
 * a busy endpoint does not pay a TCP handshake per event.
 */
export class HttpSender {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 }),
  };

  constructor(private readonly resolver: Resolver = systemResolver) {}

  send(request: SendRequest): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (result: Omit<SendResult, 'latencyMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...result, latencyMs: elapsed() });
      };
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        finish({ statusCode: null, error: 'invalid URL', responseHead: '' });
        return;
      }
      // Sockets do not call `lookup` for IP literals: check those here.
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (request.publicOnly && isIP(host) && isForbiddenAddress(host)) {
        finish({
          statusCode: null,
          error: `refused: ${host} is a private, loopback, link-local or reserved address`,
          responseHead: '',
        });
        return;
      }
      const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
      const transport = protocol === 'https:' ? https : http;
      const req = transport.request(url, {
        method: 'POST',
        agent: this.agents[protocol],
        headers: { ...request.headers, 'Content-Length': Buffer.byteLength(request.body).toString() },
        ...(request.publicOnly ? { lookup: this.guardedLookup() } : {}),
      });
      timer = setTimeout(() => {
        req.destroy();
        finish({ statusCode: null, error: `timed out after ${request.timeoutMs} ms`, responseHead: '' });
      }, request.timeoutMs);
      req.on('error', (error) => finish({ statusCode: null, error: describeError(error), responseHead: '' }));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let seen = 0;
        const done = () =>
          finish({
            statusCode: res.statusCode ?? null,
            error: null,
            responseHead: Buffer.concat(chunks).toString('utf8'),
          });
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (kept < RESPONSE_HEAD_BYTES) {
            const part = chunk.subarray(0, RESPONSE_HEAD_BYTES - kept);
            chunks.push(part);
            kept += part.length;
          }
          if (seen > MAX_DRAIN_BYTES) {
            done();
            res.destroy();
          }
        });
        res.on('end', done);
        res.on('error', done);
        res.on('close', done);
      });
      req.end(request.body);
    });
  }

  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }

  /** A `lookup` for the socket that resolves, checks every address and hands back only checked ones. */
  private guardedLookup(): LookupFunction {
    return (hostname, options, callback) => {
      resolvePublicAddresses(hostname, this.resolver).then(
        (addresses) => {
          const wanted =
            options.family === 4 || options.family === 6
              ? addresses.filter((a) => a.family === options.family)
              : addresses;
          const usable = wanted.length > 0 ? wanted : addresses;
          if (options.all) (callback as unknown as (e: null, a: typeof usable) => void)(null, usable);
          else callback(null, usable[0]!.address, usable[0]!.family);
        },
        (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
      );
    };
  }
}

function describeError(error: Error & { code?: string }): string {
  if (error.name === 'ForbiddenTargetError') return `refused: ${error.message}`;
  return error.code ? `${error.code}: ${error.message}` : error.message;
}
