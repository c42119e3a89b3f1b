/**
 * One process of the soak bench (bench/soak.ts): mixed traffic over every component on a bounded
 * working set, as fast as it goes with 16 concurrent loops, until `seconds` have passed. Every 10 s
 * it prints `window <json>`: calls, errors, p50 and p99 latency (ms) of the window, and its RSS.
 * Usage: tsx bench/soak-worker.ts <redis-url> <prefix> <worker number> <seconds>
 */
import { kickass } from '../src/kickass.js';
import { t } from '../src/store/fields.js';
import { seededRandom } from './data/random.js';

const [url = '', prefix = '', workerText = '0', secondsText = '600'] = process.argv.slice(2);
const worker = Number(workerText);
const LOOPS = 16;
const WINDOW_MS = 10_000;
const ITEMS = 20_000;
const DAY = Date.UTC(2026, 11, 2);

const kr = kickass({ connection: url, prefix });
const Item = kr.model('item', { name: t.string().index(), price: t.number().sortable(), tags: t.array(t.string()).index(), note: t.string() }, { partitions: 4 });
const cache = kr.cache({ namespace: 'soak', ttl: '30s', l1: { max: 1000 } });
const views = kr.hierarchicalCounter('views', { resolutions: ['hour', 'day'] });
const active = kr.uniqueCounter('active', { slots: ['day'] });
const ids = kr.idGenerator('orders');

let calls = 0;
let errors = 0;
let latencies: number[] = [];
const random = seededRandom(worker + 1);

/** One call of the mix, chosen at random. */
async function step(): Promise<void> {
  const r = random();
  const id = String(Math.floor(random() * ITEMS));
  if (r < 0.25) await Item.save({ id, name: `n${String(Math.floor(random() * 100))}`, price: Math.floor(random() * 1000), tags: [`t${String(Math.floor(random() * 20))}`], note: 'x'.repeat(50) });
  else if (r < 0.45) await Item.get(id);
  else if (r < 0.55) await Item.find({ name: `n${String(Math.floor(random() * 100))}` }).limit(10).all();
  else if (r < 0.6) await Item.find().sortBy('price', 'desc').limit(10).all();
  else if (r < 0.8) await cache.getOrSet({ key: `k${String(Math.floor(random() * 5000))}`, factory: () => ({ id, at: Date.now() }) });
  else if (r < 0.9) await views.incr(['site', `s${String(Math.floor(random() * 10))}`, `p${String(Math.floor(random() * 50))}`], { at: DAY });
  else if (r < 0.97) await active.add(Math.floor(random() * 100_000), DAY);
  else await ids.next();
}

async function loop(until: number): Promise<void> {
  while (Date.now() < until) {
    const start = performance.now();
    try {
      await step();
    } catch {
      errors++;
    }
    latencies.push(performance.now() - start);
    calls++;
  }
}

function report(): void {
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  process.stdout.write(`window ${JSON.stringify({ calls, errors, p50: at(0.5), p99: at(0.99), rss: process.memoryUsage().rss })}\n`);
  calls = 0;
  errors = 0;
  latencies = [];
}

const until = Date.now() + Number(secondsText) * 1000;
const timer = setInterval(report, WINDOW_MS);
await Promise.all(Array.from({ length: LOOPS }, () => loop(until)));
clearInterval(timer);
await views.flush();
await kr.close();
process.stdout.write('done\n');
