import { UsageError, optionValue } from './args.js';
import type { ParsedArgs } from './args.js';
import { pick, withCatalog } from './catalog.js';
import type { AnyUniqueCounter } from './catalog.js';
import { cliParameters, countParam, instantParam, optionalInstantParam, unitParam } from './instants.js';
import { cohortReport, funnelReport, topReport } from './reports.js';
import { formatCount } from './progress.js';
import type { ProgressOutput } from './progress.js';
import { bar, formatTable, percent } from './table.js';

/** Help of the counter commands. */
export const COUNTER_HELP = {
  cohort: `Usage: kickass cohort <counter> (--config <file> | --demo) [--activity <counter>] [--unit day]
                      [--to <date>] [--cohorts 8] [--periods 7] [--json] [--url <redis-url>] [--prefix <p>]
  A retention table: each cohort is who <counter> has in one slot (e.g. who signed up that day);
  its row says how many of them <activity> (default: the same counter) has in each slot after it.`,
  funnel: `Usage: kickass funnel <step> <step> [...] (--config <file> | --demo) [--unit day] [--from <date>]
                      [--window 7] [--json] [--url <redis-url>] [--prefix <p>]
  Who did each step in order within a window of slots (each step a unique counter).`,
  top: `Usage: kickass top <hierarchical counter> [segment ...] (--config <file> | --demo) [--resolution day]
                      [--at <date>] [--limit 10] [--json] [--url <redis-url>] [--prefix <p>]
  The largest children of a node (the root when no segment is given) in one slot.`,
} as const;

const shortDate = (at: Date | number): string => new Date(at).toISOString().slice(0, 10);

/** `kickass cohort <counter>`: a retention table. */
export function cohortCommand(args: ParsedArgs, out: ProgressOutput): Promise<number> {
  return withCatalog(args, 'cohort', async ({ catalog }) => {
    const named = (name: string | undefined): AnyUniqueCounter => pick(catalog.uniqueCounters, (c) => c.name, name, 'unique counter');
    const params = cliParameters(args);
    const cohort = named(args.positional[1]);
    const activityName = optionValue(args, 'activity');
    const activity = activityName === undefined ? cohort : named(activityName);
    const unit = unitParam(params, 'unit', cohort.slots, cohort.name);
    const periods = countParam(params, 'periods', 7, 366);
    const report = await cohortReport(cohort, activity, unit, instantParam(params, 'to', Date.now()), countParam(params, 'cohorts', 8, 366), periods);
    if (args.options.has('json')) {
      out.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    out.write(`${cohort.name} cohorts by ${unit}: the share of each found in ${activity.name} in its ${unit} and the ${String(periods)} after (blank: not yet)\n`);
    const header = ['cohort', 'size', ...Array.from({ length: periods + 1 }, (_, i) => `${unit} ${String(i)}`)];
    out.write(formatTable(header, report.rows.map((r) => [shortDate(r.start), formatCount(r.size), ...r.rates.map((rate, i) => (i < r.begun ? percent(rate) : ''))])));
    return 0;
  });
}

/** `kickass funnel <step> <step> ...`: conversion from step to step. */
export function funnelCommand(args: ParsedArgs, out: ProgressOutput): Promise<number> {
  return withCatalog(args, 'funnel', async ({ catalog }) => {
    const names = args.positional.slice(1);
    if (names.length < 2) throw new UsageError('kickass funnel needs at least two steps, e.g. kickass funnel signup visit purchase');
    const steps = names.map((name) => pick(catalog.uniqueCounters, (c) => c.name, name, 'unique counter'));
    const first = steps[0] as AnyUniqueCounter;
    const params = cliParameters(args);
    const unit = unitParam(params, 'unit', first.slots, first.name);
    const window = countParam(params, 'window', 7, 366);
    const report = await funnelReport(steps, unit, window, optionalInstantParam(params, 'from'));
    if (args.options.has('json')) {
      out.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    out.write(`funnel over ${String(window)} ${unit}s from ${shortDate(report.from)}\n`);
    out.write(formatTable(['step', 'ids', 'of previous', 'of first', ''], report.steps.map((s) => [s.counter, formatCount(s.count), percent(s.conversion), percent(s.overall), bar(s.overall)])));
    return 0;
  });
}

/** `kickass top <hierarchical counter> [segment ...]`: a node's largest children in a slot. */
export function topCommand(args: ParsedArgs, out: ProgressOutput): Promise<number> {
  return withCatalog(args, 'top', async ({ catalog }) => {
    const counter = pick(catalog.hierarchicalCounters, (c) => c.name, args.positional[1], 'hierarchical counter');
    const params = cliParameters(args);
    const resolution = unitParam(params, 'resolution', counter.resolutions, counter.name);
    const report = await topReport(counter, args.positional.slice(2), resolution, instantParam(params, 'at', Date.now()), countParam(params, 'limit', 10, 1000));
    const { node, children } = report;
    if (args.options.has('json')) {
      out.write(`${JSON.stringify({ counter: report.counter, path: report.path, resolution, slot: report.slot, sum: node.sum, total: report.total, children })}\n`);
      return 0;
    }
    const share = (sum: number): number => (node.sum === 0 ? 0 : sum / node.sum);
    out.write(`${[counter.name, ...report.path].join(' / ')}: ${formatCount(node.sum)} in the ${resolution} of ${shortDate(report.slot)}, ${formatCount(report.total)} children\n`);
    out.write(formatTable(['child', 'sum', 'share', ''], children.map((c) => [c.segment, formatCount(c.sum), percent(share(c.sum)), bar(share(c.sum))])));
    return 0;
  });
}
