#!/usr/bin/env node
// The kickass command line: one entry per command, each with its own --help.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UsageError, parseArgs } from './args.js';
import type { ParsedArgs } from './args.js';
import { COUNTER_HELP, cohortCommand, funnelCommand, topCommand } from './counter-commands.js';
import { DASHBOARD_HELP, dashboardCommand } from './dashboard-command.js';
import { DEMO_HELP, demoCommand } from './demo-command.js';
import { MODEL_HELP, reindexCommand, verifyCommand } from './model-commands.js';
import { STATS_HELP, statsCommand } from './stats-command.js';
import { SYNC_HELP, runSync, syncStatus } from './sync-command.js';

const HELP = `Usage: kickass <command> [options]

Commands:
  demo                          write the demo data (then try the commands below with --demo)
  stats                         keys, memory and health per component and model
  verify <model>                check a model's indexes (read-only), with a progress bar
  reindex <model>               repair what verify finds, online and resumable
  cohort <counter>              a retention table of a unique counter
  funnel <step> <step> ...      conversion through unique counters, step by step
  top <counter> [segment ...]   the largest children of a hierarchical counter's node
  dashboard --port <n>          a local web page of it all (read-only unless --allow-writes)
  sync                          copy MySQL/MariaDB tables into models, then stream the binlog
  sync status                   where a sync stands against its source
  bench [component]             the benchmarks (in a clone of the repository)

Components come from --config <file> (.mjs, or .ts with tsx), whose default export is
  (kr) => ({ models: [kr.model(...)], uniqueCounters: [...], hierarchicalCounters: [...], caches: [...], sync: {...} })
and may export redis = { url, prefix }. Redis: --url, else REDIS_URL, else the config's redis.url,
else redis://127.0.0.1:6379. Run kickass <command> --help for a command's options.
Exit codes: 0 done, 1 failed, 2 a mistake in the command line, 3 verify found problems.`;

const BENCH_HELP = `Usage: kickass bench [component ...] [--runs N]
  Runs the benchmarks (ids, store, geo, search, counters, hierarchical counters, cache, sync, soak…)
  side by side with the libraries they compete with; only in a clone of the repository.`;

type Command = { readonly help: string; readonly run: (args: ParsedArgs) => Promise<number> };

const out = process.stdout;

/** `kickass bench`: the repository's bench runner, when there is one. */
function bench(args: ParsedArgs): Promise<number> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  if (!existsSync(`${root}bench/run.ts`)) throw new UsageError('kickass bench runs in a clone of the kickass-redis repository (the benchmarks are not in the package)');
  const runs = args.options.get('runs');
  const result = spawnSync('npm', ['run', 'bench', '--', ...args.positional.slice(1), ...(typeof runs === 'string' ? ['--runs', runs] : [])], { cwd: root, stdio: 'inherit' });
  return Promise.resolve(result.status ?? 1);
}

const COMMANDS: Readonly<Record<string, Command>> = {
  demo: { help: DEMO_HELP, run: (args) => demoCommand(args, out) },
  stats: { help: STATS_HELP, run: (args) => statsCommand(args, out) },
  verify: { help: MODEL_HELP.verify, run: (args) => verifyCommand(args, out) },
  reindex: { help: MODEL_HELP.reindex, run: (args) => reindexCommand(args, out) },
  cohort: { help: COUNTER_HELP.cohort, run: (args) => cohortCommand(args, out) },
  funnel: { help: COUNTER_HELP.funnel, run: (args) => funnelCommand(args, out) },
  top: { help: COUNTER_HELP.top, run: (args) => topCommand(args, out) },
  dashboard: { help: DASHBOARD_HELP, run: (args) => dashboardCommand(args, out) },
  bench: { help: BENCH_HELP, run: bench },
  sync: {
    help: SYNC_HELP,
    run: (args) => {
      const sub = args.positional[1];
      if (sub === undefined) return runSync(args, out);
      if (sub === 'status') return syncStatus(args, out);
      throw new UsageError(`kickass sync has no subcommand ${sub} (see kickass sync --help)`);
    },
  },
};

/** Runs the command line; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, new Set(['help', 'json', 'demo', 'fresh', 'allow-writes']));
  const [name] = args.positional;
  if (name === undefined || name === 'help') {
    out.write(`${HELP}\n`);
    return name === undefined && !args.options.has('help') ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) throw new UsageError(`kickass has no command ${name} (see kickass --help)`);
  if (args.options.has('help')) {
    out.write(`${command.help}\n`);
    return 0;
  }
  return command.run(args);
}

// Until main settles: a run that ends any other way (the event loop drained) did not succeed.
process.exitCode = 1;
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`kickass: ${message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
