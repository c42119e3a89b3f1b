/**
 * Scenario "search": the standalone text index (`kr.textIndex`) against reds 1.0.0 on the same
 * server, in the same run, on 20,000 Debian package descriptions (`apt-cache dumpavail`, the first
 * 20,000 packages by name; generated descriptions where apt is absent). Both index the package name
 * and its description (ours as two fields, the name weighted 2; reds as one string).
 * Index: ours `addMany` (2,000 documents per call, 4 calls in flight), reds `index()` of every
 * document at once (its client pipelines them). Memory: Redis `used_memory` after the load minus
 * before. Queries (one in flight, p50/p95 ms): 200 queries of 1-3 words taken from random
 * descriptions, top 10 by BM25 relevance without the total count (`{ limit: 10, total: false }`;
 * reds counts nothing either); reds `query(words).between(0, 9)` (AND, its default).
 */
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { kickass } from '../src/kickass.js';
import { createAnalyzer } from '../src/search/analyzer.js';
import { debianPackages } from './data/debian-packages.js';
import type { PackageDoc } from './data/debian-packages.js';
import { makeRow, seconds } from './stats.js';
import type { BenchContext, BenchRow, BenchScenario } from './types.js';

interface RedsQuery {
  between(start: number, stop: number): RedsQuery;
  end(fn: (error: Error | null, ids: string[]) => void): void;
}
interface RedsSearch {
  index(text: string, id: string, fn: (error: Error | null) => void): void;
  query(text: string): RedsQuery;
}
interface RedsModule {
  createClient: () => unknown;
  createSearch(key: string): RedsSearch;
}
interface NodeRedis {
  createClient(url: string): { quit(): void };
}

const require = createRequire(import.meta.url);
const DOCS = 20_000;
const QUERIES = 200;
const BATCH = 2000;
const IN_FLIGHT = 4;

