/**
 * The one place Coffer is composed: open the infrastructure the configuration names, build
 * the Nest application for the role (api: HTTP on Fastify; worker: no HTTP; all: both in one
 * process), and return a handle whose close() shuts down in order:
 *   1. stop accepting connections and let in-flight requests finish (bounded by
 *      SHUTDOWN_GRACE_MS; then remaining connections are cut),
 *   2. Nest shutdown hooks: workers and projectors stop (OnApplicationShutdown),
 *   3. event store, SQL and Redis close.
 * main.ts (npm start), apps/worker and the tests all start Coffer through startCoffer().
 */
import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type DynamicModule, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import type { AppConfig } from '#libs/config/src/config';
import { requireWebhookSecretKey } from '#libs/config/src/webhooks-config';
import { createLogger } from '#libs/observability/src/logger';
import { NestPinoLogger } from '#libs/observability/src/nest-logger';
import { openInfrastructure, type Infrastructure } from '#libs/platform/src/infrastructure';
import { PlatformModule } from '#libs/platform/src/platform.module';
import type { Clock } from '#libs/platform/src/clock';
import { WorkerModule } from '../../worker/src/worker.module.js';
import { ProjectionsModule } from '#libs/projections/src/projections.module';
import { ALL_PROJECTORS } from '#libs/read-models/src/projectors';
import { installStripeHttp } from '#libs/wire/src/http/fastify-stripe';
import { ApiModule } from './api.module.js';
import { seedDevelopmentAccount } from './development-keys.js';
import { installRequestHooks, type ShutdownState } from './request-hooks.js';
import { newRequestId } from './request-id.js';

export interface StartOptions {
  /** Root logger; one is created from config.logLevel when omitted. */
  logger?: Logger;
  /** Extra modules to mount next to the role modules (tests mount probes here). */
  imports?: Array<Type<unknown> | DynamicModule>;
  /** Bound on each connect-and-ping at start-up. */
  connectTimeoutMs?: number;
  /** Replaces the system clock (tests that move time, e.g. to make a settlement date pass). */
  clock?: Clock;
}

export interface CofferHandle {
  config: AppConfig;
  logger: Logger;
  infra: Infrastructure;
  /** The Nest application (an HTTP application unless role is worker). */
  app: INestApplicationContext;
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:4242; undefined for ROLE=worker. */
  url: string | undefined;
  /** Graceful shutdown; idempotent. */
  close(): Promise<void>;
}

@Module({})
class CofferModule {}

export async function startCoffer(config: AppConfig, options: StartOptions = {}): Promise<CofferHandle> {
  // Server-only settings (the CLI shares loadConfig): refused before anything is opened.
  requireWebhookSecretKey(config);
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const infra = await openInfrastructure(config, logger, { connectTimeoutMs: options.connectTimeoutMs });
  try {
    const root: DynamicModule = {
      module: CofferModule,
      imports: [
        PlatformModule.forRoot(infra, config, logger, { clock: options.clock }),
        ProjectionsModule.forRoot({ projectors: ALL_PROJECTORS, runProjectors: config.role !== 'api' }),
        ...(config.role === 'worker' ? [] : [ApiModule]),
        ...(config.role === 'api' ? [] : [WorkerModule]),
        ...(options.imports ?? []),
      ],
    };
    const nestOptions = { logger: new NestPinoLogger(logger), abortOnError: false };
    if (config.role === 'worker') {
      const app = await NestFactory.createApplicationContext(root, nestOptions);
      await app.init();
      return handle(config, logger, infra, app, {});
    }
    const adapter = new FastifyAdapter({ logger: false, genReqId: () => newRequestId() });
    const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
      ...nestOptions,
      bodyParser: false,
    });
    const shutdown = { shuttingDown: false };
    installRequestHooks(app.getHttpAdapter().getInstance(), logger, shutdown);
    installStripeHttp(app.getHttpAdapter().getInstance());
    // Seed before accepting requests: a first request with the key must not be refused.
    await app.init();
    await seedDevelopmentAccount(app, config, logger);
    await app.listen(config.port, config.host);
    const server = app.getHttpServer() as Server;
    const url = `http://${displayHost(config.host)}:${(server.address() as AddressInfo).port}`;
    return handle(config, logger, infra, app, { url, server, shutdown });
  } catch (error) {
    await infra.close();
    throw error;
  }
}

function handle(
  config: AppConfig,
  logger: Logger,
  infra: Infrastructure,
  app: INestApplicationContext,
  http: { url?: string; server?: Server; shutdown?: ShutdownState },
): CofferHandle {
  const { url, server, shutdown } = http;
  let closing: Promise<void> | undefined;
  const close = async () => {
    if (shutdown) shutdown.shuttingDown = true;
    // In-flight requests get the grace period; after it, their connections are cut so the
    // shutdown hooks and the store closes still run.
    const grace = setTimeout(() => {
      logger.warn(
        { graceMs: config.shutdownGraceMs },
        'shutdown grace period over; closing open connections',
      );
      server?.closeAllConnections();
    }, config.shutdownGraceMs);
    grace.unref();
    try {
      await app.close();
    } finally {
      clearTimeout(grace);
      await infra.close();
    }
  };
  return { config, logger, infra, app, url, close: () => (closing ??= close()) };
}

/** A host a client can dial: wildcard binds are reached on loopback. */
function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
