import { createHash } from 'node:crypto';

/** A value passed to a script as ARGV; numbers and bigints are sent in decimal. */
export type ScriptArg = string | number | bigint | Buffer;

/** The specification of one Lua script, as the build generates it from a `.lua` file header. */
export interface ScriptSpec<K extends readonly string[], A extends readonly string[]> {
  /** Unique name, `<component>_<file>` (e.g. `ids_reserve_block`). */
  readonly name: string;
  /** Names of KEYS[1..n], in order. */
  readonly keys: K;
  /** Names of ARGV[1..n], in order. */
  readonly args: A;
  /** True for `#!lua flags=no-writes` scripts, which may run on replicas. */
  readonly readOnly: boolean;
  /** True when any number of further keys follow the named ones (`KEYS[n..]` in the header). */
  readonly variadicKeys?: boolean;
  /** The Lua source, exactly as sent to Redis. */
  readonly source: string;
}

/** A registered-by-name Lua script whose calls are typed by KEYS/ARGV names and reply type R. */
export interface ScriptDescriptor<K extends readonly string[], A extends readonly string[], R>
  extends ScriptSpec<K, A> {
  /** The versioned command name used with ioredis `defineCommand` (name + source hash). */
  readonly commandName: string;
  /** SHA1 of the source, as Redis computes it for EVALSHA. */
  readonly sha1: string;
  /** Phantom field carrying the reply type; always undefined at run time. */
  readonly reply?: R;
}

/** Any script descriptor, whatever its key, argument and reply types. */
export type AnyScript = ScriptDescriptor<readonly string[], readonly string[], unknown>;

/** The named KEYS of a script call. */
export type ScriptKeys<S> = S extends ScriptDescriptor<infer K, readonly string[], unknown> ? Record<K[number], string> : never;

/** The named ARGV of a script call. */
export type ScriptArgs<S> = S extends ScriptDescriptor<readonly string[], infer A, unknown> ? Record<A[number], ScriptArg> : never;

/** The reply type of a script. */
export type ScriptReply<S> = S extends ScriptDescriptor<readonly string[], readonly string[], infer R> ? R : never;

/** A fully resolved, frozen script call: what is sent to Redis, inspectable by tests. */
export interface ScriptPlan<S extends AnyScript = AnyScript> {
  /** The script to run. */
  readonly script: S;
  /** KEYS in order. */
  readonly keys: readonly string[];
  /** ARGV in order, already converted to strings or buffers. */
  readonly args: readonly (string | Buffer)[];
}

/** Builds a script descriptor; the versioned command name changes whenever the source changes. */
export function defineScript<const K extends readonly string[], const A extends readonly string[], R = unknown>(
  spec: ScriptSpec<K, A>,
): ScriptDescriptor<K, A, R> {
  const sha1 = createHash('sha1').update(spec.source).digest('hex');
  return Object.freeze({ ...spec, sha1, commandName: `kr_${spec.name}_${sha1.slice(0, 12)}` });
}

function argToWire(value: ScriptArg): string | Buffer {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new TypeError(`script argument must be finite, got ${String(value)}`);
  }
  return value.toString();
}

/** Resolves named keys and args into an ordered, frozen plan. */
export function planScript<S extends AnyScript>(script: S, keys: ScriptKeys<S>, args: ScriptArgs<S>): ScriptPlan<S> {
  const keyRecord = keys as Record<string, string | undefined>;
  const argRecord = args as Record<string, ScriptArg | undefined>;
  const orderedKeys = script.keys.map((name) => {
    const key = keyRecord[name];
    if (key === undefined) throw new TypeError(`script ${script.name}: missing key ${name}`);
    return key;
  });
  const orderedArgs = script.args.map((name) => {
    const arg = argRecord[name];
    if (arg === undefined) throw new TypeError(`script ${script.name}: missing argument ${name}`);
    return argToWire(arg);
  });
  return Object.freeze({ script, keys: Object.freeze(orderedKeys), args: Object.freeze(orderedArgs) });
}
