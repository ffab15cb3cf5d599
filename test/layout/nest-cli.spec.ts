/**
 * nest-cli.json describes the monorepo (apps and libs); this keeps it in step with the folders,
 * so a new library is declared where Nest tooling looks for it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../../../', import.meta.url).pathname;

interface Project {
  type: 'application' | 'library';
  root: string;
  sourceRoot: string;
}

const folders = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((name) => statSync(join(ROOT, dir, name)).isDirectory())
    .sort();

describe('nest-cli.json', () => {
  const config = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')) as {
    monorepo: boolean;
    compilerOptions: { builder: string };
    projects: Record<string, Project>;
  };
  const names = (type: Project['type']) =>
    Object.entries(config.projects)
      .filter(([, project]) => project.type === type)
      .map(([name]) => name)
      .sort();

  it('is a monorepo built with tsc', () => {
    assert.equal(config.monorepo, true);
    assert.equal(config.compilerOptions.builder, 'tsc');
  });

  it('declares every app under apps/ and every library under libs/', () => {
    assert.deepEqual(names('application'), folders('apps'));
    assert.deepEqual(names('library'), folders('libs'));
  });

  it('points each project at its folder', () => {
    for (const [name, project] of Object.entries(config.projects)) {
      const base = project.type === 'application' ? 'apps' : 'libs';
      assert.equal(project.root, `${base}/${name}`);
      assert.equal(project.sourceRoot, `${base}/${name}/src`);
    }
  });
});
