import type { Kickass } from '../kickass.js';
import { t } from '../store/fields.js';
import type { Catalog } from './catalog.js';

const DAY = 86_400_000;

/** Where the demo's customers live: region, country, cities (weights are rough shares of traffic). */
const PLACES: readonly { region: string; country: string; cities: readonly string[]; weight: number }[] = [
  { region: 'europe', country: 'france', cities: ['paris', 'lyon', 'marseille', 'lille'], weight: 14 },
  { region: 'europe', country: 'germany', cities: ['berlin', 'hamburg', 'munich', 'cologne'], weight: 16 },
  { region: 'europe', country: 'spain', cities: ['madrid', 'barcelona', 'valencia'], weight: 8 },
  { region: 'europe', country: 'italy', cities: ['rome', 'milan', 'naples'], weight: 7 },
  { region: 'americas', country: 'usa', cities: ['new-york', 'chicago', 'austin', 'seattle', 'boston'], weight: 24 },
  { region: 'americas', country: 'brazil', cities: ['sao-paulo', 'rio', 'recife'], weight: 9 },
  { region: 'americas', country: 'canada', cities: ['toronto', 'montreal', 'vancouver'], weight: 6 },
  { region: 'asia', country: 'japan', cities: ['tokyo', 'osaka', 'sapporo'], weight: 8 },
  { region: 'asia', country: 'india', cities: ['mumbai', 'delhi', 'bangalore', 'pune'], weight: 8 },
];
const PLANS = ['free', 'free', 'free', 'pro', 'pro', 'team'];
const FIRST = ['ada', 'alan', 'grace', 'linus', 'ken', 'barbara', 'edsger', 'margaret', 'dennis', 'frances', 'john', 'radia'];
const LAST = ['lovelace', 'turing', 'hopper', 'torvalds', 'thompson', 'liskov', 'dijkstra', 'hamilton', 'ritchie', 'allen', 'backus', 'perlman'];
const WORDS = ['buys', 'gifts', 'books', 'tools', 'music', 'games', 'garden', 'kitchen', 'travel', 'sports', 'often', 'rarely', 'weekly'];

/** The funnel's steps, in order: unique counters of customer ids by day and week. */
export const DEMO_STEPS = ['signup', 'visit', 'cart', 'purchase'] as const;

/** The demo's components on an instance. */
export function demoComponents(kr: Kickass) {
  return {
    customer: kr.model(
      'customer',
      { name: t.string().index(), email: t.string().unique(), country: t.string().index(), city: t.string().index(), plan: t.string().index(), spent: t.number().sortable(), joined: t.date().sortable(), about: t.text() },
      { partitions: 2 },
    ),
    signup: kr.uniqueCounter('signup', { slots: ['day', 'week'] }),
    visit: kr.uniqueCounter('visit', { slots: ['day', 'week'] }),
    cart: kr.uniqueCounter('cart', { slots: ['day', 'week'] }),
    purchase: kr.uniqueCounter('purchase', { slots: ['day', 'week'] }),
    pageviews: kr.hierarchicalCounter('pageviews', { resolutions: ['day'] }),
    pages: kr.cache({ namespace: 'pages', ttl: '1h' }),
  };
}

/** The demo's components, as {@link demoComponents} makes them. */
export type DemoComponents = ReturnType<typeof demoComponents>;

/** The demo's components as a catalog: what `--demo` opens. */
export function demoCatalog(kr: Kickass): Catalog {
  const c = demoComponents(kr);
  return { models: [c.customer], uniqueCounters: [c.signup, c.visit, c.cart, c.purchase], hierarchicalCounters: [c.pageviews], caches: [c.pages] };
}

/** A small seeded generator (mulberry32): the same seed gives the same demo data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** How much demo data to make. */
export interface DemoSize {
  /** Customers signing up over the period. @defaultValue 2000 */
  readonly customers?: number;
  /** Days of activity, ending with the day of `until`. @defaultValue 42 */
  readonly days?: number;
  /** The last day. @defaultValue now */
  readonly until?: number;
  /** @defaultValue 7 */
  readonly seed?: number;
}

