/**
 * Process wrapper shared by the api and worker entry points: load the configuration, start
 * Coffer, log where it listens, and shut down gracefully on SIGTERM/SIGINT.
 *
 * Start-up failures an operator can fix (bad configuration, an unreachable service) print ONE
 * line on stderr, `coffer: <what and how to fix>`, and exit 1. Unexpected errors print one
 * line too; LOG_LEVEL=debug adds the stack trace.
 */
import { ConfigError, type AppConfig } from '#libs/config/src/config';
import { describeUrl } from '#libs/config/src/describe-url';
import { createLogger } from '#libs/observability/src/logger';
import { describeCause } from '#libs/platform/src/reachability';
import { UnavailableError } from '#libs/platform/src/unavailable-error';
import { startCoffer, type CofferHandle } from './bootstrap.js';

/** After the grace period, shutdown hooks and store closes get this long before the process gives up. */
const SHUTDOWN_HARD_LIMIT_EXTRA_MS = 15_000;

export async function run(load: () => AppConfig): Promise<void> {
  let config: AppConfig;
  try {
    config = load();
  } catch (error) {
    return fail(error, process.env.LOG_LEVEL);
  }
  const logger = createLogger({ level: config.logLevel });
  // Node prints process warnings (deprecations, library warnings) as plain text on stderr;
  // log them as JSON with everything else instead.
  process.removeAllListeners('warning');
  process.on('warning', (warning) =>
    logger.warn(
      { warning: { name: warning.name, code: (warning as { code?: string }).code } },
      warning.message,
    ),
  );
  let coffer: CofferHandle;
  try {
    coffer = await startCoffer(config, { logger });
  } catch (error) {
    return fail(error, config.logLevel);
  }

  logger.info(
    {
      url: coffer.url,
      role: config.role,
      eventStore: config.eventStore,
      readModels:
        config.readSide.kind === 'postgres' ? describeUrl(config.readSide.url) : config.readSide.kind,
      dataDir: config.readSide.kind === 'pglite' ? config.dataDir : undefined,
    },
    coffer.url === undefined ? 'Coffer worker started' : `Coffer listening on ${coffer.url}`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal during shutdown; exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, config.shutdownGraceMs + SHUTDOWN_HARD_LIMIT_EXTRA_MS).unref();
    coffer.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function fail(error: unknown, logLevel: string | undefined): never {
  const known = error instanceof ConfigError || error instanceof UnavailableError;
  const line = known ? (error as Error).message : `start-up failed: ${describeCause(error)}`;
  process.stderr.write(`coffer: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
  if (!known && (logLevel === 'debug' || logLevel === 'trace') && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  process.exit(1);
}
