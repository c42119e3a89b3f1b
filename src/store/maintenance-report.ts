/** The kinds of inconsistency `verify()` finds and `reindex()` repairs. */
export const PROBLEM_KINDS = [
  /** A live object's value calls for an index entry that is not there (set member, score, lexical member, unique owner, compound entry). */
  'missing-entry',
  /** A sorted-set entry exists with a score other than the one the object's value calls for. */
  'wrong-score',
  /** An index holds an entry the object it names does not call for (other value, field unset, or no object). */
  'stale-entry',
  /** A unique hash maps an object's value to another id that does not hold it (or holds it but has expired). */
  'wrong-unique-owner',
  /** Two live objects hold the same unique value: a broken constraint that reindex() leaves for a person to resolve. */
  'duplicate-unique',
  /** A case-insensitive field has a value but not its folded term (`$t:<field>`), so it is in no index. */
  'missing-term',
  /** The ids set holds an id that has no object hash. */
  'orphan-id',
  /** An object hash whose id is not in the ids set (get() finds it, queries and scans do not). */
  'orphan-hash',
  /** An expiry entry for an id that has no object hash. */
  'orphan-expiry',
  /** An object past its expiry time whose hash and entries are still stored (sweepExpired() or reindex() removes them). */
  'expired-object',
  /** A key in the model's index namespace that the schema does not define (an index since removed, a wrong type). */
  'unknown-structure',
  /** A lapsed unique-value claim (models with several partitions) left by a write that never settled it. */
  'stale-claim',
  /** A text term has postings but is not in its field's term dictionary (prefix and fuzzy words miss it). */
  'missing-dictionary-term',
  /** A text term's tf bound is below a posting's tf (top-k reads could stop too early). */
  'low-tf-bound',
  /** A big text term's head or posting count disagrees with its postings (top-k reads could miss a hit). */
  'wrong-text-head',
] as const;

/** One kind of inconsistency. */
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

interface ProblemBase {
  /** The partition of the object concerned, or for unique-value buckets (several partitions) the bucket number. */
  readonly partition: number;
  /** The Redis key of the structure (or object hash, ids or expiry set) concerned. */
  readonly key: string;
}

/** An inconsistency between an object and the structures that index it, as a typed record. */
export type Problem = ProblemBase &
  (
    | {
        readonly kind: 'missing-entry';
        readonly id: string;
        /** The field, compound index or unique constraint. */
        readonly index: string;
        /** The indexed text (term, number, unique term, last compound field). */
        readonly term: string;
      }
    | {
        readonly kind: 'wrong-score';
        readonly id: string;
        readonly index: string;
        readonly term: string;
        readonly expected: number;
        readonly actual: number;
      }
    | {
        readonly kind: 'stale-entry';
        /** The id the entry names ('' when the member cannot be read as an entry at all). */
        readonly id: string;
        readonly index: string;
        /** What the entry says: the term, score or unique term ('' when unknown). */
        readonly term: string;
        readonly reason: 'missing-object' | 'other-value';
      }
    | {
        readonly kind: 'wrong-unique-owner' | 'duplicate-unique';
        /** The object that holds the value. */
        readonly id: string;
        readonly index: string;
        readonly term: string;
        /** The id the unique hash names instead. */
        readonly owner: string;
      }
    | { readonly kind: 'missing-term'; readonly id: string; readonly index: string }
    | { readonly kind: 'stale-claim'; readonly id: string; readonly index: string; readonly term: string }
    | { readonly kind: 'orphan-id' | 'orphan-hash' | 'orphan-expiry' | 'expired-object'; readonly id: string }
    | { readonly kind: 'unknown-structure' }
    | {
        readonly kind: 'missing-dictionary-term' | 'low-tf-bound' | 'wrong-text-head';
        /** The text field. */
        readonly index: string;
        readonly term: string;
      }
  );

/** Progress of verify() and reindex(). */
export interface MaintenanceProgress {
  /**
   * `uniques`: the unique-value buckets of a model with several partitions (partition = bucket);
   * `indexes`: the index structures of a partition (done/total count structures, total grows as
   * the key scan finds more); `objects`: the objects of a partition in id order.
   */
  readonly phase: 'uniques' | 'indexes' | 'objects';
  readonly partition: number;
  readonly done: number;
  readonly total: number;
}

/** Called after every batch; an error thrown here stops the run (reindex() resumes from its last batch). */
export type ProgressListener = (progress: MaintenanceProgress) => void;

/** Counts every problem and keeps the first `limit` of them. */
export class ProblemLog {
  readonly counts: Record<ProblemKind, number> = Object.fromEntries(PROBLEM_KINDS.map((k) => [k, 0])) as Record<ProblemKind, number>;
  readonly kept: Problem[] = [];
  /** The first `limit` duplicate-unique problems, which a repair cannot resolve. */
  readonly unresolved: Problem[] = [];
  readonly #limit: number;
  /** Term-level problems logged (a big term's buckets each find its term's problem): logged once. */
  readonly #terms = new Set<string>();
  total = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  add(problem: Problem): void {
    if (problem.kind === 'missing-dictionary-term' || problem.kind === 'low-tf-bound' || problem.kind === 'wrong-text-head') {
      const signature = `${problem.kind}\n${String(problem.partition)}\n${problem.index}\n${problem.term}`;
      if (this.#terms.has(signature)) return;
      this.#terms.add(signature);
    }
    this.counts[problem.kind]++;
    this.total++;
    const frozen = Object.freeze(problem);
    if (this.kept.length < this.#limit) this.kept.push(frozen);
    if (problem.kind === 'duplicate-unique' && this.unresolved.length < this.#limit) this.unresolved.push(frozen);
  }

  /** True when more problems were found than kept. */
  get truncated(): boolean {
    return this.total > this.kept.length;
  }
}
