import { readFileSync } from 'node:fs';

/** `Coffer/<version>`: sent with every delivery so receivers can tell where it came from. */
export const USER_AGENT = `Coffer/${packageVersion()} (+webhooks)`;

function packageVersion(): string {
  // This file runs as dist/libs/webhooks/src/delivery/user-agent.js; package.json is at the root.
  for (const relative of ['../../../../../package.json', '../../../../package.json']) {
    try {
      const { name, version } = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (name === 'coffer' && version) return version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}
