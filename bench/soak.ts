/**
 * Scenario "soak": mixed traffic over every component (model upserts, gets, finds and sorted reads;
 * cache reads through; hierarchical and unique counters; ids) from 3 processes of 16 concurrent
 * loops each (bench/soak-worker.ts) on a bounded working set (20,000 objects, 5,000 cache keys),
 * for SOAK_SECONDS (default 600). Every 10 s: calls, errors, p50/p99 latency per process, their
 * RSS, and Redis's used_memory. Reports the medians over the windows, the errors, and how memory
 * moved between the second quarter of the run (the working set filled) and the last one.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { usedMemory } from './server-info.js';
import { makeRow } from './stats.js';
import type { BenchContext, BenchRow, BenchScenario } from './types.js';

const PROCESSES = 3;

interface Window {
  readonly calls: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
  readonly rss: number;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

const scenario: BenchScenario = {
  name: 'soak',
  description: `soak: ${String(PROCESSES)} processes of mixed traffic over every component on a bounded working set for SOAK_SECONDS (default 600); throughput, latency, errors, Redis memory and client RSS over time`,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const seconds = Number(process.env.SOAK_SECONDS ?? '600');
    const redis = new Redis(ctx.url);
    const windows: Window[][] = Array.from({ length: PROCESSES }, () => []);
    const memory: number[] = [];
    const sampler = setInterval(() => {
      void usedMemory(redis).then((m) => memory.push(m));
    }, 10_000);
    const workers = Array.from({ length: PROCESSES }, (_, w) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/soak-worker.ts', ctx.url, ctx.prefix, String(w), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.startsWith('window ')) windows[w]?.push(JSON.parse(line.slice(7)) as Window);
      });
      return new Promise<number | null>((resolve) => child.once('exit', resolve));
    });
    const codes = await Promise.all(workers);
    clearInterval(sampler);
    redis.disconnect();
    if (codes.some((c) => c !== 0)) throw new Error(`a soak worker exited with ${String(codes)}`);

    const count = Math.min(...windows.map((w) => w.length));
    const perWindow = Array.from({ length: count }, (_, i) => windows.map((w) => w[i] as Window));
    const rate = perWindow.map((ws) => ws.reduce((n, w) => n + w.calls, 0) / 10);
    const errors = perWindow.reduce((n, ws) => n + ws.reduce((m, w) => m + w.errors, 0), 0);
    const p50 = perWindow.map((ws) => median(ws.map((w) => w.p50)));
    const p99 = perWindow.map((ws) => Math.max(...ws.map((w) => w.p99)));
    const rss = perWindow.map((ws) => mean(ws.map((w) => w.rss)));
    const quarter = (list: readonly number[], q: number): number => mean(list.slice(Math.floor((q * list.length) / 4), Math.floor(((q + 1) * list.length) / 4)));
    ctx.log(`per minute: ${perWindow
      .filter((_, i) => i % 6 === 5)
      .map((_, k) => {
        const i = k * 6 + 5;
        return `${String(k + 1)}m ${Math.round(rate[i] ?? 0)}/s p99 ${(p99[i] ?? 0).toFixed(1)}ms redis ${((memory[i] ?? 0) / 2 ** 20).toFixed(1)}MB rss ${((rss[i] ?? 0) / 2 ** 20).toFixed(0)}MB`;
      })
      .join('; ')}`);
    return [
      makeRow({ metric: `calls/s, ${String(PROCESSES)} processes, ${String(seconds)} s (median of 10 s windows)`, unit: 'calls/s', ours: [median(rate)] }),
      makeRow({ metric: 'latency p50 (median of windows)', unit: 'ms', ours: [median(p50)] }),
      makeRow({ metric: 'latency p99 (median of windows)', unit: 'ms', ours: [median(p99)] }),
      makeRow({ metric: 'latency p99 (worst window)', unit: 'ms', ours: [Math.max(...p99)] }),
      makeRow({ metric: 'errors', unit: 'calls', ours: [errors], goal: '0' }),
      makeRow({ metric: 'Redis used_memory, 2nd quarter of the run', unit: 'MB', ours: [quarter(memory, 1) / 2 ** 20] }),
      makeRow({ metric: 'Redis used_memory, last quarter', unit: 'MB', ours: [quarter(memory, 3) / 2 ** 20], goal: 'no growth once the working set is stable' }),
      makeRow({ metric: 'client RSS per process, 2nd quarter', unit: 'MB', ours: [quarter(rss, 1) / 2 ** 20] }),
      makeRow({ metric: 'client RSS per process, last quarter', unit: 'MB', ours: [quarter(rss, 3) / 2 ** 20], goal: 'no growth once the working set is stable' }),
    ];
  },
};

export default scenario;
