import { randomBytes } from 'node:crypto';
import { encodeKeyPart } from '../core/keys.js';
import { UniqueViolationError } from './errors.js';
import { uniqueValueKeys } from './keys.js';
import type { ModelInternals } from './model-internals.js';
import type { CompiledUnique } from './schema.js';
import { claimUniqueScript, settleUniqueScript } from './scripts/index.generated.js';

/** Raw stored fields of an object (including hidden `$` fields), or null when it does not exist. */
export type RawObject = Readonly<Record<string, string>> | null;

/** A held claim on a unique value. */
export interface Claim {
  readonly unique: string;
  readonly term: string;
  /** Random hex token of the write; the object stores it as `$u:<unique>` with the value. */
  readonly token: string;
  /** Server time (ms) at which the claim lapses. */
  readonly expiresAt: number;
}

/** A unique value an object held, with the token of the write that took it. */
export interface HeldValue {
  readonly unique: string;
  readonly term: string;
  readonly token: string;
}

/** An owner entry `<token>:<id>` (see settle-unique.lua); a bare id reads as token ''. */
export interface Owner {
  readonly token: string;
  readonly id: string;
}

/** Parses an owner entry; null stays null. */
export function parseOwner(value: string | null): Owner | null {
  if (value === null) return null;
  const match = /^([0-9a-f]*):([\s\S]*)$/.exec(value);
  return match === null ? { token: '', id: value } : { token: match[1] ?? '', id: match[2] ?? '' };
}

/** The hidden object field that stores the token of the write that took a unique value. */
export const tokenField = (unique: string): string => `$u:${unique}`;

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** The term of a unique constraint for a raw object: the same text _object.lua's unique_term makes. */
export function uniqueTerm(internals: ModelInternals, unique: CompiledUnique, raw: RawObject): string | null {
  if (raw === null) return null;
  const parts: string[] = [];
  for (const name of unique.fields) {
    const field = internals.schema.fields.get(name);
    const value = field?.folded === true ? raw[`$t:${name}`] : raw[name];
    if (value === undefined) return null;
    parts.push(value);
  }
  return parts.length === 1 ? (parts[0] as string) : parts.map((p) => encodeKeyPart(p)).join(':');
}

/**
 * The unique values of a model with several partitions live in their own slots (bucketed by
 * value), so a write claims each new value there first (with a random token that the object
 * stores next to the value), writes the object before the claim lapses (the write script refuses
 * after the claim's deadline), then confirms: the owner entry becomes `<token>:<id>`. A write that
 * gives a value up releases only the entry carrying the token its object stored, so an entry that
 * a later write of the same object made is never dropped. Claims and owners whose object turns
 * out not to hold the value (a crash between the steps) are released when met.
 */
export class UniqueClaims {
  readonly #internals: ModelInternals;
  readonly #ttlMs: number;
  readonly #readRaw: (id: string) => Promise<RawObject>;

  constructor(internals: ModelInternals, readRaw: (id: string) => Promise<RawObject>, ttlMs = 10_000) {
    this.#internals = internals;
    this.#readRaw = readRaw;
    this.#ttlMs = ttlMs;
  }

  /** The token with which `id` holds `term` now, or null when it does not hold it. */
  async #heldWith(id: string, unique: CompiledUnique, term: string): Promise<string | null> {
    const raw = await this.#readRaw(id);
    return uniqueTerm(this.#internals, unique, raw) === term ? (raw?.[tokenField(unique.name)] ?? '') : null;
  }

  /** Claims every value; on a conflict gives back what it claimed and throws UniqueViolationError. */
  async claim(id: string, wanted: readonly { unique: CompiledUnique; term: string }[]): Promise<Claim[]> {
    const claims: Claim[] = [];
    try {
      for (const { unique, term } of wanted) claims.push(await this.#claimOne(id, unique, term));
    } catch (error) {
      await this.settle('abandon', id, claims);
      throw error;
    }
    return claims;
  }

  async #claimOne(id: string, unique: CompiledUnique, term: string): Promise<Claim> {
    const token = randomBytes(8).toString('hex');
    const deadline = Date.now() + 2000;
    for (;;) {
      const [status, other, third, fourth] = (await this.#internals.context.scripts.run(claimUniqueScript, uniqueValueKeys(this.#internals, unique.name, term), {
        term,
        id,
        token,
        ttl: this.#ttlMs,
      })) as [string, string | number, string | number | undefined, string | undefined];
      if (status === 'ok') return { unique: unique.name, term, token, expiresAt: Number(other) };
      const holder = String(other);
      if (status === 'owner') {
        if ((await this.#heldWith(holder, unique, term)) !== null) throw new UniqueViolationError(unique.name, holder);
        await this.#settleOne('release', holder, unique.name, term, String(third ?? ''));
      } else if (Number(third) === 1) {
        // a lapsed claim: its write can no longer land; if it did land, finish its confirm for it
        const claimToken = fourth ?? '';
        const held = await this.#heldWith(holder, unique, term);
        await this.#settleOne(held === claimToken ? 'adopt' : 'release', holder, unique.name, term, claimToken);
      } else {
        await sleep(5); // another write holds a live claim: it confirms or gives up within moments
      }
      if (Date.now() > deadline) throw new UniqueViolationError(unique.name, holder);
    }
  }

  async #settleOne(action: 'confirm' | 'adopt' | 'abandon' | 'release' | 'give-up', id: string, unique: string, term: string, token: string): Promise<void> {
    await this.#internals.context.scripts.run(settleUniqueScript, uniqueValueKeys(this.#internals, unique, term), { action, term, id, token });
  }

  /** Confirms claims after a successful write, or abandons them after a failed one. */
  async settle(action: 'confirm' | 'abandon', id: string, claims: readonly Claim[]): Promise<void> {
    await Promise.all(claims.map((c) => this.#settleOne(action, id, c.unique, c.term, c.token)));
  }

  /** Gives up values the object held before a write or delete (with the tokens its object stored). */
  async release(id: string, values: readonly HeldValue[]): Promise<void> {
    await Promise.all(values.map((v) => this.#settleOne('give-up', id, v.unique, v.term, v.token)));
  }
}