/** What {@link seedDemo} wrote. */
export interface DemoSummary {
  readonly customers: number;
  readonly days: number;
  readonly from: Date;
  readonly to: Date;
  /** Adds per funnel step. */
  readonly events: Readonly<Record<(typeof DEMO_STEPS)[number], number>>;
  readonly pageviews: number;
}

/**
 * Fills the demo catalog: customers who sign up over `days` days and come back less and less
 * (visit, add to cart, buy), their page views by region / country / city, and a few cache entries.
 */
export async function seedDemo(demo: DemoComponents, size: DemoSize = {}): Promise<DemoSummary> {
  const customers = size.customers ?? 2000;
  const days = size.days ?? 42;
  const lastDay = Math.floor((size.until ?? Date.now()) / DAY) * DAY;
  const firstDay = lastDay - (days - 1) * DAY;
  const next = random(size.seed ?? 7);
  const { customer, signup, visit, cart, purchase, pageviews, pages: cache } = demo;
  const totalWeight = PLACES.reduce((sum, p) => sum + p.weight, 0);
  const place = (): (typeof PLACES)[number] => {
    let left = next() * totalWeight;
    for (const p of PLACES) if ((left -= p.weight) < 0) return p;
    return PLACES[0] as (typeof PLACES)[number];
  };
  const pickOne = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const rows: Parameters<DemoComponents['customer']['createMany']>[0][number][] = [];
  const events = { signup: [] as { id: number; at: number }[], visit: [] as { id: number; at: number }[], cart: [] as { id: number; at: number }[], purchase: [] as { id: number; at: number }[] };
  const views: { path: string[]; at: number }[] = [];
  for (let id = 1; id <= customers; id++) {
    const where = place();
    const city = pickOne(where.cities);
    // more sign-ups in recent weeks: the product grows
    const joinedDay = Math.min(days - 1, Math.floor(Math.sqrt(next()) * days));
    const joined = firstDay + joinedDay * DAY;
    const loyalty = 0.35 + next() * 0.5;
    let spent = 0;
    events.signup.push({ id, at: joined + 3_600_000 });
    for (let d = joinedDay; d < days; d++) {
      const after = d - joinedDay;
      if (after > 0 && next() > loyalty * 0.8 ** Math.sqrt(after)) continue;
      const at = firstDay + d * DAY + Math.floor(next() * DAY);
      events.visit.push({ id, at });
      const pages = 1 + Math.floor(next() * 6);
      for (let p = 0; p < pages; p++) views.push({ path: [where.region, where.country, city], at });
      if (next() < 0.3) {
        events.cart.push({ id, at });
        if (next() < 0.45) {
          events.purchase.push({ id, at });
          spent += Math.round(5 + next() * 120);
        }
      }
    }
    const first = pickOne(FIRST);
    const last = pickOne(LAST);
    rows.push({
      id: String(id),
      name: `${first} ${last}`,
      email: `${first}.${last}.${String(id)}@example.com`,
      country: where.country,
      city,
      plan: pickOne(PLANS),
      spent,
      joined: new Date(joined),
      about: `${pickOne(WORDS)} ${pickOne(WORDS)} ${pickOne(WORDS)} from ${city}`,
    });
  }
  for (let i = 0; i < rows.length; i += 1000) await customer.createMany(rows.slice(i, i + 1000));
  const counters = { signup, visit, cart, purchase };
  for (const step of DEMO_STEPS) {
    const list = events[step];
    for (let i = 0; i < list.length; i += 5000) await counters[step].addMany(list.slice(i, i + 5000));
  }
  for (let i = 0; i < views.length; i += 5000) await pageviews.incrMany(views.slice(i, i + 5000));
  await pageviews.flush();
  for (const p of PLACES) await cache.set(`top:${p.country}`, { country: p.country, cities: p.cities }, { tags: [p.region] });
  return {
    customers,
    days,
    from: new Date(firstDay),
    to: new Date(lastDay),
    events: { signup: events.signup.length, visit: events.visit.length, cart: events.cart.length, purchase: events.purchase.length },
    pageviews: views.length,
  };
}
