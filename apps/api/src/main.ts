/**
 * `npm start`: Coffer with the role from ROLE (default `all`: HTTP API and workers in one
 * process). Configuration comes from the environment; see README.md.
 */
import { loadConfig } from '#libs/config/src/config';
import { run } from './run.js';

await run(() => loadConfig());
