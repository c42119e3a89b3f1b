import calculateSlot from 'cluster-key-slot';
import { isClusterClient } from './connection.js';
import type { RedisClient } from './connection.js';
import { ConnectionError, KickassError, ScriptError } from './errors.js';
import type { ErrorContext } from './errors.js';
import { planScript } from './script.js';
import type { AnyScript, ScriptArgs, ScriptKeys, ScriptPlan, ScriptReply } from './script.js';

/** Builds the typed error for one documented Lua error code; `detail` is the text after the code. */
export type ScriptErrorFactory = (detail: string, context: ErrorContext) => KickassError;

/** Lua error code (e.g. `E_ID_EXHAUSTED`) to typed error, supplied by each component. */
export type ScriptErrorMap = Readonly<Record<string, ScriptErrorFactory>>;

/** Called before every script call; the test harness uses it to assert the single-slot rule. */
export type ScriptCallListener = (plan: ScriptPlan) => void;

/** The outcome of one call in {@link ScriptRunner.execMany}. */
export type ScriptResult = { ok: true; value: unknown } | { ok: false; error: KickassError };

type ScriptInvoker = (...args: (string | Buffer)[]) => Promise<unknown>;

/** The arguments of one script call: [key count,] keys, args. */
function callArgs(plan: ScriptPlan): (string | Buffer)[] {
  const head = plan.script.variadicKeys === true ? [String(plan.keys.length)] : [];
  return [...head, ...plan.keys, ...plan.args];
}

const LUA_ERROR_CODE = /^(E_[A-Z0-9_]+)(?:\s+([\s\S]*))?$/;

