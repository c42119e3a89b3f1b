import type { Connection } from 'mysql2/promise';
import type { KickassContext } from '../core/context.js';
import { stableHash } from '../core/keys.js';
import { sweepOlderThan } from '../store/stamped-writes.js';
import type { BinlogSource } from './binlog-stream.js';
import { streamChanges } from './change-stream.js';
import type { AppliedRound } from './change-stream.js';
import { SyncConfigError } from './errors.js';
import type { SyncMappingError } from './errors.js';
import { copyTables } from './snapshot-copy.js';
import type { CopyProgress } from './snapshot-copy.js';
import { checkSource } from './source-check.js';
import { readTableShapes } from './source-tables.js';
import { connectSource } from './source-values.js';
import { loadState, saveState } from './sync-state.js';
import { classifyStatement } from './statements.js';
import { isTransient } from './transient-errors.js';
import type { StreamPosition, SyncState } from './sync-state.js';
import { compileMapping } from './table-mapping.js';
import type { CompiledMapping, TableMapping } from './table-mapping.js';
import { checkSyncOptions, parseSource, tableName } from './sync-options.js';
import type { SyncOptions } from './sync-options.js';

/** What a running sync reports about itself. */
export interface SyncStatus {
  readonly phase: 'idle' | 'snapshot' | 'sweep' | 'stream' | 'retrying' | 'stopped' | 'failed';
  readonly epoch: number;
  /** Where the stream resumes: the position after the last transaction applied. */
  readonly position: StreamPosition | null;
  /** The copy's progress while one runs. */
  readonly snapshot: CopyProgress | null;
  /** Transactions and row changes applied from the stream in this epoch. */
  readonly transactions: number;
  readonly changes: number;
  /** For the last round applied: from reading its first transaction to having written it (ms). */
  readonly lagMs: number;
  /** When the source committed the last transaction applied (ms, whole seconds) and when it was applied. */
  readonly committedAt: number;
  readonly appliedAt: number;
}

/** The events of a sync and what each listener receives. */
export interface SyncEvents {
  /** A chunk of the copy was written. */
  snapshot: CopyProgress;
  /** A round of transactions was written and the checkpoint moved past it. */
  applied: AppliedRound;
  /** The sync takes a new copy: the binlog position is gone (purged), went back, or a DDL statement changed a mapped table. */
  resnapshot: { readonly reason: string };
  /** A row did not fit its model and was left out (policy 'skip'). */
  invalid: SyncMappingError;
  /** The phase changed. */
  phase: { readonly phase: SyncStatus['phase'] };
  /** A connection was lost: the sync tries again from its checkpoint after `delayMs`. */
  retry: { readonly error: Error; readonly attempt: number; readonly delayMs: number };
}

type Listener<E extends keyof SyncEvents> = (payload: SyncEvents[E]) => void;

/** Rows per snapshot chunk. */
const DEFAULT_CHUNK = 1000;
/** Most row changes applied per round. */
const DEFAULT_ROUND = 5000;

/**
 * Keeps store models equal to MySQL/MariaDB tables: a consistent copy, then the binlog's row
 * changes from the copy's exact position, each written as a stamped write (see store/stamped-writes)
 * so that a change repeated after a crash or restart is skipped and the objects end as the source
 * rows are. The checkpoint (position, copy progress) is saved in Redis once the writes it covers
 * are acknowledged. A position the binlog no longer holds, or a DDL statement that changes what
 * feeds a model, starts a new epoch: a full copy, then a sweep of the objects it did not write.
 */
export class Sync {
  readonly name: string;
  readonly #context: KickassContext;
  readonly #options: SyncOptions;
  readonly #source: BinlogSource;
  readonly #serverId: number;
  readonly #listeners = new Map<keyof SyncEvents, Set<(payload: never) => void>>();
  #mappings = new Map<string, CompiledMapping>();
  #status: SyncStatus = { phase: 'idle', epoch: 0, position: null, snapshot: null, transactions: 0, changes: 0, lagMs: 0, committedAt: 0, appliedAt: 0 };
  #stop: () => void = () => undefined;
  readonly #stopped: Promise<void>;
  #stopping = false;
  #running: Promise<void> | null = null;

