import { funnel, retention } from '../counters/analysis.js';
import { UsageError } from './args.js';
import type { ParsedArgs } from './args.js';
import { analysable, openCatalog, pick } from './catalog.js';
import type { AnyUniqueCounter } from './catalog.js';
import { cliParameters, countParam, instantParam, periodsBegun, slotsBefore, unitParam } from './instants.js';
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
export async function cohortCommand(args: ParsedArgs, out: ProgressOutput): Promise<number> {
  const { kr, catalog } = await openCatalog(args, 'cohort');
  try {
    const named = (name: string | undefined): AnyUniqueCounter => pick(catalog.uniqueCounters, (c) => c.name, name, 'unique counter');
    const cohort = named(args.positional[1]);
    const activityName = args.options.has('activity') ? args.options.get('activity') : undefined;
    const activity = typeof activityName === 'string' ? named(activityName) : cohort;
    const unit = unitParam(cliParameters(args), 'unit', cohort.slots, cohort.name);
    const to = instantParam(cliParameters(args), 'to', Date.now());
    const cohorts = countParam(cliParameters(args), 'cohorts', 8, 366);
    const periods = countParam(cliParameters(args), 'periods', 7, 366);
    const rows = await retention({ cohort: analysable(cohort), activity: analysable(activity), unit, from: slotsBefore(cohort.calendar, unit, to, cohorts - 1), to, periods });
    if (args.options.has('json')) {
      out.write(`${JSON.stringify({ cohort: cohort.name, activity: activity.name, unit, rows })}\n`);
      return 0;
    }
    out.write(`${cohort.name} cohorts by ${unit}: the share of each found in ${activity.name} in its ${unit} and the ${String(periods)} after (blank: not yet)\n`);
    const now = Date.now();
    const columns = periods + 1;
    const cells = (r: (typeof rows)[number]): string[] => {
      const begun = periodsBegun(cohort.calendar, unit, r.start, Math.max(now, to), columns);
      return r.rates.map((rate, i) => (i < begun ? percent(rate) : ''));
    };
    out.write(formatTable(['cohort', 'size', ...Array.from({ length: columns }, (_, i) => `${unit} ${String(i)}`)], rows.map((r) => [shortDate(r.start), formatCount(r.size), ...cells(r)])));
    return 0;
  } finally {
    await kr.close();
  }
}

/** `kickass funnel <step> <step> ...`: conversion from step to step. */
export async function funnelCommand(args: ParsedArgs, out: ProgressOutput): Promise<number> {
  const { kr, catalog } = await openCatalog(args, 'funnel');
  try {
    const names = args.positional.slice(1);
    if (names.length < 2) throw new UsageError('kickass funnel needs at least two steps, e.g. kickass funnel signup visit purchase');
    const steps = names.map((name) => pick(catalog.uniqueCounters, (c) => c.name, name, 'unique counter'));
    const first = steps[0] as AnyUniqueCounter;
    const unit = unitParam(cliParameters(args), 'unit', first.slots, first.name);
    const window = countParam(cliParameters(args), 'window', 7, 366);
    const from = instantParam(cliParameters(args), 'from', slotsBefore(first.calendar, unit, Date.now(), window - 1));
    const result = await funnel({ steps: steps.map(analysable), unit, from, window });
    if (args.options.has('json')) {
      out.write(`${JSON.stringify({ unit, from: new Date(first.calendar.slotStart(unit, from)), window, steps: result })}\n`);
      return 0;
    }
    out.write(`funnel over ${String(window)} ${unit}s from ${shortDate(first.calendar.slotStart(unit, from))}\n`);
    out.write(formatTable(['step', 'ids', 'of previous', 'of first', ''], result.map((s) => [s.counter, formatCount(s.count), percent(s.conversion), percent(s.overall), bar(s.overall)])));
    return 0;
  } finally {
    await kr.close();
  }
}

/** `kickass top <hierarchical counter> [segment ...]`: a node's largest children in a slot. */
export async function topCommand(args: ParsedArgs, out: ProgressOutput): Promise<number> {
  const { kr, catalog } = await openCatalog(args, 'top');
  try {
    const counter = pick(catalog.hierarchicalCounters, (c) => c.name, args.positional[1], 'hierarchical counter');
    const path = args.positional.slice(2);
    const resolution = unitParam(cliParameters(args), 'resolution', counter.resolutions, counter.name);
    const at = instantParam(cliParameters(args), 'at', Date.now());
    const limit = countParam(cliParameters(args), 'limit', 10, 1000);
    const [node, children] = await Promise.all([counter.get(path, resolution, at), counter.children(path, resolution, at, { top: limit })]);
    if (args.options.has('json')) {
      out.write(`${JSON.stringify({ counter: counter.name, path, resolution, slot: new Date(counter.calendar.slotStart(resolution, at)), sum: node.sum, total: children.total, children: children.children })}\n`);
      return 0;
    }
    const title = [counter.name, ...path].join(' / ');
    out.write(`${title}: ${formatCount(node.sum)} in the ${resolution} of ${shortDate(counter.calendar.slotStart(resolution, at))}, ${formatCount(children.total)} children\n`);
    out.write(formatTable(['child', 'sum', 'share', ''], children.children.map((c) => [c.segment, formatCount(c.sum), percent(node.sum === 0 ? 0 : c.sum / node.sum), bar(node.sum === 0 ? 0 : c.sum / node.sum)])));
    return 0;
  } finally {
    await kr.close();
  }
}
