import { Server, ServerCredentials } from '@grpc/grpc-js';
import { StreamsService, type ReadResp } from './proto.js';
import { InMemoryLog } from './log.js';
import { appendHandler } from './append-handler.js';
import { readHandler } from './read-handler.js';
import { emitCategoryLinks } from './category-links.js';

/** The Streams service definition, except that Read responses may also be pre-serialized Buffers. */
const withPreSerializedReads = {
  ...StreamsService,
  read: {
    ...StreamsService.read,
    responseSerialize: (message: ReadResp | Buffer): Buffer =>
      Buffer.isBuffer(message) ? message : StreamsService.read.responseSerialize(message),
  },
};

/**
 * The append-size limit of the EventStoreDB that docker/compose.yml runs
 * (EVENTSTORE_MAX_APPEND_SIZE); the server's own default is 1 MiB, which a single 1 MiB event
 * plus its metadata would exceed.
 */
export const DEFAULT_MAX_APPEND_SIZE = 8 * 1024 * 1024;

export interface EsdbDoubleOptions {
  maxAppendSize?: number;
  /** Write `$by_category`-style link events after user events (default true); see category-links.ts. */
  categoryLinks?: boolean;
}

export interface EsdbDouble {
  /** esdb:// connection string for @eventstore/db-client (insecure, single node). */
  connectionString: string;
  stop(): Promise<void>;
}

/**
 * Starts an in-process test double of EventStoreDB's gRPC Streams service on 127.0.0.1 with a
 * free port. It is not EventStoreDB: see README.md in this folder for what it does and does not
 * do. Only the Streams service is registered; in particular ServerFeatures is absent, so the
 * client falls back to the classic Append call.
 */
export async function startEsdbDouble(options: EsdbDoubleOptions = {}): Promise<EsdbDouble> {
  const log = new InMemoryLog();
  const stopLinks = options.categoryLinks === false ? () => {} : emitCategoryLinks(log);
  const server = new Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  server.addService(withPreSerializedReads, {
    read: readHandler(log),
    append: appendHandler(log, options.maxAppendSize ?? DEFAULT_MAX_APPEND_SIZE),
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
  return {
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    async stop() {
      stopLinks();
      // Live subscriptions never finish on their own, so a graceful shutdown would wait forever.
      server.forceShutdown();
    },
  };
}
