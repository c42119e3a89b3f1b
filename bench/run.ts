/**
 * The benchmark runner: `npm run bench -- <name> [--runs N]` (or `tsx bench/run.ts <name>`).
 *
 * Runs the scenario bench/<name>.ts against servers it starts itself (a throwaway standalone
 * redis-server, plus a 3-master cluster for scenarios that ask for one) unless REDIS_URL (and
 * REDIS_CLUSTER_NODES, `host:port,host:port`) point at servers to use instead. Prints a table of
 * medians and ratios and writes bench/results/<name>.json. Servers it started are always stopped;
 * on servers it did not start, it removes the keys the scenario wrote under its random prefix.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { RedisClusterServers, RedisServer } from '../harness/redis-server.js';
import { unlinkKeys } from '../src/core/scan.js';
import type { RedisClient } from '../src/core/connection.js';
import { formatRatio, formatValue, spread } from './stats.js';
import type { BenchContext, BenchRow, BenchScenario } from './types.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const RESULTS_DIR = join(BENCH_DIR, 'results');
/** Files in bench/ that are not scenarios. */
const NOT_SCENARIOS = new Set(['run', 'types', 'stats', 'server-info', 'cache-libs', 'cache-worker', 'cache-stampede', 'sync-naive', 'soak-worker']);
const DEFAULT_RUNS = 5;
const USAGE = 'usage: npm run bench -- <scenario> [--runs N]';

class UsageError extends Error {}

interface Args {
  name: string;
  runs: number;
}

function parseArgs(argv: readonly string[]): Args {
  let name: string | undefined;
  let runs = DEFAULT_RUNS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let runsText: string | undefined;
    if (arg === '--runs') runsText = argv[++i] ?? '';
    else if (arg.startsWith('--runs=')) runsText = arg.slice('--runs='.length);
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}; ${USAGE}`);
    else if (name === undefined) name = arg;
    else throw new UsageError(`one scenario at a time, got "${name}" and "${arg}"; ${USAGE}`);
    if (runsText !== undefined) {
      runs = Number(runsText);
      if (!/^\d+$/.test(runsText) || runs < 1 || runs > 1000) {
        throw new UsageError(`--runs needs a whole number from 1 to 1000, got "${runsText}"`);
      }
    }
  }
  return { name: name ?? '', runs };
}

function availableScenarios(): string[] {
  return readdirSync(BENCH_DIR)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .filter((name) => !NOT_SCENARIOS.has(name))
    .sort();
}

function isScenario(value: unknown): value is BenchScenario {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.name === 'string' &&
    typeof v.description === 'string' &&
    typeof v.run === 'function' &&
    (v.needsCluster === undefined || typeof v.needsCluster === 'boolean')
  );
}

async function loadScenario(name: string): Promise<BenchScenario> {
  const module: unknown = await import(pathToFileURL(join(BENCH_DIR, `${name}.ts`)).href);
  const scenario = typeof module === 'object' && module !== null ? (module as { default?: unknown }).default : undefined;
  if (!isScenario(scenario)) {
    throw new Error(`bench/${name}.ts does not export default a scenario { name, description, needsCluster?, run(ctx) }`);
  }
  return scenario;
}

function isFiniteOrNull(value: unknown): boolean {
  return value === null || (typeof value === 'number' && Number.isFinite(value));
}

/** Rejects rows that would write a broken results file. */
function checkRows(scenario: string, rows: readonly BenchRow[]): void {
  if (rows.length === 0) throw new Error(`${scenario} returned no rows`);
  for (const row of rows) {
    const where = `${scenario}: row "${row.metric}"`;
    if (typeof row.ours !== 'number' || !Number.isFinite(row.ours)) throw new Error(`${where}: ours is not a finite number`);
    if (!isFiniteOrNull(row.theirs) || !isFiniteOrNull(row.ratio)) throw new Error(`${where}: theirs/ratio is not a finite number or null`);
    if ((row.theirs === null) !== (row.competitor === null)) throw new Error(`${where}: competitor and theirs must be both set or both null`);
    if (row.runs.length === 0) throw new Error(`${where}: no runs`);
  }
}

function pad(text: string, width: number, right: boolean): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The rows as a Markdown table (readable in a terminal, pastable into RESULTS.md). */
function table(rows: readonly BenchRow[]): string {
  const header = ['metric', 'ours', 'competitor', 'theirs', 'ratio', 'goal'];
  const rightAligned = [false, true, false, true, true, false];
  const cells = rows.map((row) => [
    row.metric.includes(row.unit) ? row.metric : `${row.metric} (${row.unit})`,
    formatValue(row.ours),
    row.competitor ?? '-',
    formatValue(row.theirs),
    formatRatio(row.ratio),
    row.goal ?? '-',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, 3, ...cells.map((line) => line[c]!.length)));
  const line = (values: readonly string[]): string =>
    `| ${values.map((v, c) => pad(v, widths[c]!, rightAligned[c]!)).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (rightAligned[c] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...cells.map(line)].join('\n');
}

