import type { Kickass } from '../kickass.js';
import type { Sync } from '../sync/sync.js';
import { readSyncStatus } from '../sync/sync-status.js';
import type { SavedSyncStatus } from '../sync/sync-status.js';
import { UsageError } from './args.js';
import type { ParsedArgs } from './args.js';
import { withCatalog } from './catalog.js';
import type { SyncOptions } from '../sync/sync-options.js';
import { StatusLine, formatCount, progressBar } from './progress.js';

/** `kickass sync --help`. */
export const SYNC_HELP = `Usage:
  kickass sync --config <file> [--url <redis-url>] [--prefix <prefix>]
      Copies the configured MySQL/MariaDB tables into their models (resuming an unfinished copy),
      then streams the binlog until SIGINT or SIGTERM, which stop it after the round in hand.
  kickass sync status --config <file> [--url <redis-url>] [--prefix <prefix>] [--json]
      Prints where the sync stands against the source's binlog: phase, position, lag.

The config file (.mjs, or .ts with tsx installed) exports:
  export default (kr) => ({ name: 'shop', source: 'mysql://repl:pw@db:3306', tables: { 'shop.users': { model: kr.model('user', { ... }) } } })
  export const redis = { url: 'redis://127.0.0.1:6379', prefix: 'kr' }   // optional
Redis: --url, else REDIS_URL, else the config's redis.url, else redis://127.0.0.1:6379.`;

/** Runs `work` on the config's sync options and a kickass instance, closed afterwards. */
function withSync(args: ParsedArgs, work: (kr: Kickass, options: SyncOptions) => Promise<number>): Promise<number> {
  return withCatalog(args, 'sync', ({ kr, catalog, source }) => {
    if (catalog.sync === undefined) throw new UsageError(`${source} defines no sync (return its options, or { sync: options })`);
    return work(kr, catalog.sync);
  });
}

/** `kickass sync`: runs the sync until a signal stops it. */
export function runSync(args: ParsedArgs, out: NodeJS.WriteStream): Promise<number> {
  return withSync(args, (kr, options) => streamUntilStopped(kr.sync(options), out));
}

/** Runs a sync, showing its progress, until SIGINT or SIGTERM stops it after the round in hand. */
async function streamUntilStopped(sync: Sync, out: NodeJS.WriteStream): Promise<number> {
  const line = new StatusLine(out);
  let copyStarted = 0;
  let applied = 0;
  sync.on('phase', ({ phase }) => {
    line.done();
    if (phase === 'snapshot') copyStarted = Date.now();
    const position = sync.status().position;
    const where = position === null || position.gtid === '' ? '' : ` at ${position.gtid}`;
    if (phase === 'stream') out.write(`sync ${sync.name}: streaming the binlog${where} (epoch ${String(sync.status().epoch)})\n`);
    else if (phase === 'snapshot') out.write(`sync ${sync.name}: copying the tables (epoch ${String(sync.status().epoch)})\n`);
    else if (phase === 'sweep') out.write(`sync ${sync.name}: removing objects whose rows are gone\n`);
  });
  sync.on('snapshot', (p) => {
    const seconds = Math.max(0.001, (Date.now() - copyStarted) / 1000);
    line.update(`  ${p.table} ${progressBar(p.tableRows, p.tableTotal)} ${formatCount(p.tableRows)}/${formatCount(p.tableTotal)} rows, ${formatCount(p.rows / seconds)} rows/s`);
  });
  sync.on('applied', (round) => {
    applied += round.applied;
    line.update(`  ${formatCount(applied)} changes applied, at ${round.position}, lag ${formatCount(round.appliedAt - round.receivedAt)} ms`);
  });
  sync.on('resnapshot', ({ reason }) => {
    line.done();
    out.write(`sync ${sync.name}: taking a new copy: ${reason}\n`);
  });
  sync.on('retry', ({ error, attempt, delayMs }) => {
    line.done();
    out.write(`sync ${sync.name}: ${error.message}; trying again in ${formatCount(delayMs)} ms (attempt ${String(attempt)})\n`);
  });
  sync.on('invalid', (error) => {
    line.done();
    out.write(`sync ${sync.name}: left out: ${error.message}\n`);
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) process.exit(130);
    line.done();
    out.write(`sync ${sync.name}: ${signal}: stopping after the round in hand\n`);
    void sync.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await sync.run();
    line.done();
    const position = sync.status().position;
    out.write(`sync ${sync.name}: stopped${position === null ? '' : ` at ${position.gtid}`}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function describe(status: SavedSyncStatus): string {
  const lines = [`sync ${status.name}: ${status.phase === 'new' ? 'never started' : `${status.phase} (epoch ${String(status.epoch)})`}`];
  const at = (p: { gtid: string; file: string; offset: number }): string => `${p.gtid === '' ? '-' : p.gtid} (${p.file}:${String(p.offset)})`;
  if (status.position !== null) lines.push(`  position  ${at(status.position)}`);
  lines.push(`  source    ${at(status.source)}`);
  if (status.snapshot !== null) lines.push(`  copy      ${formatCount(status.snapshot.rows)} rows copied, table ${String(status.snapshot.table + 1)}`);
  if (status.phase === 'stream') {
    lines.push(`  behind    ${status.caughtUp ? 'caught up' : status.behindBytes === null ? 'yes (another binlog file)' : `${formatCount(status.behindBytes)} binlog bytes`}`);
    lines.push(`  lag       ${formatCount(status.lagMs)} ms`);
  }
  lines.push(`  applied   ${formatCount(status.changes)} changes in ${formatCount(status.transactions)} transactions this epoch`);
  if (status.appliedAt > 0) lines.push(`  last      committed ${new Date(status.committedAt).toISOString()}, applied ${new Date(status.appliedAt).toISOString()}`);
  return `${lines.join('\n')}\n`;
}

/** `kickass sync status`: prints the saved state against the source. */
export function syncStatus(args: ParsedArgs, out: NodeJS.WriteStream): Promise<number> {
  return withSync(args, async (kr, options) => {
    const status = await readSyncStatus(kr.context, options.name, options.source);
    out.write(args.options.has('json') ? `${JSON.stringify(status)}\n` : describe(status));
    return 0;
  });
}
