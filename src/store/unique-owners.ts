import { partitionOf } from '../core/keys.js';
import { scanKeys } from '../core/scan.js';
import { uniqueValueKeys } from './keys.js';
import type { PartitionKeys } from './keys.js';
import type { Problem, ProgressListener } from './maintenance-report.js';
import { globEscape } from '../core/keys.js';
import { unknownStructure } from './maintenance-structures.js';
import type { StructurePass } from './maintenance-structures.js';
import type { ModelInternals } from './model-internals.js';
import type { CompiledUnique } from './schema.js';
import { getScript, settleUniqueScript } from './scripts/index.generated.js';
import { parseOwner, tokenField, uniqueTerm } from './unique-claims.js';
import type { Owner, RawObject } from './unique-claims.js';

/** An object and the value it holds of a unique constraint kept outside its partition. */
export interface Holder {
  readonly id: string;
  readonly unique: string;
  readonly term: string;
  /** The token of the write that took the value (`$u:<unique>` in the object, '' for none). */
  readonly token: string;
}


/** A claim value `<expiresAt>:<token>:<id>` (see claim-unique.lua), or null when it is not one. */
function parseClaim(value: string): { expiresAt: number; token: string; id: string } | null {
  const match = /^(\d+):([0-9a-f]+):([\s\S]*)$/.exec(value);
  return match === null ? null : { expiresAt: Number(match[1]), token: match[2] ?? '', id: match[3] ?? '' };
}

type SettleAction = 'adopt' | 'release' | 'abandon';

/** A holder whose write is not the owner entry of its value. */
interface Suspect extends Holder {
  readonly owner: Owner | null;
  /** The owner holds the value too (a duplicate). */
  readonly ownerHolds: boolean;
}

/** How long a finding that crosses slots waits before it is read again. */
const SETTLE_MS = 50;

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** The tag prefix of every unique-value bucket of a model: `{prefix:obj:<keyName>:u`. */
function bucketTagStart(internals: ModelInternals): string {
  return internals.context.keys.slot('obj', internals.schema.keyName, 'u').tag.slice(0, -1);
}

/** Raw stored fields of live objects by id (expired objects read as missing), one read-only call per partition. */
async function readRaw(internals: ModelInternals, ids: readonly string[]): Promise<Map<string, RawObject>> {
  const groups = new Map<number, string[]>();
  for (const id of new Set(ids)) {
    const p = partitionOf(id, internals.schema.partitions);
    const list = groups.get(p);
    if (list) list.push(id);
    else groups.set(p, [id]);
  }
  const scripts = internals.context.scripts;
  const entries = [...groups.entries()];
  const results = await scripts.execMany(
    entries.map(([p, list]) => {
      const keys = internals.partitions[p] as PartitionKeys;
      return scripts.plan(getScript, { ids: keys.ids, expiry: keys.expiry }, { ids: JSON.stringify(list), hidden: '1' });
    }),
  );
  const raws = new Map<string, RawObject>();
  entries.forEach(([, list], g) => {
    const result = results[g];
    if (result === undefined || !result.ok) throw result?.error ?? new Error('missing reply');
    const replies = result.value as (string[] | 0)[];
    list.forEach((id, i) => {
      const flat = replies[i];
      if (flat === undefined || flat === 0) {
        raws.set(id, null);
        return;
      }
      const raw: Record<string, string> = {};
      for (let k = 0; k < flat.length; k += 2) raw[flat[k] as string] = flat[k + 1] as string;
      raws.set(id, raw);
    });
  });
  return raws;
}

/**
 * Checks and repairs the unique values of a model with several partitions, which live in bucket
 * slots of their own (unique-claims.ts): every holder must be the owner of its value, and every
 * owner must hold it. The object and the owner are in different slots, so no single script sees
 * both: a finding is read twice before it is reported, and a repair uses the settle script of the
 * claim protocol, then reads the object again and undoes itself if the object changed meanwhile.
 */
export class UniqueOwners {
  readonly #pass: StructurePass;
  readonly #uniques: ReadonlyMap<string, CompiledUnique>;

  constructor(pass: StructurePass) {
    this.#pass = pass;
    this.#uniques = new Map(pass.internals.schema.uniques.map((u) => [u.name, u]));
  }