/** One line per row with the range of the raw runs, to judge the noise behind each median. */
function spreadLines(rows: readonly BenchRow[]): string {
  return rows
    .map((row) => {
      const ours = spread(row.runs.map((r) => r.ours));
      const theirsValues = row.runs.map((r) => r.theirs).filter((v): v is number => v !== null);
      let text = `  ${row.metric}: ours ${formatValue(ours.min)} .. ${formatValue(ours.max)}`;
      if (theirsValues.length > 0) {
        const theirs = spread(theirsValues);
        text += `; theirs ${formatValue(theirs.min)} .. ${formatValue(theirs.max)}`;
      }
      return text;
    })
    .join('\n');
}

function parseNodes(list: string): { host: string; port: number }[] {
  return list
    .split(',')
    .filter((node) => node !== '')
    .map((node) => {
      const at = node.lastIndexOf(':');
      const port = Number(node.slice(at + 1));
      if (at <= 0 || !Number.isInteger(port)) throw new UsageError(`REDIS_CLUSTER_NODES must look like host:port,host:port, got "${list}"`);
      return { host: node.slice(0, at), port };
    });
}

/** A client for the runner's own chores, that fails fast instead of retrying forever. */
function choreClient(target: { url: string } | { seeds: { host: string; port: number }[] }): RedisClient {
  const options = { maxRetriesPerRequest: 1, retryStrategy: (): null => null, connectTimeout: 5000 };
  return 'url' in target
    ? new Redis(target.url, options)
    : new Cluster(target.seeds, { redisOptions: options, clusterRetryStrategy: (): null => null });
}

async function serverVersion(url: string): Promise<string> {
  const client = choreClient({ url });
  try {
    const info = await client.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    client.disconnect();
  }
}

/** Removes every key under `{prefix:` (SCAN + UNLINK on every master; never FLUSHALL). */
function deletePrefix(client: RedisClient, prefix: string): Promise<number> {
  return unlinkKeys(client, `{${prefix}:*`);
}

interface Stoppable {
  stop(): Promise<void>;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const available = availableScenarios();
  if (!available.includes(args.name)) {
    const what = args.name === '' ? 'No benchmark scenario given' : `There is no benchmark scenario "${args.name}"`;
    console.error(`${what}: the available ones are ${available.join(', ')} (${USAGE}).`);
    return 1;
  }
  const scenario = await loadScenario(args.name);

  const started: Stoppable[] = [];
  let stopped: Promise<void> | undefined;
  const stopAll = (): Promise<void> =>
    (stopped ??= Promise.allSettled(started.map((s) => s.stop())).then(() => undefined));
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: stopping the servers the benchmark started`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const external: { url?: string; seeds?: { host: string; port: number }[] } = {};
  try {
    let url = process.env.REDIS_URL ?? '';
    if (url === '') {
      const server = await RedisServer.start();
      started.push(server);
      url = server.url;
    } else {
      external.url = url;
    }
    let clusterUrl: string | undefined;
    if (scenario.needsCluster === true) {
      let seeds = parseNodes(process.env.REDIS_CLUSTER_NODES ?? '');
      if (seeds.length === 0) {
        const cluster = await RedisClusterServers.start(3, 0);
        started.push(cluster);
        seeds = cluster.seeds;
      } else {
        external.seeds = seeds;
      }
      clusterUrl = `redis+cluster://${seeds.map((s) => `${s.host}:${String(s.port)}`).join(',')}`;
    }

    const where = external.url === undefined ? 'a throwaway redis-server' : 'REDIS_URL';
    const cores = availableParallelism();
    console.log(`${scenario.name}: ${scenario.description}`);
    console.log(
      `redis ${await serverVersion(url)} (${where}${clusterUrl === undefined ? '' : ' + cluster'}), node ${process.version}, ` +
        `${String(cores)} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}) shared by client and server; medians of ${String(args.runs)} runs`,
    );
    const ctx: BenchContext = {
      runs: args.runs,
      url,
      clusterUrl,
      prefix,
      log: (message) => {
        console.error(`  ${message}`);
      },
    };
    const rows = await scenario.run(ctx);
    checkRows(scenario.name, rows);

    console.log(`\n${table(rows)}\n\nmin .. max of the ${String(args.runs)} runs:\n${spreadLines(rows)}`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `${args.name}.json`);
    writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
    console.log(`\nwrote bench/results/${args.name}.json`);
    return 0;
  } finally {
    for (const target of [
      external.url === undefined ? undefined : { url: external.url },
      external.seeds === undefined ? undefined : { seeds: external.seeds },
    ]) {
      if (target === undefined) continue;
      const client = choreClient(target);
      try {
        await deletePrefix(client, prefix);
      } catch (error) {
        console.error(`could not remove the benchmark's keys {${prefix}:*: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        client.disconnect();
      }
    }
    await stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
    // A scenario that leaves a connection or timer open would keep the process alive: do not hang.
    setTimeout(() => {
      console.error('the scenario left handles open; exiting anyway');
      process.exit(process.exitCode);
    }, 5000).unref();
  },
  (error: unknown) => {
    if (error instanceof UsageError) console.error(error.message);
    else console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 5000).unref();
  },
);
