import type { MaintenanceProgress, ProgressListener } from '../store/maintenance-report.js';
import { PROBLEM_KINDS } from '../store/maintenance-report.js';
import type { ParsedArgs } from './args.js';
import { pick, withCatalog } from './catalog.js';
import type { CatalogModel } from './catalog.js';
import { StatusLine, formatCount, progressBar } from './progress.js';
import type { ProgressOutput } from './progress.js';
import { formatTable } from './table.js';

/** Help of the model commands. */
export const MODEL_HELP = {
  verify: `Usage: kickass verify <model> (--config <file> | --demo) [--json] [--url <redis-url>] [--prefix <p>]
  Checks every object of a model against its indexes and unique values (read-only) with a progress
  bar; prints the problems by kind. Exit code 0 when all is well, 3 when problems were found.`,
  reindex: `Usage: kickass reindex <model> (--config <file> | --demo) [--fresh] [--json] [--url <redis-url>] [--prefix <p>]
  Repairs what verify finds, online, resuming an interrupted reindex (--fresh starts over).`,
} as const;

/** Problems found: exit code 3, so that scripts can tell "found problems" from "failed" (1). */
export const PROBLEMS_FOUND = 3;

function progressText(p: MaintenanceProgress): string {
  return `  ${p.phase.padEnd(8)} partition ${String(p.partition)} ${progressBar(p.done, p.total)} ${formatCount(p.done)}/${formatCount(p.total)}`;
}

function countsTable(counts: Readonly<Record<string, number>>): string {
  const rows = PROBLEM_KINDS.filter((kind) => (counts[kind] ?? 0) > 0).map((kind) => [kind, formatCount(counts[kind] ?? 0)]);
  return rows.length === 0 ? '' : formatTable(['problem', 'count'], rows);
}

/** Runs `work` on the model the command names, its progress drawn on stderr (stdout keeps the result). */
function withModel<R>(args: ParsedArgs, command: string, work: (model: CatalogModel, onProgress: ProgressListener) => Promise<R>, show: (model: CatalogModel, result: R) => number): Promise<number> {
  return withCatalog(args, command, async ({ catalog }) => {
    const model = pick(catalog.models, (m) => m.name, args.positional[1], 'model');
    const line = new StatusLine(process.stderr);
    const result = await work(model, (p) => {
      line.update(progressText(p));
    });
    line.done();
    return show(model, result);
  });
}

/** `kickass verify <model>`. */
export function verifyCommand(args: ParsedArgs, out: ProgressOutput): Promise<number> {
  return withModel(args, 'verify', (model, onProgress) => model.verify({ onProgress }), (model, report) => {
    const total = Object.values(report.counts).reduce((a, b) => a + b, 0);
    if (args.options.has('json')) out.write(`${JSON.stringify({ model: model.name, ...report, problemCount: total })}\n`);
    else {
      out.write(`${model.name}: ${formatCount(report.objects)} objects in ${String(report.partitions)} partitions checked, ${total === 0 ? 'no problems' : `${formatCount(total)} problems`}\n`);
      out.write(countsTable(report.counts));
      if (total > 0) out.write(`run kickass reindex ${model.name} to repair them\n`);
    }
    return total === 0 ? 0 : PROBLEMS_FOUND;
  });
}

/** `kickass reindex <model>`. */
export function reindexCommand(args: ParsedArgs, out: ProgressOutput): Promise<number> {
  return withModel(args, 'reindex', (model, onProgress) => model.reindex({ resume: !args.options.has('fresh'), onProgress }), (model, report) => {
    const repaired = Object.entries(report.counts).filter(([kind]) => kind !== 'duplicate-unique').reduce((a, [, n]) => a + n, 0);
    if (args.options.has('json')) out.write(`${JSON.stringify({ model: model.name, ...report, repaired })}\n`);
    else {
      out.write(`${model.name}: ${formatCount(report.objects)} objects in ${String(report.partitions)} partitions${report.resumed ? ' (resumed)' : ''}, ${formatCount(repaired)} repairs\n`);
      out.write(countsTable(report.counts));
      if (report.unresolved.length > 0) out.write(`${formatCount(report.unresolved.length)} unique values are held by two objects: decide which keeps each (kickass verify ${model.name} --json lists them)\n`);
    }
    return 0;
  });
}
