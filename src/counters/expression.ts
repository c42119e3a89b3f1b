import { optionsObject } from '../core/options.js';
import { createHash } from 'node:crypto';
import type { Duration } from '../core/durations.js';
import { parseDuration } from '../core/durations.js';
import { InvalidArgumentError } from '../core/errors.js';
import { combine, popcount } from './bit-batch.js';
import { UnsupportedCounterOperationError } from './errors.js';
import { resultKey, scratchKey, universeKey } from './keys.js';
import { evaluateScript } from './scripts/index.generated.js';
import { idsOfBits } from './counter-internals.js';
import type { CounterInternals } from './counter-internals.js';

/** How an expression is evaluated. */
export interface EvaluateOptions {
  /** How long a result is kept and reused (a server-side result bitmap with this TTL). @defaultValue 60000 (1 minute) */
  readonly ttl?: Duration;
  /** Compute it again even when a kept result is there. @defaultValue false */
  readonly fresh?: boolean;
}

type Node = { readonly k: 'slot'; readonly key: string; readonly of: CounterInternals } | { readonly k: 'and' | 'or' | 'xor'; readonly of: readonly Node[] } | { readonly k: 'not'; readonly of: Node };

const DEFAULT_TTL = 60_000;

function leaves(node: Node, out: Extract<Node, { k: 'slot' }>[] = []): Extract<Node, { k: 'slot' }>[] {
  if (node.k === 'slot') out.push(node);
  else if (node.k === 'not') leaves(node.of, out);
  else for (const child of node.of) leaves(child, out);
  return out;
}

/**
 * A set of ids made of counter slots: one slot (`counter.slot('day', at)`), or slots combined with
 * and, or, xor and not (not: the ids of the universe, every id the operands' groups counted, that
 * are not in it). Slots of one group are combined by one script on the server into a result bitmap
 * kept for `ttl` and reused; slots of several groups (other hash tags) are fetched and combined in
 * the process. Approximate (HyperLogLog) slots only combine with or, within one group.
 */
export class SlotSet<Id extends string | number = number> {
  readonly #node: Node;

  private constructor(node: Node) {
    this.#node = node;
  }

  /** The set of one slot key of a counter. */
  static of<Id extends string | number>(of: CounterInternals, key: string): SlotSet<Id> {
    return new SlotSet<Id>({ k: 'slot', key, of });
  }

