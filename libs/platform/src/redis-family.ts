/**
 * The Redis connection Coffer opens and every duplicate made of it, recursively: BullMQ gives
 * each Worker two duplicates of the connection it is passed (its commands and its blocking
 * BZPOPMIN), and the webhook worker duplicates it for its own pipelined connection. Closing the
 * family ends all of them and keeps them ended.
 *
 * "Keeps": BullMQ (6.7) reconnects a worker's blocking connection from inside its fetch loop
 * when a blocking read outlived its watchdog, which is what happens while Redis is away. That
 * loop keeps running while Worker.close() waits, and after the close has given up (see
 * close-bullmq.ts) it can call connect() on a client that was already disconnected. The client
 * then dialled Redis again — or, Redis being gone, retried forever — and the process never
 * exited. Once the family is sealed, connect() on any member (ioredis' own retry timer goes
 * through it too) is refused with ioredis' "Connection is closed." error, which BullMQ treats
 * as a connection error and does not report.
 */
import type { Redis } from 'ioredis';

const CONNECTION_CLOSED = 'Connection is closed.';

class RedisFamily {
  readonly members = new Set<Redis>();
  sealed = false;

  adopt(client: Redis): void {
    this.members.add(client);
    const duplicate = client.duplicate.bind(client);
    client.duplicate = (override) => {
      const copy = duplicate(override);
      this.adopt(copy);
      return copy;
    };
    const connect = client.connect.bind(client);
    client.connect = (callback) =>
      this.sealed ? Promise.reject(new Error(CONNECTION_CLOSED)) : connect(callback);
  }
}

const families = new WeakMap<Redis, RedisFamily>();

/** From now on, `root` and every duplicate made of it (and of those) belong to one family. */
export function trackDuplicates(root: Redis): void {
  const family = new RedisFamily();
  family.adopt(root);
  families.set(root, family);
}

/** No member of `root`'s family may connect again. Returns the members, `root` included. */
export function sealFamily(root: Redis): ReadonlySet<Redis> {
  const family = families.get(root);
  if (!family) return new Set([root]);
  family.sealed = true;
  return family.members;
}

/** The clients of `root`'s family, `root` included (tests check that all of them ended). */
export function familyOf(root: Redis): ReadonlySet<Redis> {
  return families.get(root)?.members ?? new Set([root]);
}
