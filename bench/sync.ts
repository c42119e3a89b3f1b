/**
 * Scenario "sync": MySQL/MariaDB to Redis, on a private MariaDB 10.11 the scenario starts (ROW
 * binlog, FULL row metadata). A table of 50,000 orders (id, customer, status, total DECIMAL,
 * updated DATETIME(3), note) goes into a model with 3 indexes (customer and status equality,
 * total sorted). Ours: `kr.sync()`, the copy timed from its start to its end; then a binlog backlog of
 * 50,000 row changes (half updates, 30% inserts, 20% deletes, 10 per transaction) made while the
 * sync was stopped, timed from the restart until it has caught up; then the lag at 1,000 changes/s
 * (a transaction of 10 changes every 10 ms for 10 s): from the moment the writer's COMMIT returns to
 * the moment the sync has written the transaction. The hand-built sync in the same run
 * (bench/sync-naive.ts): one HSET per row, no index, no checkpoint, the same binlog reader.
 */
import mysql from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import { Redis } from 'ioredis';
import { MariaDbServer } from '../harness/mariadb-server.js';
import { kickass } from '../src/kickass.js';
import type { Kickass } from '../src/kickass.js';
import { t } from '../src/store/fields.js';
import type { Sync } from '../src/sync/sync.js';
import { seededRandom } from './data/random.js';
import { NaiveStream, naiveCopy } from './sync-naive.js';
import { makeRow } from './stats.js';
import type { BenchContext, BenchRow, BenchScenario } from './types.js';

const ROWS = 50_000;
const BACKLOG = 50_000;
const PER_TRANSACTION = 10;
const LAG_RATE = 1_000;
const LAG_MS = 10_000;
const STATUSES = ['new', 'paid', 'shipped', 'returned'];

/** The sequence number of a single-domain MariaDB GTID position ('0-1-1234' -> 1234). */
const sequence = (gtid: string): number => Number(gtid.split('-').at(-1));

function orderModel(kr: Kickass, name: string) {
  return kr.model(name, { customer: t.string().index(), status: t.string().index(), total: t.number().sortable(), updated: t.date(), note: t.string() });
}

/** Writes the changes of the backlog (or of the lag test): updates, inserts and deletes of orders. */
class Writer {
  #next: number;
  readonly #random = seededRandom(7);

  constructor(
    readonly connection: Connection,
    first: number,
  ) {
    this.#next = first;
  }

