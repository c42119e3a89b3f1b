import type { ParsedArgs } from './args.js';
import { withCatalog } from './catalog.js';
import type { ProgressOutput } from './progress.js';
import { formatCount } from './progress.js';
import { collectStats } from './stats.js';
import { formatTable } from './table.js';

/** Help of `kickass stats`. */
export const STATS_HELP = `Usage: kickass stats (--config <file> | --demo) [--json] [--url <redis-url>] [--prefix <p>]
  Keys and memory of every component under the prefix (SCAN, never KEYS; memory by MEMORY USAGE,
  estimated from 2,000 keys per component past that), each model's objects and indexes, and the
  server's memory and eviction policy.`;

/** `1.2 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${String(bytes)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit] ?? 'TB'}`;
}

/** `kickass stats`. */
export function statsCommand(args: ParsedArgs, out: ProgressOutput): Promise<number> {
  return withCatalog(args, 'stats', async ({ kr, catalog }) => {
    const stats = await collectStats(kr, catalog);
    if (args.options.has('json')) {
      out.write(`${JSON.stringify(stats)}\n`);
      return 0;
    }
    const { server } = stats;
    out.write(`redis ${server.version}, ${String(server.masters)} master${server.masters === 1 ? '' : 's'}, ${formatBytes(server.usedMemory)} used, maxmemory-policy ${server.maxmemoryPolicy}\n`);
    if (server.maxmemoryPolicy !== 'noeviction') out.write(`warning: maxmemory-policy ${server.maxmemoryPolicy} may evict index entries (kickass verify finds them); noeviction is safe\n`);
    out.write(`prefix ${stats.prefix}: ${formatCount(stats.keys)} keys\n\n`);
    out.write(formatTable(['component', 'name', 'keys', 'memory'], stats.groups.map((g) => [g.component, g.name, formatCount(g.keys), g.bytes === null ? 'n/a' : `${g.estimated ? '~' : ''}${formatBytes(g.bytes)}`])));
    for (const m of stats.models) {
      out.write(`\nmodel ${m.name}: ${formatCount(m.objects)} objects in ${String(m.partitions)} partition${m.partitions === 1 ? '' : 's'}${m.reindexInProgress ? ', a reindex is unfinished (kickass reindex resumes it)' : ''}\n`);
      out.write(formatTable(['field', 'kind', 'indexes'], m.fields.map((f) => [f.name, f.kind, f.indexes.join(', ') || '-'])));
    }
    return 0;
  });
}