  constructor(context: KickassContext, options: SyncOptions) {
    checkSyncOptions(options);
    this.name = options.name;
    this.#context = context;
    this.#options = options;
    this.#source = parseSource(options.source);
    this.#serverId = options.serverId ?? 0x40000000 + (stableHash(`sync\0${options.name}`) % 0x3fffffff);
    this.#stopped = new Promise((resolve) => {
      this.#stop = resolve;
    });
  }

  /** Adds an event listener. */
  on<E extends keyof SyncEvents>(event: E, listener: Listener<E>): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }

  #emit<E extends keyof SyncEvents>(event: E, payload: SyncEvents[E]): void {
    for (const listener of this.#listeners.get(event) ?? []) (listener as Listener<E>)(payload);
  }

  /** What the sync is doing and how far it has come. */
  status(): SyncStatus {
    return this.#status;
  }

  #setStatus(patch: Partial<SyncStatus>): void {
    const phaseChanged = patch.phase !== undefined && patch.phase !== this.#status.phase;
    this.#status = { ...this.#status, ...patch };
    if (phaseChanged) this.#emit('phase', { phase: this.#status.phase });
  }

  #fromState(state: SyncState): Partial<SyncStatus> {
    return { epoch: state.epoch, position: state.position, transactions: state.transactions, changes: state.changes, committedAt: state.committedAt, appliedAt: state.appliedAt };
  }

  /**
   * Checks the source and the mappings, copies the tables when the checkpoint says so (the first
   * start, an unfinished copy, a new epoch), then streams the binlog until stop(). Resolves once
   * stopped; rejects with SyncSourceError, SyncConfigError, SyncMappingError or a connection error.
   */
  run(): Promise<void> {
    this.#running ??= this.#run().then(
      () => {
        this.#setStatus({ phase: 'stopped' });
      },
      (error: unknown) => {
        this.#setStatus({ phase: 'failed' });
        throw error;
      },
    );
    return this.#running;
  }

  /** Asks the sync to stop after the round in hand (its checkpoint saved) and waits until it has. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#stop();
    await this.#running?.catch(() => undefined);
  }

  async #compile(connection: Connection): Promise<Map<string, CompiledMapping>> {
    const names = Object.keys(this.#options.tables).sort();
    const shapes = await readTableShapes(connection, names.map(tableName));
    return new Map(names.map((name, i) => [name, compileMapping(name, this.#options.tables[name] as TableMapping, shapes[i] ?? null)]));
  }

  /** The epoch's identity: which tables feed which models (another set needs a new copy). */
  #tableSet(): string[] {
    return [...this.#mappings.values()].map((m) => `${m.name}>${m.model.name}`);
  }

  /** Runs attempts until stopped: a lost connection (source or Redis) is retried from the checkpoint after a growing delay. */
  async #run(): Promise<void> {
    const maxDelay = this.#options.retryDelayMs ?? 30_000;
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      try {
        await this.#attempt();
        return;
      } catch (error) {
        if (this.#stopping || !isTransient(error) || attempt > (this.#options.retries ?? Infinity)) throw error;
        // an attempt that ran a while starts the delays over
        if (Date.now() - started > maxDelay) attempt = 1;
        const delayMs = Math.min(maxDelay, 250 * 2 ** (attempt - 1));
        this.#setStatus({ phase: 'retrying' });
        this.#emit('retry', { error: error as Error, attempt, delayMs });
        await Promise.race([new Promise((resolve) => setTimeout(resolve, delayMs)), this.#stopped]);
      }
    }
  }

  /** One attempt: connect, check, then the phases the checkpoint asks for until stopped. */
  async #attempt(): Promise<void> {
    const connection = await connectSource(this.#source);
    try {
      const info = await checkSource(connection);
      await connection.query("SET SESSION time_zone = '+00:00'");
      this.#mappings = await this.#compile(connection);
      let state = await loadState(this.#context, this.name);
      const tables = this.#tableSet();
      if (state === null || JSON.stringify(state.tables) !== JSON.stringify(tables)) state = this.#newEpoch(state, tables);
      const save = (next: SyncState): Promise<void> => saveState(this.#context, this.name, next);
      for (;;) {
        this.#setStatus({ ...this.#fromState(state), phase: state.phase });
        if (this.#stopping) return;
        if (state.phase === 'snapshot') {
          state = await copyTables(
            {
              connection,
              flavor: info.flavor,
              mappings: [...this.#mappings.values()],
              chunkSize: this.#options.chunkSize ?? DEFAULT_CHUNK,
              policy: this.#options.invalidRows ?? 'stop',
              onInvalid: (error) => { this.#emit('invalid', error); },
              onProgress: (progress) => {
                this.#setStatus({ snapshot: progress });
                this.#emit('snapshot', progress);
              },
              save,
              stopping: () => this.#stopping,
            },
            state,
          );
          continue;
        }
        if (state.phase === 'sweep') {
          const before = { epoch: state.epoch, ordinal: state.snapshot?.firstOrdinal ?? 0, index: 0 };
          for (const model of new Set([...this.#mappings.values()].map((m) => m.model))) await sweepOlderThan(model, before);
          state = { ...state, phase: 'stream', snapshot: null };
          await save(state);
          this.#setStatus({ snapshot: null });
          continue;
        }
        const end = await streamChanges(
          {
            source: this.#source,
            serverId: this.#serverId,
            mappings: () => this.#mappings,
            maxChanges: this.#options.maxChanges ?? DEFAULT_ROUND,
            policy: this.#options.invalidRows ?? 'stop',
            onInvalid: (error) => { this.#emit('invalid', error); },
            onApplied: (round) => {
              this.#setStatus({ lagMs: round.appliedAt - round.receivedAt });
              this.#emit('applied', round);
            },
            onStatement: (statement) => this.#onStatement(connection, statement),
            save: async (next) => {
              await save(next);
              this.#setStatus(this.#fromState(next));
            },
            stopped: this.#stopped,
          },
          state,
        );
        state = end.state;
        if (end.reason === 'stopped') return;
        this.#emit('resnapshot', { reason: end.cause });
        state = this.#newEpoch(state, this.#tableSet());
        await save(state);
      }
    } finally {
      await connection.end().catch(() => undefined);
    }
  }

  /** The state that starts a new epoch: a full copy, from the first table. */
  #newEpoch(previous: SyncState | null, tables: string[]): SyncState {
    return {
      epoch: (previous?.epoch ?? 0) + 1,
      phase: 'snapshot',
      tables,
      position: previous?.position ?? { gtid: '', file: '', offset: 0 },
      snapshot: null,
      transactions: 0,
      changes: 0,
      committedAt: previous?.committedAt ?? 0,
      appliedAt: previous?.appliedAt ?? 0,
    };
  }

  /**
   * A DDL statement of the source: when it names a mapped table, the mappings are checked again
   * against the new columns (a mapping that no longer fits stops the sync with SyncConfigError);
   * when what feeds a model changed (a fed column added, dropped or retyped; TRUNCATE), the
   * objects need a new copy.
   */
  async #onStatement(connection: Connection, statement: string): Promise<'continue' | 'resnapshot'> {
    const kind = classifyStatement(statement, [...this.#mappings.values()].map((m) => m.shape.table));
    if (kind === 'other') return 'continue';
    if (kind === 'truncate') return 'resnapshot';
    let next: Map<string, CompiledMapping>;
    try {
      next = await this.#compile(connection);
    } catch (error) {
      if (error instanceof SyncConfigError) {
        throw new SyncConfigError(error.field, `${error.reason} (after the source ran: ${statement.slice(0, 200)})`, { cause: error });
      }
      throw error;
    }
    const changed = [...next].some(([name, mapping]) => this.#mappings.get(name)?.signature !== mapping.signature);
    this.#mappings = next;
    return changed ? 'resnapshot' : 'continue';
  }
}
