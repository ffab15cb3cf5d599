#!/usr/bin/env node
// Runs the compiled test files (dist/**/*.spec.js) with node's built-in test runner.
// The timeout catches hangs; in Node 20 it also bounds each whole file, so it is generous.
// Usage: node test/run-tests.mjs [substring filter ...] (matched against the path under dist/, so a
// checkout directory whose name contains the filter does not select every file)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules' && name !== 'bench') walk(path);
    } else if (
      name.endsWith('.spec.js') &&
      (filters.length === 0 || filters.some((f) => relative(root, path).includes(f)))
    ) {
      files.push(path);
    }
  }
};
walk(root);
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
files.sort();
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=600000', ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
