/**
 * The root pino logger: one JSON object per line on stdout, ISO timestamps, level names,
 * and secrets scrubbed (see redaction.ts) from logged objects, child bindings and the final
 * line. Everything that logs (Nest, Fastify requests, workers) goes through it.
 */
import { pino, stdTimeFunctions, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { scrubLine, scrubSecrets } from './redaction.js';

export type { Logger } from 'pino';

export interface LoggerSettings {
  level: string;
  /** Where lines go; stdout when omitted. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name: 'coffer',
    level: settings.level,
    timestamp: stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => scrubSecrets(object),
    },
    hooks: {
      streamWrite: scrubLine,
    },
  };
  const logger = settings.destination === undefined ? pino(options) : pino(options, settings.destination);
  // pino skips formatters for child bindings, so scrub them on the way in. Children inherit
  // this method through their prototype chain, so grandchildren are covered too.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, scrubSecrets(bindings), childOptions);
  } as Logger['child'];
  return logger;
}