/** 1-3 words of random descriptions that the analyzer indexes (no stopwords, letters only). */
export function sampleQueries(docs: readonly PackageDoc[]): string[] {
  const analyzer = createAnalyzer();
  let seed = 7;
  const next = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  const out: string[] = [];
  while (out.length < QUERIES) {
    const words = (docs[next(docs.length)] as PackageDoc).description.split(/\s+/).filter((w) => /^[a-z]{3,}$/i.test(w) && analyzer.term(w) !== null);
    if (words.length === 0) continue;
    const count = 1 + next(Math.min(3, words.length));
    const start = next(words.length - count + 1);
    out.push(words.slice(start, start + count).join(' '));
  }
  return out;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function latencies(queries: readonly string[], fn: (q: string) => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (const q of queries) {
    const start = process.hrtime.bigint();
    await fn(q);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

async function usedMemory(raw: Redis): Promise<number> {
  const info = await raw.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 'NaN');
}

const scenario: BenchScenario = {
  name: 'search',
  description: `text index vs reds on ${String(DOCS)} Debian package descriptions: indexing rate, Redis memory, top-10 query latency`,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const { docs, source } = debianPackages(DOCS);
    ctx.log(`corpus: ${source}`);
    const queries = sampleQueries(docs);
    const reds = require('reds') as RedsModule;
    const nodeRedis = require('redis') as NodeRedis;
    const redsClients: { quit(): void }[] = [];
    reds.createClient = () => {
      const client = nodeRedis.createClient(ctx.url);
      redsClients.push(client);
      return client;
    };
    const kr = kickass({ connection: ctx.url, prefix: ctx.prefix });
    const raw = new Redis(ctx.url);
    const v = { rate: [] as number[], redsRate: [] as number[], mem: [] as number[], redsMem: [] as number[], p50: [] as number[], p95: [] as number[], rp50: [] as number[], rp95: [] as number[] };
    try {
      for (let run = 0; run < ctx.runs; run++) {
        const index = kr.textIndex(`pkgs${String(run)}`, { fields: { name: { weight: 2 }, description: {} } });
        const search = reds.createSearch(`{${ctx.prefix}:reds${String(run)}}`);
        const order = run % 2 === 0 ? ['ours', 'reds'] : ['reds', 'ours'];
        for (const side of order) {
          const before = await usedMemory(raw);
          if (side === 'ours') {
            let next = 0;
            const s = await seconds(async () => {
              await Promise.all(
                Array.from({ length: IN_FLIGHT }, async () => {
                  while (next < docs.length) {
                    const slice = docs.slice(next, next + BATCH);
                    next += BATCH;
                    await index.addMany(slice.map((d) => ({ id: d.id, name: d.name, description: d.description })));
                  }
                }),
              );
            });
            v.rate.push(docs.length / s);
            v.mem.push((await usedMemory(raw)) - before);
          } else {
            const s = await seconds(
              () =>
                new Promise<void>((resolve, reject) => {
                  let left = docs.length;
                  for (const d of docs) {
                    search.index(`${d.name} ${d.description}`, d.id, (error) => {
                      if (error) reject(error);
                      else if (--left === 0) resolve();
                    });
                  }
                }),
            );
            v.redsRate.push(docs.length / s);
            v.redsMem.push((await usedMemory(raw)) - before);
          }
        }
        const ours = await latencies(queries, (q) => index.search(q, { limit: 10, total: false }));
        const theirs = await latencies(
          queries,
          (q) =>
            new Promise<string[]>((resolve, reject) => {
              search
                .query(q)
                .between(0, 9)
                .end((error, ids) => {
                  if (error) reject(error);
                  else resolve(ids);
                });
            }),
        );
        v.p50.push(ours.p50);
        v.p95.push(ours.p95);
        v.rp50.push(theirs.p50);
        v.rp95.push(theirs.p95);
        ctx.log(`run ${String(run + 1)}/${String(ctx.runs)}: index ${String(Math.round(v.rate.at(-1) ?? 0))} vs ${String(Math.round(v.redsRate.at(-1) ?? 0))} docs/s; memory ${((v.mem.at(-1) ?? 0) / 1e6).toFixed(1)} vs ${((v.redsMem.at(-1) ?? 0) / 1e6).toFixed(1)} MB; p50 ${ours.p50.toFixed(3)} vs ${theirs.p50.toFixed(3)} ms; p95 ${ours.p95.toFixed(3)} vs ${theirs.p95.toFixed(3)} ms`);
        await index.drop();
        await unlinkPattern(raw, `{${ctx.prefix}:reds${String(run)}}*`);
        await lazyFreeDone(raw);
      }
    } finally {
      for (const client of redsClients) client.quit();
      raw.disconnect();
      await kr.close();
    }
    const competitor = 'reds 1.0.0';
    return [
      makeRow({ metric: 'index docs/s (20k packages)', unit: 'docs/s', ours: v.rate, competitor, theirs: v.redsRate, goal: '>= 5,000 docs/s' }),
      makeRow({ metric: 'Redis memory added (bytes)', unit: 'bytes', ours: v.mem, competitor, theirs: v.redsMem, better: 'lower', goal: '<= 0.5x reds (ratio >= 2x)' }),
      makeRow({ metric: 'top-10 query, p50 (ms)', unit: 'ms', ours: v.p50, competitor, theirs: v.rp50, better: 'lower', goal: "<= reds' p50 (ratio >= 1x)" }),
      makeRow({ metric: 'top-10 query, p95 (ms)', unit: 'ms', ours: v.p95, competitor, theirs: v.rp95, better: 'lower', goal: "<= 0.5x reds' p95 (ratio >= 2x)" }),
    ];
  },
};

/** Waits until the server has freed what UNLINK handed to its background thread, so that the next run's memory figure starts from a settled base. */
async function lazyFreeDone(raw: Redis): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const info = await raw.info('memory');
    if (/lazyfree_pending_objects:0\b/.test(info)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function unlinkPattern(raw: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await raw.unlink(...keys);
  } while (cursor !== '0');
}

export default scenario;
