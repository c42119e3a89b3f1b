import { optionsObject } from '../core/options.js';
import type { KickassContext } from '../core/context.js';
import type { ScriptPlan } from '../core/script.js';
import { InvalidArgumentError } from '../core/errors.js';
import { unlinkKeys } from '../core/scan.js';
import { ValidationError, storeScriptErrors } from '../store/errors.js';
import { globEscape } from '../core/keys.js';
import { suggestAddScript, suggestRemoveScript, suggestScript } from '../store/scripts/index.generated.js';
import { createAnalyzer } from './analyzer.js';

/** One suggestion and its score. */
export interface Suggestion {
  readonly text: string;
  readonly score: number;
}

/** Options of {@link Suggester.suggest}. */
export interface SuggestOptions {
  /** Most suggestions to return. @defaultValue 5 */
  readonly limit?: number;
  /** Also suggest texts whose start is one edit (typo) away from the prefix; reads every suggestion. @defaultValue false */
  readonly fuzzy?: boolean;
}

/** Longest suggestion text, in characters. */
export const MAX_SUGGESTION_LENGTH = 1024;
const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
/** Suggestions per script call. */
const BATCH = 1000;
const FOLDER = createAnalyzer({ language: 'none' });

/** The form suggestions are matched in: Unicode-compatible, lower case, without accents, single spaces. */
export function foldSuggestion(text: string): string {
  return (FOLDER.prefix(text.trim().replace(/\s+/gu, ' ')) ?? '').trim();
}

function checkText(text: unknown, field: string): string {
  if (typeof text !== 'string' || !text.isWellFormed() || text.length > MAX_SUGGESTION_LENGTH || foldSuggestion(text) === '') {
    throw new ValidationError(field, `must be a well-formed string of 1-${String(MAX_SUGGESTION_LENGTH)} characters with something besides spaces`);
  }
  return text;
}

/**
 * An autocomplete index: texts with scores, suggested best-scored first for a typed prefix
 * (case, accents and spacing ignored; optionally one typo), in one hash slot.
 */
export class Suggester {
  readonly #context: KickassContext;
  readonly #scores: string;
  readonly #tag: string;
  /** The suggester's name. */
  readonly name: string;

  constructor(context: KickassContext, name: string) {
    if (typeof name !== 'string' || !NAME.test(name)) throw new InvalidArgumentError('name', 'must be 1-64 characters of A-Z, a-z, 0-9, "_", ".", "-", starting with a letter');
    const slot = context.keys.slot('sug', name);
    this.#context = context;
    this.#tag = slot.tag;
    this.#scores = slot.key('scores');
    this.name = name;
  }

  async #add(items: readonly { readonly text: string; readonly score: number }[], mode: 'set' | 'incr'): Promise<number> {
    const list: unknown = items;
    if (!Array.isArray(list)) throw new ValidationError('items', 'must be an array of { text, score }');
    const args: string[] = [];
    items.forEach((item, i) => {
      const text = checkText((item as { text?: unknown } | null)?.text, `items[${String(i)}].text`);
      const score = (item as { score?: unknown }).score;
      if (typeof score !== 'number' || !Number.isFinite(score)) throw new ValidationError(`items[${String(i)}].score`, 'must be a finite number');
      args.push(foldSuggestion(text), text, String(score));
    });
    return this.#batched(args, 3, (chunk) => {
      const plan = this.#context.scripts.plan(suggestAddScript, { scores: this.#scores }, { mode });
      return Object.freeze({ ...plan, args: Object.freeze([...plan.args, ...chunk]) });
    });
  }

  /** Sends `args` in calls of at most BATCH groups of `width` arguments, pipelined; sums the replies. */
  async #batched(args: readonly string[], width: number, plan: (chunk: readonly string[]) => ScriptPlan): Promise<number> {
    const plans: ScriptPlan[] = [];
    for (let at = 0; at < args.length; at += BATCH * width) plans.push(plan(args.slice(at, at + BATCH * width)));
    let sum = 0;
    for (const result of await this.#context.scripts.execMany(plans, storeScriptErrors)) {
      if (!result.ok) throw result.error;
      sum += Number(result.value);
    }
    return sum;
  }

  /** Adds a suggestion or replaces its score (and display text); resolves true when it was new. */
  async add(text: string, score = 1): Promise<boolean> {
    return (await this.#add([{ text, score }], 'set')) === 1;
  }

  /** Adds suggestions or replaces their scores; resolves to the number that were new. */
  addMany(items: readonly { readonly text: string; readonly score: number }[]): Promise<number> {
    return this.#add(items, 'set');
  }

  /** Adds `by` to a suggestion's score (a new one starts at 0); resolves true when it was new. */
  async increment(text: string, by = 1): Promise<boolean> {
    return (await this.#add([{ text, score: by }], 'incr')) === 1;
  }

  /** Removes suggestions (matched in folded form); resolves to the number removed. */
  remove(...texts: string[]): Promise<number> {
    const folded = texts.map((text, i) => foldSuggestion(checkText(text, `texts[${String(i)}]`)));
    return this.#batched(folded, 1, (chunk) => {
      const plan = this.#context.scripts.plan(suggestRemoveScript, { scores: this.#scores }, {});
      return Object.freeze({ ...plan, args: Object.freeze([...plan.args, ...chunk]) });
    });
  }

  /** The best-scored suggestions starting with `prefix` (ties by folded text); none for an empty prefix. */
  async suggest(prefix: string, given?: SuggestOptions): Promise<Suggestion[]> {
    const options = optionsObject(given);
    if (typeof prefix !== 'string' || !prefix.isWellFormed() || prefix.length > MAX_SUGGESTION_LENGTH) throw new ValidationError('prefix', 'must be a well-formed string');
    const limit = options.limit ?? 5;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError('limit', 'must be an integer from 1 to 1000');
    const folded = prefix.replace(/^\s+/u, '').length === 0 ? '' : (FOLDER.prefix(prefix.replace(/^\s+/u, '').replace(/\s+/gu, ' ')) ?? '');
    if (folded === '') return [];
    const reply = await this.#context.scripts.exec(this.#context.scripts.plan(suggestScript, { scores: this.#scores }, { prefix: folded, limit, fuzzy: options.fuzzy === true ? '1' : '0' }), storeScriptErrors);
    const out: Suggestion[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push({ text: reply[i] as string, score: Number(reply[i + 1]) });
    return out;
  }

  /** The number of suggestions. */
  size(): Promise<number> {
    return this.#context.client.zcard(this.#scores);
  }

  /** Deletes every suggestion; resolves to the number of keys removed. */
  drop(): Promise<number> {
    return unlinkKeys(this.#context.client, `${globEscape(this.#tag)}:*`);
  }
}
