/**
 * The worker role alone (projectors, webhook delivery, schedulers), without HTTP. Needs the
 * read side on PostgreSQL (DATABASE_URL), since an api process elsewhere shares it.
 */
import { ConfigError, loadConfig } from '#libs/config/src/config';
import { run } from '../../api/src/run.js';

await run(() => {
  const role = process.env.ROLE?.trim();
  if (role && role !== 'worker') {
    throw new ConfigError(
      `apps/worker runs ROLE=worker only, got ROLE=${role}; unset ROLE or start apps/api`,
    );
  }
  return loadConfig({ ...process.env, ROLE: 'worker' });
});
