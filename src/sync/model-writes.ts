import { ValidationError } from '../store/errors.js';
import { applyStamped } from '../store/stamped-writes.js';
import type { Stamp, StampedChange, StampedModel } from '../store/stamped-writes.js';
import { SyncMappingError } from './errors.js';
import type { CompiledMapping } from './table-mapping.js';
import type { SourceRow } from './source-values.js';

/** What to do with a row that does not fit its model: stop the sync (default), or leave the object out and report it. */
export type InvalidRowPolicy = 'stop' | 'skip';

/** A stamped change and the table it came from (to name it when the model refuses the row). */
interface PendingChange {
  readonly table: string;
  readonly change: StampedChange;
}

/**
 * The stamped writes of one round, per model: rows become whole objects (or deletes), then every
 * model's changes go to Redis at once. A row the mapping or the model refuses stops the round
 * with SyncMappingError, or under the 'skip' policy becomes a delete of its object and a report.
 */
export class ModelWrites {
  readonly #byModel = new Map<StampedModel, PendingChange[]>();
  #count = 0;

  constructor(
    readonly policy: InvalidRowPolicy,
    readonly onInvalid: (error: SyncMappingError) => void,
  ) {}

  /** Changes added so far. */
  get size(): number {
    return this.#count;
  }

  #push(mapping: CompiledMapping, id: string, stamp: Stamp, row: Record<string, unknown> | null): void {
    const list = this.#byModel.get(mapping.model);
    const pending = { table: mapping.name, change: { id, stamp, row } as StampedChange };
    if (list) list.push(pending);
    else this.#byModel.set(mapping.model, [pending]);
    this.#count++;
  }

  /**
   * The row's object (a delete when the filter leaves it out); `before`, when given, is the row
   * before an update, whose object goes if its id changed. `stamp.index` is the row's place in its
   * transaction: its changes take indexes 2i (the old id's delete) and 2i + 1.
   */
  write(mapping: CompiledMapping, row: SourceRow, stamp: Stamp, before: SourceRow | null = null): void {
    if (before !== null) {
      const old = this.#idOrNull(mapping, before);
      const now = this.#idOrNull(mapping, row);
      if (old !== null && old !== now) this.#push(mapping, old, { ...stamp, index: stamp.index * 2 }, null);
    }
    const at = { ...stamp, index: stamp.index * 2 + 1 };
    let mapped;
    try {
      mapped = mapping.map(row);
    } catch (error) {
      if (!(error instanceof SyncMappingError) || this.policy === 'stop') throw error;
      this.onInvalid(error);
      if (error.id !== '') this.#push(mapping, error.id, at, null);
      return;
    }
    this.#push(mapping, mapped.id, at, mapped.input);
  }

  /** The row's object goes (`stamp.index` as in write()). */
  delete(mapping: CompiledMapping, row: SourceRow, stamp: Stamp): void {
    const id = this.#idOrNull(mapping, row);
    if (id !== null) this.#push(mapping, id, { ...stamp, index: stamp.index * 2 + 1 }, null);
  }

  #idOrNull(mapping: CompiledMapping, row: SourceRow): string | null {
    try {
      return mapping.idOf(row);
    } catch (error) {
      if (!(error instanceof SyncMappingError) || this.policy === 'stop') throw error;
      this.onInvalid(error);
      return null;
    }
  }

  /** Writes every model's changes (tombstones older than `prune` dropped on the way); returns how many were applied and skipped. */
  async flush(prune?: Stamp): Promise<{ applied: number; skipped: number }> {
    const reports = await Promise.all([...this.#byModel].map(([model, list]) => this.#flushModel(model, list, prune)));
    this.#byModel.clear();
    this.#count = 0;
    return reports.reduce((a, b) => ({ applied: a.applied + b.applied, skipped: a.skipped + b.skipped }), { applied: 0, skipped: 0 });
  }

  async #flushModel(model: StampedModel, list: PendingChange[], prune: Stamp | undefined): Promise<{ applied: number; skipped: number }> {
    for (;;) {
      try {
        return await applyStamped(model, list.map((p) => p.change), prune);
      } catch (error) {
        const match = error instanceof ValidationError ? /^changes\[(\d+)\]\.(.*)$/.exec(error.field) : null;
        const refused = match === null ? undefined : list[Number(match[1])];
        if (match === null || refused === undefined) throw error;
        const mappingError = new SyncMappingError(refused.table, refused.change.id, match[2] ?? '', (error as ValidationError).reason, { cause: error });
        if (this.policy === 'stop') throw mappingError;
        this.onInvalid(mappingError);
        list[Number(match[1])] = { table: refused.table, change: { ...refused.change, row: null } };
      }
    }
  }
}