  static #join<Id extends string | number>(k: 'and' | 'or' | 'xor', sets: readonly SlotSet<Id>[]): SlotSet<Id> {
    if (sets.length === 0) throw new InvalidArgumentError(k, 'needs at least one set');
    for (const s of sets) if (!(s instanceof SlotSet)) throw new InvalidArgumentError(k, 'takes sets made by counter.slot() or and/or/xor/not');
    return new SlotSet<Id>({ k, of: sets.map((s) => s.#node) });
  }

  /** Ids in every one of the sets. */
  static and<Id extends string | number>(...sets: SlotSet<Id>[]): SlotSet<Id> {
    return SlotSet.#join('and', sets);
  }

  /** Ids in any of the sets. */
  static or<Id extends string | number>(...sets: SlotSet<Id>[]): SlotSet<Id> {
    return SlotSet.#join('or', sets);
  }

  /** Ids in an odd number of the sets. */
  static xor<Id extends string | number>(...sets: SlotSet<Id>[]): SlotSet<Id> {
    return SlotSet.#join('xor', sets);
  }

  /** This set and every one of the others. */
  and(...others: SlotSet<Id>[]): SlotSet<Id> {
    return SlotSet.and(this, ...others);
  }

  /** This set or any of the others. */
  or(...others: SlotSet<Id>[]): SlotSet<Id> {
    return SlotSet.or(this, ...others);
  }

  /** This set xor the others. */
  xor(...others: SlotSet<Id>[]): SlotSet<Id> {
    return SlotSet.xor(this, ...others);
  }

  /** The ids of the universe (every id the operands' groups counted in their id space) not in this set. */
  not(): SlotSet<Id> {
    return new SlotSet<Id>({ k: 'not', of: this.#node });
  }

  /** The operands, after checking that they can be combined. */
  #operands(): Extract<Node, { k: 'slot' }>[] {
    const all = leaves(this.#node);
    const first = (all[0] as Extract<Node, { k: 'slot' }>).of;
    for (const leaf of all) {
      if (leaf.of.space !== first.space) throw new UnsupportedCounterOperationError(`sets of different id spaces (${first.space}, ${leaf.of.space}) cannot be combined: give the counters the same ids option`);
      if (leaf.of.approximate !== first.approximate) throw new UnsupportedCounterOperationError('approximate and exact counters cannot be combined');
    }
    return all;
  }

  #sameGroup(operands: readonly Extract<Node, { k: 'slot' }>[]): boolean {
    const tag = (operands[0] as Extract<Node, { k: 'slot' }>).of.slotKeys.tag;
    return operands.every((o) => o.of.slotKeys.tag === tag);
  }

  /** The number of ids in the set. */
  async count(givenOptions?: EvaluateOptions): Promise<number> {
    const options = optionsObject(givenOptions, 'options');
    const operands = this.#operands();
    const first = (operands[0] as Extract<Node, { k: 'slot' }>).of;
    const { client } = first.context;
    if (first.approximate) {
      if (this.#node.k === 'slot') return client.pfcount(this.#node.key);
      if (this.#node.k !== 'or' || !this.#node.of.every((n) => n.k === 'slot') || !this.#sameGroup(operands)) {
        throw new UnsupportedCounterOperationError('approximate counters only count a slot or an or of slots of one group');
      }
      return client.pfcount(...operands.map((o) => o.key));
    }
    if (this.#node.k === 'slot') return client.bitcount(this.#node.key);
    if (this.#sameGroup(operands)) return (await this.#evaluate(operands, options)).count;
    return popcount(await this.#combineHere(operands));
  }

  /** The ids in the set, in number order (for mapped ids, the order they were first seen). */
  async *members(options: EvaluateOptions = {}): AsyncGenerator<Id> {
    const operands = this.#operands();
    const first = (operands[0] as Extract<Node, { k: 'slot' }>).of;
    if (first.approximate) throw new UnsupportedCounterOperationError('members() needs exact counters; these are approximate (HyperLogLog)');
    for (const id of await idsOfBits(first, await this.bitmap(options))) yield id as Id;
  }

  /**
   * The key of this set in the slot whose hash tag is `tag`: a slot key of that group as it is, or
   * the kept result of the set evaluated there; null when an operand is in another group (or the
   * counters are approximate).
   */
  async keyIn(tag: string, givenOptions?: EvaluateOptions): Promise<string | null> {
    const options = optionsObject(givenOptions, 'options');
    const operands = this.#operands();
    if (operands.some((o) => o.of.approximate || o.of.slotKeys.tag !== tag)) return null;
    if (this.#node.k === 'slot') return this.#node.key;
    return (await this.#evaluate(operands, options)).key;
  }

  /** The set's bitmap (evaluated on the server for one group, else combined here). */
  async bitmap(givenOptions?: EvaluateOptions): Promise<Buffer> {
    const options = optionsObject(givenOptions, 'options');
    const operands = this.#operands();
    const first = (operands[0] as Extract<Node, { k: 'slot' }>).of;
    if (first.approximate) throw new UnsupportedCounterOperationError('bitmap() needs exact counters; these are approximate (HyperLogLog)');
    if (this.#node.k === 'slot') return (await first.context.client.getBuffer(this.#node.key)) ?? Buffer.alloc(0);
    if (!this.#sameGroup(operands)) return this.#combineHere(operands);
    const read = async (fresh: boolean): Promise<Buffer | null> => first.context.client.getBuffer((await this.#evaluate(operands, { ...options, fresh: fresh || options.fresh === true })).key);
    // the kept result may expire between the two calls: compute it once more
    return (await read(false)) ?? (await read(true)) ?? Buffer.alloc(0);
  }

  /** Evaluates the set on the server (operands of one group): its kept result key and count. */
  async #evaluate(operands: readonly Extract<Node, { k: 'slot' }>[], options: EvaluateOptions): Promise<{ key: string; count: number }> {
    const first = (operands[0] as Extract<Node, { k: 'slot' }>).of;
    const ttl = options.ttl === undefined ? DEFAULT_TTL : parseDuration(options.ttl, 'ttl');
    if (ttl <= 0) throw new InvalidArgumentError('ttl', 'must be more than 0');
    const keys = [...new Set(operands.map((o) => o.key))];
    const program: (string | number)[][] = [];
    let scratch = 0;
    const emit = (node: Node): void => {
      if (node.k === 'slot') program.push(['k', keys.indexOf(node.key) + 1]);
      else if (node.k === 'not') {
        emit(node.of);
        program.push(['not']);
        scratch++;
      } else {
        for (const child of node.of) emit(child);
        program.push([node.k, node.of.length]);
        scratch++;
      }
    };
    emit(this.#node);
    const text = JSON.stringify(program);
    const digest = createHash('sha1').update(`${first.space}\n${text}\n${keys.join('\n')}`).digest('hex');
    const key = resultKey(first.slotKeys, digest);
    const plan = first.context.scripts.plan(evaluateScript, { result: key, universe: universeKey(first.slotKeys, first.space) }, { ttl, fresh: options.fresh === true ? '1' : '0', scratch, program: text });
    const scratchKeys = Array.from({ length: scratch }, (_, i) => scratchKey(first.slotKeys, digest, i));
    const count = await first.context.scripts.exec(Object.freeze({ ...plan, keys: Object.freeze([...plan.keys, ...scratchKeys, ...keys]) }));
    return { key, count };
  }

  /** Fetches the operands (and the universes of their groups, for not) and combines them here. */
  async #combineHere(operands: readonly Extract<Node, { k: 'slot' }>[]): Promise<Buffer> {
    const first = (operands[0] as Extract<Node, { k: 'slot' }>).of;
    const { client } = first.context;
    const maps = new Map<string, Buffer>();
    const universes = [...new Set(operands.map((o) => universeKey(o.of.slotKeys, o.of.space)))];
    const fetched = await Promise.all([...new Set([...operands.map((o) => o.key), ...universes])].map(async (key) => [key, (await client.getBuffer(key)) ?? Buffer.alloc(0)] as const));
    for (const [key, value] of fetched) maps.set(key, value);
    const universe = combine(
      'or',
      universes.map((u) => maps.get(u) ?? Buffer.alloc(0)),
    );
    const run = (node: Node): Buffer => {
      if (node.k === 'slot') return maps.get(node.key) ?? Buffer.alloc(0);
      if (node.k === 'not') {
        const x = run(node.of);
        const out = Buffer.alloc(universe.length);
        for (let b = 0; b < universe.length; b++) out[b] = (universe[b] as number) & ~(b < x.length ? (x[b] as number) : 0) & 0xff;
        return out;
      }
      return combine(node.k, node.of.map(run));
    };
    return run(this.#node);
  }
}

/** Ids in every one of the sets. */
export function and<Id extends string | number>(...sets: SlotSet<Id>[]): SlotSet<Id> {
  return SlotSet.and(...sets);
}

/** Ids in any of the sets. */
export function or<Id extends string | number>(...sets: SlotSet<Id>[]): SlotSet<Id> {
  return SlotSet.or(...sets);
}

/** Ids in an odd number of the sets. */
export function xor<Id extends string | number>(...sets: SlotSet<Id>[]): SlotSet<Id> {
  return SlotSet.xor(...sets);
}
/** The ids of the universe not in the set. */
export function not<Id extends string | number>(set: SlotSet<Id>): SlotSet<Id> {
  return set.not();
}
