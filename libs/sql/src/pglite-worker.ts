/**
 * The worker thread that runs PGlite (pglite-engine.ts) for pglite-client.ts. PGlite executes
 * SQL synchronously in WebAssembly; here that blocks this thread only, not the application's
 * event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openPgliteEngine } from './pglite-engine.js';
import {
  GONE,
  REPLIED,
  serializeError,
  type PgliteReply,
  type PgliteRequest,
  type PgliteWorkerData,
} from './pglite-protocol.js';

const port = parentPort!;
const { dataDir, syncPort, syncSignal } = workerData as PgliteWorkerData;
const signal = new Int32Array(syncSignal);
// A client waiting for a reply must not wait for a thread that is gone.
process.on('exit', () => {
  Atomics.store(signal, 0, GONE);
  Atomics.notify(signal, 0);
});

function send(reply: PgliteReply, sync = false): void {
  const to = sync ? syncPort : port;
  try {
    to.postMessage(reply);
  } catch (error) {
    // A value that cannot be cloned (should not happen with SQL results): report it rather than hang the caller.
    if ('notify' in reply) throw error;
    to.postMessage({ id: reply.id, ok: false, error: serializeError(error) } satisfies PgliteReply);
  }
  if (sync) {
    Atomics.store(signal, 0, REPLIED);
    Atomics.notify(signal, 0);
  }
}

const handle = await openPgliteEngine(dataDir, (listener, payload) => send({ notify: listener, payload }));

port.on('message', (request: PgliteRequest) => {
  const sync = 'sync' in request && request.sync === true;
  handle(request).then(
    (value) => send({ id: request.id, ok: true, value }, sync),
    (error) => send({ id: request.id, ok: false, error: serializeError(error) }, sync),
  );
});
// Ready: the client's first request may now be sent (requests posted earlier are queued anyway).
port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies PgliteReply);