  #statement(): string {
    const r = this.#random();
    const id = 1 + Math.floor(this.#random() * this.#next);
    const total = (this.#random() * 1000).toFixed(2);
    const status = STATUSES[Math.floor(this.#random() * STATUSES.length)] as string;
    if (r < 0.5) return `UPDATE orders SET status = '${status}', total = ${total}, updated = NOW(3) WHERE id = ${String(id)}`;
    if (r < 0.8) return `INSERT INTO orders VALUES (${String(++this.#next)}, 'c${String(id % 5000)}', '${status}', ${total}, NOW(3), 'note ${String(id)}')`;
    return `DELETE FROM orders WHERE id = ${String(id)}`;
  }

  /** The SQL of one transaction of `n` changes. */
  sql(n: number): string {
    return `BEGIN; ${Array.from({ length: n }, () => this.#statement()).join('; ')}; COMMIT`;
  }

  /** One transaction of `n` changes; resolves with its GTID sequence number once committed. */
  async transaction(n: number): Promise<number> {
    const [results] = await this.connection.query(`${this.sql(n)}; SELECT @@last_gtid AS gtid`);
    const last = (results as unknown[]).at(-1) as { gtid: string }[];
    return sequence(String(last[0]?.gtid));
  }
}

/** Runs a sync until it has applied the source's current position; returns the seconds it took. */
async function untilCaughtUp(sync: Sync, target: string): Promise<number> {
  const start = performance.now();
  const running = sync.run();
  await new Promise<void>((resolve, reject) => {
    running.catch(reject);
    const check = (): void => {
      if (sync.status().phase === 'stream' && sync.status().position?.gtid === target) resolve();
      else setTimeout(check, 5);
    };
    check();
  });
  return (performance.now() - start) / 1000;
}

/** Lags (ms) of transactions written at `LAG_RATE` changes/s while `applied` hears the positions applied. */
async function paced(writer: Writer, listen: (onApplied: (gtid: string, at: number) => void) => void): Promise<number[]> {
  const committed = new Map<number, number>();
  const lags: number[] = [];
  listen((gtid, at) => {
    const upTo = sequence(gtid);
    for (const [seq, time] of committed) {
      if (seq <= upTo) {
        lags.push(at - time);
        committed.delete(seq);
      }
    }
  });
  const every = (PER_TRANSACTION / LAG_RATE) * 1000;
  const start = Date.now();
  for (let i = 0; i < LAG_MS / every; i++) {
    const wait = start + i * every - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const seq = await writer.transaction(PER_TRANSACTION);
    committed.set(seq, Date.now());
  }
  const deadline = Date.now() + 10_000;
  while (committed.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return lags.sort((a, b) => a - b);
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

const scenario: BenchScenario = {
  name: 'sync',
  description: `MariaDB to Redis: copy of ${String(ROWS)} rows into a model with 3 indexes, a ${String(BACKLOG)}-change binlog backlog, lag at ${String(LAG_RATE)} changes/s; ours vs a hand-built sync (HSET per row, no index)`,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    ctx.log('starting MariaDB');
    const server = await MariaDbServer.start();
    const source = { host: server.host, port: server.port, user: 'root' };
    const connection = await mysql.createConnection({ ...source, multipleStatements: true });
    const redis = new Redis(ctx.url);
    const kr = kickass({ connection: ctx.url, prefix: ctx.prefix });
    const v = { copy: [] as number[], naiveCopy: [] as number[], stream: [] as number[], naiveStream: [] as number[], p50: [] as number[], p95: [] as number[], p99: [] as number[], naiveP95: [] as number[] };
    try {
      await connection.query('CREATE DATABASE bench; USE bench; CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(20) NOT NULL, status VARCHAR(10) NOT NULL, total DECIMAL(10,2) NOT NULL, updated DATETIME(3) NOT NULL, note VARCHAR(100))');
      for (let i = 0; i < ROWS; i += 5000) {
        const values = Array.from({ length: 5000 }, (_, k) => `(${String(i + k + 1)}, 'c${String((i + k) % 5000)}', '${STATUSES[(i + k) % 4] ?? 'new'}', ${String((i + k) % 1000)}.25, '2026-01-01 00:00:00.000', 'order ${String(i + k)}')`);
        await connection.query(`INSERT INTO orders VALUES ${values.join(', ')}`);
      }
      const writer = new Writer(connection, ROWS);
      for (let run = 0; run < ctx.runs; run++) {
        const Order = orderModel(kr, `order${String(run)}`);
        const options = { name: `bench${String(run)}`, source, tables: { 'bench.orders': { model: Order } }, chunkSize: 2000 };
        // the copy
        const rows = Number((await connection.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM orders'))[0][0]?.n);
        let sync = kr.sync(options);
        let copyStart = 0;
        let copySeconds = 0;
        sync.on('phase', ({ phase }) => {
          if (phase === 'snapshot') copyStart = performance.now();
          if (phase === 'sweep') copySeconds = (performance.now() - copyStart) / 1000;
        });
        await untilCaughtUp(sync, await gtidNow(connection));
        await sync.stop();
        v.copy.push(rows / copySeconds);
        v.naiveCopy.push(rows / (await timed(() => naiveCopy(connection, redis, 'bench.orders', `{${ctx.prefix}:naive${String(run)}}`))));
        ctx.log(`run ${String(run + 1)}: copy ${String(Math.round(v.copy.at(-1) ?? 0))} rows/s, naive ${String(Math.round(v.naiveCopy.at(-1) ?? 0))}`);

        // the backlog
        const from = sync.status().position?.gtid ?? '';
        for (let i = 0; i < BACKLOG; i += PER_TRANSACTION * 20) await connection.query(Array.from({ length: 20 }, () => writer.sql(PER_TRANSACTION)).join('; '));
        const target = await gtidNow(connection);
        sync = kr.sync(options);
        v.stream.push(BACKLOG / (await untilCaughtUp(sync, target)));
        v.naiveStream.push(BACKLOG / (await timed(() => naiveUntil(source, from, target, redis, `{${ctx.prefix}:naive${String(run)}}`))));
        ctx.log(`run ${String(run + 1)}: backlog ${String(Math.round(v.stream.at(-1) ?? 0))} changes/s, naive ${String(Math.round(v.naiveStream.at(-1) ?? 0))}`);

        // the lag at 1,000 changes/s, ours then the hand-built sync
        const lags = await paced(writer, (onApplied) => sync.on('applied', (round) => {
          onApplied(round.position, round.appliedAt);
        }));
        await sync.stop();
        v.p50.push(quantile(lags, 0.5));
        v.p95.push(quantile(lags, 0.95));
        v.p99.push(quantile(lags, 0.99));
        let naive: NaiveStream | undefined;
        const naiveFrom = await gtidNow(connection);
        const naiveLags = await paced(writer, (onApplied) => {
          naive = new NaiveStream(source, naiveFrom, redis, `{${ctx.prefix}:naive${String(run)}}`, (position) => {
            onApplied(position, Date.now());
          });
        });
        await naive?.stop();
        v.naiveP95.push(quantile(naiveLags, 0.95));
        ctx.log(`run ${String(run + 1)}: lag p50 ${String(v.p50.at(-1))} ms, p95 ${String(v.p95.at(-1))} ms (${String(lags.length)} transactions), naive p95 ${String(v.naiveP95.at(-1))} ms`);
        await redis.unlink(...(await redis.keys(`{${ctx.prefix}:naive${String(run)}}:*`)).slice(0, 1_000_000));
        await Order.drop();
      }
    } finally {
      await kr.close();
      redis.disconnect();
      await connection.end();
      await server.stop();
    }
    return [
      makeRow({ metric: `copy of ${String(ROWS)}+ rows into a model with 3 indexes`, unit: 'rows/s', ours: v.copy, competitor: 'hand-built: HSET per row, no index', theirs: v.naiveCopy, goal: '>= 20,000 rows/s' }),
      makeRow({ metric: `streaming a ${String(BACKLOG)}-change binlog backlog`, unit: 'changes/s', ours: v.stream, competitor: 'hand-built: HSET/DEL per change, no index', theirs: v.naiveStream, goal: '>= 5,000 changes/s' }),
      makeRow({ metric: `lag p50 at ${String(LAG_RATE)} changes/s`, unit: 'ms', ours: v.p50 }),
      makeRow({ metric: `lag p95 at ${String(LAG_RATE)} changes/s`, unit: 'ms', ours: v.p95, competitor: 'hand-built, same reader', theirs: v.naiveP95, better: 'lower', goal: '<= 100 ms' }),
      makeRow({ metric: `lag p99 at ${String(LAG_RATE)} changes/s`, unit: 'ms', ours: v.p99 }),
    ];
  },
};

/** The source's GTID position now. */
async function gtidNow(connection: Connection): Promise<string> {
  const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT @@gtid_binlog_pos AS g');
  return String(rows[0]?.g);
}

/** Runs the hand-built stream from `from` until it has written `target`. */
async function naiveUntil(source: { host: string; port: number; user: string }, from: string, target: string, redis: Redis, prefix: string): Promise<void> {
  let reached: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const naive = new NaiveStream(source, from, redis, prefix, (position) => {
    if (position === target) reached();
  });
  await done;
  await naive.stop();
}

/** Seconds an action takes. */
async function timed(action: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await action();
  return (performance.now() - start) / 1000;
}

export default scenario;