/** Converts whatever a script call rejected with into a KickassError subclass. */
export function toKickassError(error: unknown, plan: ScriptPlan, errors: ScriptErrorMap = {}): KickassError {
  if (error instanceof KickassError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const context = { script: plan.script.name, keys: plan.keys };
  const coded = LUA_ERROR_CODE.exec(message);
  if (coded) {
    const [, code = '', detail = ''] = coded;
    const factory = errors[code];
    return factory ? factory(detail, context) : new KickassError(code, detail === '' ? code : detail, { cause: error, context });
  }
  const name = error instanceof Error ? error.name : '';
  if (name === 'ReplyError') return new ScriptError(plan.script.commandName, message, { cause: error, context });
  return new ConnectionError(`Redis call for script ${plan.script.name} failed: ${message}`, { cause: error, context });
}

/**
 * Runs Lua scripts on one client. Each script is registered lazily with ioredis `defineCommand`
 * under its versioned name, so calls use EVALSHA and fall back to EVAL after NOSCRIPT.
 */
export class ScriptRunner {
  readonly #client: RedisClient;
  readonly #defined = new Set<string>();
  readonly #invokers = new Map<string, ScriptInvoker>();
  readonly #listeners = new Set<ScriptCallListener>();

  constructor(client: RedisClient) {
    this.#client = client;
  }

  /** Registers a listener called with every plan before it is sent; returns an unsubscribe function. */
  onCall(listener: ScriptCallListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves named keys and args into a frozen plan, without running it. */
  plan<S extends AnyScript>(script: S, keys: ScriptKeys<S>, args: ScriptArgs<S>): ScriptPlan<S> {
    return planScript(script, keys, args);
  }

  /** Runs a script; documented Lua error codes become the typed errors of `errors`. */
  async run<S extends AnyScript>(
    script: S,
    keys: ScriptKeys<S>,
    args: ScriptArgs<S>,
    errors?: ScriptErrorMap,
  ): Promise<ScriptReply<S>> {
    return this.exec(planScript(script, keys, args), errors);
  }

  /** Runs a plan made by {@link ScriptRunner.plan}. */
  async exec<S extends AnyScript>(plan: ScriptPlan<S>, errors?: ScriptErrorMap): Promise<ScriptReply<S>> {
    this.#assertUsable();
    const invoke = this.#invoker(this.#client, plan.script);
    this.#notify(plan);
    try {
      return (await invoke(...callArgs(plan))) as ScriptReply<S>;
    } catch (error) {
      throw toKickassError(error, plan, errors);
    }
  }

  /** Runs a plan, its bulk replies as Buffers (binary values come back byte for byte). */
  async execBuffers(plan: ScriptPlan, errors?: ScriptErrorMap): Promise<unknown> {
    this.#assertUsable();
    const invoke = this.#invoker(this.#client, plan.script, 'Buffer');
    this.#notify(plan);
    try {
      return await invoke(...callArgs(plan));
    } catch (error) {
      throw toKickassError(error, plan, errors);
    }
  }

  /**
   * Runs many plans in pipelines: one pipeline on a single server, one per slot on a cluster (sent
   * concurrently). Each result is the reply or the typed error of that call; one failure does not
   * fail the others.
   */
  async execMany(plans: readonly ScriptPlan[], errors?: ScriptErrorMap): Promise<ScriptResult[]> {
    this.#assertUsable();
    for (const plan of plans) {
      this.#define(plan.script);
      this.#notify(plan);
    }
    const groups = new Map<number, number[]>();
    plans.forEach((plan, index) => {
      const group = isClusterClient(this.#client) && plan.keys[0] !== undefined ? calculateSlot(plan.keys[0]) : 0;
      const members = groups.get(group);
      if (members) members.push(index);
      else groups.set(group, [index]);
    });
    const results = new Array<ScriptResult>(plans.length);
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        if (indexes.length === 1) {
          // one call: a pipeline would only add its own overhead
          const index = indexes[0] as number;
          results[index] = await this.#settle(plans[index] as ScriptPlan, errors);
          return;
        }
        const pipeline = this.#client.pipeline();
        for (const index of indexes) {
          const plan = plans[index] as ScriptPlan;
          const method = (pipeline as unknown as Record<string, ScriptInvoker | undefined>)[plan.script.commandName];
          if (typeof method !== 'function') throw new ScriptError(plan.script.commandName, 'not defined on the pipeline');
          void method.call(pipeline, ...callArgs(plan));
        }
        let replies: [Error | null, unknown][] | null;
        try {
          replies = await pipeline.exec();
        } catch (error) {
          replies = null;
          for (const index of indexes) results[index] = { ok: false, error: toKickassError(error, plans[index] as ScriptPlan, errors) };
        }
        const unloaded: number[] = [];
        indexes.forEach((index, position) => {
          if (replies === null) return;
          const [error, value] = replies[position] ?? [new Error('missing pipeline reply'), undefined];
          // the script cache was emptied between ioredis' SCRIPT EXISTS check and the pipeline (SCRIPT
          // FLUSH, a restart, a failover): that call did not run, so it is sent again on its own
          if (error?.message.includes('NOSCRIPT') === true) unloaded.push(index);
          results[index] = error ? { ok: false, error: toKickassError(error, plans[index] as ScriptPlan, errors) } : { ok: true, value };
        });
        for (const index of unloaded) results[index] = await this.#settle(plans[index] as ScriptPlan, errors);
      }),
    );
    return results;
  }

  /** Runs one plan on its own (EVALSHA, falling back to EVAL), as a result rather than a throw. */
  async #settle(plan: ScriptPlan, errors: ScriptErrorMap | undefined): Promise<ScriptResult> {
    try {
      return { ok: true, value: await this.#invoker(this.#client, plan.script)(...callArgs(plan)) };
    } catch (error) {
      return { ok: false, error: toKickassError(error, plan, errors) };
    }
  }

  #assertUsable(): void {
    if (this.#client.status === 'end') throw new ConnectionError('the Redis connection is closed');
  }

  #notify(plan: ScriptPlan): void {
    for (const listener of this.#listeners) listener(plan);
  }

  #define(script: AnyScript): void {
    if (this.#defined.has(script.commandName)) return;
    const client = this.#client as unknown as Record<string, unknown>;
    if (typeof client[script.commandName] !== 'function') {
      this.#client.defineCommand(script.commandName, {
        lua: script.source,
        // Variadic scripts are called with the key count first (ioredis numberOfKeys: null).
        ...(script.variadicKeys === true ? {} : { numberOfKeys: script.keys.length }),
        readOnly: script.readOnly,
      });
    }
    this.#defined.add(script.commandName);
  }

  /** The client's method of a script (`suffix` 'Buffer': the variant ioredis defines that replies with Buffers). */
  #invoker(client: RedisClient, script: AnyScript, suffix: '' | 'Buffer' = ''): ScriptInvoker {
    const name = script.commandName + suffix;
    const known = this.#invokers.get(name);
    if (known) return known;
    this.#define(script);
    const method = (client as unknown as Record<string, ScriptInvoker | undefined>)[name];
    if (typeof method !== 'function') throw new ScriptError(script.commandName, 'could not be defined on the client');
    const bound = method.bind(client);
    this.#invokers.set(name, bound);
    return bound;
  }
}