  #holds(raw: RawObject | undefined, unique: string, term: string): boolean {
    const compiled = this.#uniques.get(unique);
    return compiled !== undefined && raw !== undefined && uniqueTerm(this.#pass.internals, compiled, raw) === term;
  }

  /** The object holds the value with the token of the same write. */
  #holdsWith(raw: RawObject | undefined, unique: string, term: string, token: string): boolean {
    return this.#holds(raw, unique, term) && (raw?.[tokenField(unique)] ?? '') === token;
  }

  async #settle(action: SettleAction, id: string, unique: string, term: string, token: string): Promise<number> {
    const { internals } = this.#pass;
    return internals.context.scripts.run(settleUniqueScript, uniqueValueKeys(internals, unique, term), { action, term, id, token });
  }

  /** Server time in ms (claims carry server times). */
  async #now(): Promise<number> {
    // ioredis types TIME as numbers; the reply holds strings
    const [seconds = 0, micros = 0] = (await this.#pass.internals.context.client.time()) as unknown as (string | number)[];
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  async #owner(holder: Holder): Promise<Owner | null> {
    return parseOwner(await this.#pass.internals.context.client.hget(uniqueValueKeys(this.#pass.internals, holder.unique, holder.term).owners, holder.term));
  }

  /** Holders whose write is not the owner entry of the value they hold, read with those entries. */
  async #suspects(holders: readonly Holder[]): Promise<Suspect[]> {
    const owners = await Promise.all(holders.map((h) => this.#owner(h)));
    const suspects = holders.flatMap((h, i) => {
      const owner = owners[i] ?? null;
      return owner !== null && owner.id === h.id && owner.token === h.token ? [] : [{ ...h, owner }];
    });
    if (suspects.length === 0) return [];
    const others = suspects.flatMap((s) => (s.owner === null || s.owner.id === s.id ? [] : [s.owner.id]));
    const raws = await readRaw(this.#pass.internals, [...suspects.map((s) => s.id), ...others]);
    return suspects
      .filter((s) => this.#holdsWith(raws.get(s.id), s.unique, s.term, s.token)) // else changed meanwhile: its write settles the value
      .map((s) => ({ ...s, ownerHolds: s.owner !== null && s.owner.id !== s.id && this.#holds(raws.get(s.owner.id), s.unique, s.term) }));
  }

  /** Checks (or makes) every holder the owner of its value. */
  async checkHolders(holders: readonly Holder[]): Promise<void> {
    const { internals, repair, log } = this.#pass;
    const first = await this.#suspects(holders);
    if (first.length === 0) return;
    await sleep(SETTLE_MS); // a write between the steps of the claim protocol settles within moments
    for (const s of await this.#suspects(first)) {
      const { owners: key, claims } = uniqueValueKeys(internals, s.unique, s.term);
      const base = { partition: partitionOf(s.id, internals.schema.partitions), key, id: s.id, index: s.unique, term: s.term };
      // an entry of an earlier write of the same object counts as missing: releasing the value would not find it
      const problem: Problem = s.owner === null || s.owner.id === s.id ? { ...base, kind: 'missing-entry' } : { ...base, kind: 'wrong-unique-owner', owner: s.owner.id };
      if (s.owner !== null && s.ownerHolds) {
        log.add({ ...base, kind: 'duplicate-unique', owner: s.owner.id });
      } else if (!repair) {
        const claim = parseClaim((await internals.context.client.hget(claims, s.term)) ?? '');
        const settling = claim?.id === s.id && claim.token === s.token && claim.expiresAt > (await this.#now()); // its own write is settling it
        if (!settling) log.add(problem);
      } else {
        if (s.owner !== null && s.owner.id !== s.id) await this.#settle('release', s.owner.id, s.unique, s.term, s.owner.token);
        if ((await this.#settle('adopt', s.id, s.unique, s.term, s.token)) === 0) continue;
        log.add(problem);
        const again = await readRaw(internals, [s.id]);
        if (!this.#holdsWith(again.get(s.id), s.unique, s.term, s.token)) await this.#settle('release', s.id, s.unique, s.term, s.token);
      }
    }
  }

  /** Walks the owners and claims hashes of every bucket: owners that do not hold their value, lapsed claims, unknown keys. */
  async checkBuckets(onProgress: ProgressListener | undefined): Promise<void> {
    const { internals } = this.#pass;
    const start = bucketTagStart(internals);
    const shape = /^(\d+)\}:(owners|claims):([^:]+)$/;
    let done = 0;
    for await (const keys of scanKeys(internals.context.client, `${globEscape(start)}*`)) {
      for (const key of keys) {
        const match = shape.exec(key.slice(start.length));
        if (match === null) continue;
        const [, bucket = '0', kind, unique = ''] = match;
        if (!this.#uniques.has(unique)) await unknownStructure(this.#pass, Number(bucket), key);
        else if (kind === 'owners') await this.#walkOwners(key, unique);
        else await this.#walkClaims(key, unique);
        done++;
        onProgress?.({ phase: 'uniques', partition: Number(bucket), done, total: done });
      }
    }
  }

  async #walkHash(key: string, visit: (pairs: [string, string][]) => Promise<void>): Promise<void> {
    let cursor = '0';
    do {
      const [next, flat] = await this.#pass.internals.context.client.hscan(key, cursor, 'COUNT', this.#pass.batchSize);
      cursor = next;
      const pairs: [string, string][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i] as string, flat[i + 1] as string]);
      if (pairs.length > 0) await visit(pairs);
    } while (cursor !== '0');
  }

  async #walkOwners(key: string, unique: string): Promise<void> {
    const { internals, repair, log } = this.#pass;
    const seen = new Set<string>(); // a cursor may return a field twice
    await this.#walkHash(key, async (pairs) => {
      const entries = pairs.map(([term, value]) => ({ term, value, owner: parseOwner(value) as Owner }));
      const raws = await readRaw(internals, entries.map((e) => e.owner.id));
      const stale = entries.filter((e) => !this.#holds(raws.get(e.owner.id), unique, e.term) && !seen.has(e.term));
      if (stale.length === 0) return;
      await sleep(SETTLE_MS); // a write between the steps of the claim protocol settles within moments
      const again = await readRaw(internals, stale.map((e) => e.owner.id));
      const current = await Promise.all(stale.map((e) => internals.context.client.hget(key, e.term)));
      for (const [i, { term, value, owner }] of stale.entries()) {
        const id = owner.id;
        seen.add(term);
        if (current[i] !== value || this.#holds(again.get(id), unique, term)) continue;
        if (repair) {
          if ((await this.#settle('release', id, unique, term, owner.token)) === 0) continue;
          const after = await readRaw(internals, [id]);
          // it took the value again meanwhile under the same write: put its entry back
          if (this.#holdsWith(after.get(id), unique, term, owner.token)) await this.#settle('adopt', id, unique, term, owner.token);
        }
        const reason = again.get(id) === null ? 'missing-object' : 'other-value';
        log.add({ kind: 'stale-entry', partition: partitionOf(id, internals.schema.partitions), key, id, index: unique, term, reason });
      }
    });
  }

  async #walkClaims(key: string, unique: string): Promise<void> {
    const { internals, repair, log } = this.#pass;
    const now = await this.#now();
    await this.#walkHash(key, async (pairs) => {
      const lapsed = pairs.flatMap(([term, value]) => {
        const claim = parseClaim(value);
        return claim !== null && claim.expiresAt <= now ? [{ term, ...claim }] : [];
      });
      if (lapsed.length === 0) return;
      const raws = repair ? await readRaw(internals, lapsed.map((c) => c.id)) : new Map<string, RawObject>();
      for (const claim of lapsed) {
        const base = { partition: partitionOf(claim.id, internals.schema.partitions), id: claim.id, index: unique, term: claim.term };
        if (repair) {
          // A lapsed claim's write can no longer land (the write script refuses after the deadline);
          // if it did land, the holder becomes the owner, as the confirm step it missed would have made it.
          if (this.#holdsWith(raws.get(claim.id), unique, claim.term, claim.token)) {
            const owners = uniqueValueKeys(internals, unique, claim.term).owners;
            const owner = await internals.context.client.hget(owners, claim.term);
            if ((await this.#settle('adopt', claim.id, unique, claim.term, claim.token)) === 1 && owner === null) log.add({ ...base, kind: 'missing-entry', key: owners });
          }
          await this.#settle('abandon', claim.id, unique, claim.term, claim.token);
        }
        log.add({ ...base, kind: 'stale-claim', key });
      }
    });
  }
}
