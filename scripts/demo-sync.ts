// The tour's sync section: a sample shop database on a private MariaDB (started here, removed at
// the end), copied into two models, then kept in step with the binlog while rows change.
import { MariaDbServer } from '../harness/mariadb-server.js';
import type { Kickass } from '../src/kickass.js';
import { t } from '../src/store/fields.js';
import { readSyncStatus } from '../src/sync/sync-status.js';

type Show = (label: string, value: unknown) => void;

const COUNTRIES = ['fr', 'de', 'jp', 'br', 'us'];

/** Runs the sync part of the tour on `kr`. */
export async function demoSync(kr: Kickass, show: Show): Promise<void> {
  const server = await MariaDbServer.start();
  try {
    const customers = Array.from({ length: 2000 }, (_, i) => `(${String(i + 1)}, 'Customer ${String(i + 1)}', 'c${String(i + 1)}@shop.test', '${COUNTRIES[i % 5] ?? 'fr'}', '2026-0${String(1 + (i % 9))}-1${String(i % 10)} 10:00:00.000')`);
    const orders = Array.from({ length: 20_000 }, (_, i) => `(${String(i + 1)}, ${String(1 + (i % 2000))}, '${['new', 'paid', 'shipped'][i % 3] ?? 'new'}', ${String(10 + (i % 990))}.${String(i % 100).padStart(2, '0')})`);
    server.query(`CREATE DATABASE shop; USE shop;
      CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(60) NOT NULL, email VARCHAR(80) NOT NULL UNIQUE, country CHAR(2) NOT NULL, since DATETIME(3) NOT NULL);
      CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, status VARCHAR(10) NOT NULL, total DECIMAL(10,2) NOT NULL);
      INSERT INTO customers VALUES ${customers.join(', ')}; INSERT INTO orders VALUES ${orders.join(', ')}`);
    show('source', `a private MariaDB on port ${String(server.port)}: shop.customers (2,000 rows), shop.orders (20,000)`);

    const Customer = kr.model('customer', { name: t.string(), email: t.string().unique(), country: t.string().index(), since: t.date().sortable() });
    const Order = kr.model('order', { customer: t.string().index(), status: t.string().index(), total: t.number().sortable() }, { partitions: 4 });
    const sync = kr.sync({
      name: 'shop',
      source: server.url,
      tables: {
        'shop.customers': { model: Customer },
        'shop.orders': { model: Order, columns: { customer_id: 'customer' } },
      },
    });
    let started = 0;
    sync.on('phase', ({ phase }) => {
      if (phase === 'snapshot') started = performance.now();
      if (phase === 'sweep') show('copy (one consistent snapshot)', `${String(sync.status().snapshot?.rows ?? 0)} rows in ${(performance.now() - started).toFixed(0)} ms`);
    });
    const lags: number[] = [];
    sync.on('applied', (round) => lags.push(round.appliedAt - round.receivedAt));
    const running = sync.run();
    const until = async (check: () => Promise<boolean>): Promise<void> => {
      while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    const target = (): string => server.query('SELECT @@gtid_binlog_pos').trim();
    const caughtUp = (): Promise<void> => {
      const position = target();
      return until(() => Promise.resolve(sync.status().phase === 'stream' && sync.status().position?.gtid === position));
    };
    await caughtUp();
    show("orders of customer 7, status 'paid'", await Order.count({ customer: '7', status: 'paid' }));
    show('Customer.get("7")', await Customer.get('7'));

    await server.queryAsync(`USE shop; UPDATE customers SET country = 'it', name = 'Ada L.' WHERE id = 7; DELETE FROM orders WHERE customer_id = 7 AND status = 'paid';
      INSERT INTO orders VALUES (20001, 7, 'new', 99.90); UPDATE orders SET status = 'shipped' WHERE id = 7`);
    await caughtUp();
    show('after 4 statements in MariaDB', `customer 7 in ${String((await Customer.get('7'))?.country)}, its paid orders ${String(await Order.count({ customer: '7', status: 'paid' }))}, order 20001 ${JSON.stringify(await Order.get('20001'))}`);
    show('lag of those rounds (read -> written)', `${lags.join(', ')} ms`);
    show('indexes check out (verify)', `${String((await Customer.verify()).ok)}, ${String((await Order.verify()).ok)}`);
    await sync.stop();
    await running;
    const saved = await readSyncStatus(kr.context, 'shop', server.url);
    show('kickass sync status', `${saved.phase}, epoch ${String(saved.epoch)}, at ${saved.position?.gtid ?? '-'}, caught up: ${String(saved.caughtUp)}, ${String(saved.changes)} changes applied`);
  } finally {
    await server.stop();
  }
}
