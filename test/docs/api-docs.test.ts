// The API reference builds from the doc comments: typedoc over every entry point of the package,
// with the guides as project documents, every export documented and every {@link} resolved (its
// warnings are errors), into a temporary folder; the pages of a few exports are checked.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, '.tmp', 'api-docs');

describe('API reference', () => {
  afterAll(() => {
    rmSync(OUT, { recursive: true, force: true });
  });

  it('builds with every export documented and every link resolved', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', OUT], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/\[warning\]|\[error\]/);
    expect(run.status).toBe(0);
    expect(existsSync(join(OUT, 'index.html'))).toBe(true);
    const model = readFileSync(join(OUT, 'classes', 'index.Model.html'), 'utf8');
    expect(model).toContain('Changes some fields of an existing object');
    expect(existsSync(join(OUT, 'functions', 'counters.retention.html'))).toBe(true);
    expect(existsSync(join(OUT, 'functions', 'dashboard.startDashboard.html'))).toBe(true);
    for (const guide of ['ids', 'store', 'search', 'counters', 'hierarchical-counters', 'cache', 'sync', 'migrating']) expect(existsSync(join(OUT, 'documents', `${guide}.html`)), guide).toBe(true);
  }, 300_000);
});
