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
  readonly token: string;
  /** Server time (ms) at which the claim lapses. */
  readonly expiresAt: number;
}

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
 * value), so a write claims each new value there first, writes the object before the claim lapses
 * (the write script refuses after the claim's deadline), then confirms. Claims and owners whose
 * object turns out not to hold the value (a crash between the steps) are evicted when met.
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

  #keys(unique: string, term: string): { owners: string; claims: string } {
    return uniqueValueKeys(this.#internals, unique, term);
  }

  async #holds(id: string, unique: CompiledUnique, term: string): Promise<boolean> {
    return uniqueTerm(this.#internals, unique, await this.#readRaw(id)) === term;
  }

  /** Claims every value; on a conflict gives back what it claimed and throws UniqueViolationError. */
  async claim(id: string, wanted: readonly { unique: CompiledUnique; term: string }[]): Promise<Claim[]> {
    const claims: Claim[] = [];
    try {
      for (const { unique, term } of wanted) {
        const claim = await this.#claimOne(id, unique, term);
        if (claim) claims.push(claim);
      }
    } catch (error) {
      await this.settle('abandon', id, claims);
      throw error;
    }
    return claims;
  }

  async #claimOne(id: string, unique: CompiledUnique, term: string): Promise<Claim | null> {
    const token = randomBytes(8).toString('hex');
    const keys = this.#keys(unique.name, term);
    const deadline = Date.now() + 2000;
    for (;;) {
      const [status, other, expired] = (await this.#internals.context.scripts.run(claimUniqueScript, keys, {
        term,
        id,
        token,
        ttl: this.#ttlMs,
      })) as [string, string | number, number?];
      if (status === 'ok') return { unique: unique.name, term, token, expiresAt: Number(other) };
      if (status === 'owned') return null;
      const holder = String(other);
      if (status === 'owner') {
        if (await this.#holds(holder, unique, term)) throw new UniqueViolationError(unique.name, holder);
        await this.#settleOne('evict', holder, unique.name, term, '');
      } else if (expired === 1) {
        if (await this.#holds(holder, unique, term)) await this.#settleOne('confirm', holder, unique.name, term, '');
        else await this.#settleOne('evict', holder, unique.name, term, '');
      } else if (Date.now() > deadline) {
        throw new UniqueViolationError(unique.name, holder);
      } else {
        await sleep(5); // another write holds a live claim: it confirms or gives up within moments
      }
    }
  }

  async #settleOne(action: 'confirm' | 'release' | 'abandon' | 'evict', id: string, unique: string, term: string, token: string): Promise<void> {
    await this.#internals.context.scripts.run(settleUniqueScript, this.#keys(unique, term), { action, term, id, token });
  }

  /** Confirms claims after a successful write, or abandons them after a failed one. */
  async settle(action: 'confirm' | 'abandon', id: string, claims: readonly Claim[]): Promise<void> {
    await Promise.all(claims.map((c) => this.#settleOne(action, id, c.unique, c.term, c.token)));
  }

  /** Gives up values the object no longer holds. */
  async release(id: string, terms: readonly { unique: string; term: string }[]): Promise<void> {
    await Promise.all(terms.map((t) => this.#settleOne('release', id, t.unique, t.term, '')));
  }
}
