/**
 * Scenario "search-scaling": top-10 query latency of the standalone text index as the corpus
 * grows, on Debian package descriptions (name weighted 2 + description): 10,000 and every package
 * (~63k) on the standalone server (1 partition), and every package on the 3-master cluster with 12
 * partitions. 200 queries of 1-3 words from random descriptions, one in flight, p50/p95 ms, with
 * the total count (`total: true`, every match ranked) and without (`total: false`, top-k reads),
 * after one unmeasured pass, the two modes taking turns at going first.
 * No competitor: reds has no cluster support.
 */
import { kickass } from '../src/kickass.js';
import { createAnalyzer } from '../src/search/analyzer.js';
import type { TextIndex } from '../src/search/text-index.js';
import { allDebianPackages, generatedPackages } from './data/debian-packages.js';
import type { PackageDoc } from './data/debian-packages.js';
import { makeRow } from './stats.js';
import type { BenchContext, BenchRow, BenchScenario } from './types.js';

const QUERIES = 200;

function sampleQueries(docs: readonly PackageDoc[], seed0: number): string[] {
  const analyzer = createAnalyzer();
  let seed = seed0;
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

async function latencies(queries: readonly string[], fn: (q: string) => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (const q of queries) {
    const start = process.hrtime.bigint();
    await fn(q);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (p: number): number => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] as number;
  return { p50: at(50), p95: at(95) };
}

async function load(index: TextIndex<'name' | 'description'>, docs: readonly PackageDoc[]): Promise<void> {
  for (let at = 0; at < docs.length; at += 8000) {
    await index.addMany(docs.slice(at, at + 8000).map((d) => ({ id: d.id, name: d.name, description: d.description })));
  }
}

const scenario: BenchScenario = {
  name: 'search-scaling',
  description: 'text index top-10 query latency at 10k and ~63k Debian packages, standalone (1 partition) and on a 3-master cluster (12 partitions)',
  needsCluster: true,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    if (ctx.clusterUrl === undefined) throw new Error('search-scaling needs a cluster (needsCluster)');
    const all = allDebianPackages();
    const corpus = all ?? generatedPackages(63_666);
    ctx.log(`corpus: ${all === null ? 'generated (apt-cache not found)' : 'apt-cache dumpavail, every package'}; ${String(corpus.length)} packages`);
    const setups = [
      { label: '10k, standalone, P=1', url: ctx.url, partitions: 1, docs: corpus.slice(0, 10_000) },
      { label: `${String(Math.round(corpus.length / 1000))}k, standalone, P=1`, url: ctx.url, partitions: 1, docs: corpus },
      { label: `${String(Math.round(corpus.length / 1000))}k, cluster, P=12`, url: ctx.clusterUrl, partitions: 12, docs: corpus },
    ];
    const rows: BenchRow[] = [];
    for (const setup of setups) {
      const kr = kickass({ connection: setup.url, prefix: ctx.prefix });
      const v = { top50: [] as number[], top95: [] as number[], all50: [] as number[], all95: [] as number[] };
      try {
        for (let run = 0; run < ctx.runs; run++) {
          const index = kr.textIndex(`scale${String(run)}`, { fields: { name: { weight: 2 }, description: {} }, partitions: setup.partitions });
          await load(index, setup.docs);
          const queries = sampleQueries(setup.docs, 7 + run);
          // one unmeasured pass warms the scripts and the server's allocator; the two modes alternate first
          for (const q of queries) await index.search(q, { limit: 10 });
          const topFirst = run % 2 === 0;
          const measure = (counted: boolean): Promise<{ p50: number; p95: number }> => latencies(queries, (q) => index.search(q, { limit: 10, total: counted }));
          const first = await measure(!topFirst);
          const second = await measure(topFirst);
          const [top, counted] = topFirst ? [first, second] : [second, first];
          v.top50.push(top.p50);
          v.top95.push(top.p95);
          v.all50.push(counted.p50);
          v.all95.push(counted.p95);
          ctx.log(`${setup.label} run ${String(run + 1)}/${String(ctx.runs)}: top-k p50 ${top.p50.toFixed(3)} p95 ${top.p95.toFixed(3)}; with total p50 ${counted.p50.toFixed(3)} p95 ${counted.p95.toFixed(3)} ms`);
          await index.drop();
        }
      } finally {
        await kr.close();
      }
      rows.push(
        makeRow({ metric: `${setup.label}: top-10, p50 (ms)`, unit: 'ms', ours: v.top50, better: 'lower' }),
        makeRow({ metric: `${setup.label}: top-10, p95 (ms)`, unit: 'ms', ours: v.top95, better: 'lower' }),
        makeRow({ metric: `${setup.label}: top-10 + total, p50 (ms)`, unit: 'ms', ours: v.all50, better: 'lower' }),
        makeRow({ metric: `${setup.label}: top-10 + total, p95 (ms)`, unit: 'ms', ours: v.all95, better: 'lower' }),
      );
    }
    return rows;
  },
};

export default scenario;
