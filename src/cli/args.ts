/** Parsed command-line arguments: positional words and `--name value` / `--flag` options. */
export interface ParsedArgs {
  readonly positional: readonly string[];
  readonly options: ReadonlyMap<string, string | true>;
}

/** A command-line mistake: printed as one sentence, exit code 2. */
export class UsageError extends Error {}

/** Splits argv into positional words and options; `flags` names the options that take no value. */
export function parseArgs(argv: readonly string[], flags: ReadonlySet<string>): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (!word.startsWith('--')) {
      positional.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = word.slice(2, eq < 0 ? undefined : eq);
    if (eq >= 0) options.set(name, word.slice(eq + 1));
    else if (flags.has(name)) options.set(name, true);
    else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      options.set(name, value);
      i++;
    }
  }
  return { positional, options };
}

/** The value of a `--name value` option, or undefined. */
export function optionValue(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  if (value === true) throw new UsageError(`--${name} needs a value`);
  return value;
}
