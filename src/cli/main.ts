#!/usr/bin/env node
// The kickass command line: `kickass sync --config file`, `kickass sync status --config file`.
import { UsageError, parseArgs } from './args.js';
import { SYNC_HELP, runSync, syncStatus } from './sync-command.js';

const HELP = `Usage: kickass <command> [options]

Commands:
  sync --config <file>          copy MySQL/MariaDB tables into models, then stream the binlog
  sync status --config <file>   where a sync stands against its source

Run kickass <command> --help for a command's options.`;

/** Runs the command line; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, new Set(['help', 'json']));
  const [command, sub] = args.positional;
  if (command === undefined || command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return command === undefined && !args.options.has('help') ? 2 : 0;
  }
  if (command === 'sync') {
    if (args.options.has('help')) {
      process.stdout.write(`${SYNC_HELP}\n`);
      return 0;
    }
    if (sub === undefined) return runSync(args, process.stdout);
    if (sub === 'status') return syncStatus(args, process.stdout);
    throw new UsageError(`kickass sync has no subcommand ${sub} (see kickass sync --help)`);
  }
  throw new UsageError(`kickass has no command ${command} (see kickass --help)`);
}

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
