/**
 * Dependency-injection tokens for the swappable infrastructure. Adapters are chosen by
 * configuration at start-up and provided under these tokens (see platform.module.ts).
 */
/** EventStore (libs/event-store/src/port.ts). */
export const EVENT_STORE = Symbol('EVENT_STORE');
/** SqlClient holding the read models and projector checkpoints (libs/sql/src/sql-client.ts). */
export const READ_SQL = Symbol('READ_SQL');
/**
 * SqlClient the projector runners write through: the same database as READ_SQL, on PostgreSQL
 * its own small pool, so a batch that every waiting request needs never queues behind the
 * requests' own statements for a pooled connection (READ_SQL itself where there is one
 * connection: PGlite).
 */
export const PROJECTOR_SQL = Symbol('PROJECTOR_SQL');
/** ioredis client for idempotency records and BullMQ (workers duplicate it). */
export const REDIS = Symbol('REDIS');
/** Parsed, validated configuration (libs/config/src/config.ts). */
export const APP_CONFIG = Symbol('APP_CONFIG');
/** pino root logger. */
export const LOGGER = Symbol('LOGGER');
/** Clock: () => Date. Injected so tests and test clocks can control time. */
export const CLOCK = Symbol('CLOCK');
