// Every ```ts block of the guides (docs/guides/*.md) runs as a program against the harness's servers,
// on both topologies, importing the library's source in place of 'kickass-redis'; what it prints
// must be exactly its `// prints: …` comments, in order. A guide whose example no longer works, or
// says something the code does not do, fails here.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { TOPOLOGIES, connectionUrl, deletePrefix, randomPrefix, useTopology } from '../harness/topologies.js';
import { useMariaDb } from '../sync/sync-fixture.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GUIDES = join(ROOT, 'docs', 'guides');
const WORK = join(ROOT, '.tmp', 'guides');

/** The runnable blocks of a guide: ```ts fences (```ts norun is shown, not run). */
function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

/** `'kickass-redis'` and `'kickass-redis/<part>'` as the source files they are built from. */
function fromSource(code: string): string {
  return code.replace(/from 'kickass-redis(?:\/([a-z]+))?'/g, (_, part: string | undefined) => `from '${pathToFileURL(join(ROOT, 'src', part === undefined ? 'index.ts' : join(part, 'index.ts'))).href}'`);
}

/** The `// prints: …` comments of a block, in order. */
function expectedOutput(code: string): string[] {
  return [...code.matchAll(/\/\/ prints: (.*)$/gm)].map((m) => (m[1] ?? '').trimEnd());
}

const guides = readdirSync(GUIDES).filter((f) => f.endsWith('.md')).sort();

describe('the guides', () => {
  it('are there, one per component, each with runnable examples', () => {
    expect(guides).toEqual(expect.arrayContaining(['ids.md', 'store.md', 'search.md', 'counters.md', 'hierarchical-counters.md', 'cache.md', 'sync.md']));
    for (const guide of guides.filter((g) => g !== 'migrating.md')) expect(codeBlocks(readFileSync(join(GUIDES, guide), 'utf8')).length, guide).toBeGreaterThan(0);
  });
});

// the sync guide's example needs a source: a private MariaDB with a ROW binlog
const mariadb = useMariaDb();

describe.each(TOPOLOGIES)('guide examples (%s)', (topology) => {
  const redis = useTopology(topology);
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) await deletePrefix(redis.client, prefix);
    rmSync(join(WORK, topology), { recursive: true, force: true });
  });

  for (const guide of guides) {
    const blocks = codeBlocks(readFileSync(join(GUIDES, guide), 'utf8'));
    blocks.forEach((code, i) => {
      it(`${guide} example ${String(i + 1)}`, () => {
        mkdirSync(join(WORK, topology), { recursive: true });
        const file = join(WORK, topology, `${guide.replace('.md', '')}-${String(i + 1)}.ts`);
        writeFileSync(file, fromSource(code));
        const prefix = randomPrefix();
        prefixes.push(prefix);
        const run = spawnSync(process.execPath, ['--import', 'tsx', file], {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 60_000,
          env: { ...process.env, REDIS_URL: connectionUrl(topology), KR_PREFIX: prefix, MYSQL_URL: mariadb.server.url, TZ: 'UTC' },
        });
        expect(run.stderr, `${guide} example ${String(i + 1)} wrote to stderr`).toBe('');
        expect(run.status).toBe(0);
        expect(run.stdout.split('\n').filter((line) => line !== '')).toEqual(expectedOutput(code));
      }, 90_000);
    });
  }
});
