import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ObjectExistsError, UniqueViolationError } from '../../src/store/errors.js';
import { t } from '../../src/store/fields.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';

const fields = { name: t.string().index(), score: t.number().sortable(), email: t.string().unique({ caseInsensitive: true }) };
const noUnique = { name: t.string().index(), score: t.number().sortable() };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Attempt {
  id: string;
  name: string;
  score: number;
  email?: string;
  ttl?: string;
}

const attemptArb = (withEmail: boolean): fc.Arbitrary<Attempt> =>
  fc.record(
    {
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'x{1}', '😀', 'pre1', 'pre2'),
      name: fc.constantFrom('n1', 'n2', 'n3'),
      score: fc.integer({ min: -5, max: 5 }),
      ...(withEmail ? { email: fc.constantFrom('p@x.io', 'Q@x.io', 'q@X.IO', 'r@x.io', 's@x.io', 'taken@x.io') } : {}),
      ttl: fc.constantFrom('1h', '2h'),
    },
    { requiredKeys: ['id', 'name', 'score'] },
  );

for (const topology of TOPOLOGIES) {
  for (const [partitions, withEmail] of [
    [1, true],
    [3, false],
  ] as const) {
    describe(`concurrent creates coalesced into batches (${topology}, ${String(partitions)} partitions${withEmail ? ', unique email' : ''})`, () => {
      const redis = useTopology(topology);

      it('give every create its own outcome, as some serial order of single creates would', async () => {
        const kr = redis.kickass();
        let round = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(attemptArb(withEmail), { minLength: 2, maxLength: 60 }), async (attempts) => {
            const M = kr.model(`c${String(round++)}`, withEmail ? fields : noUnique, { partitions });
            await M.create({ id: 'pre1', name: 'n1', score: 0, ...(withEmail ? { email: 'taken@x.io' } : {}) });
            await M.create({ id: 'pre2', name: 'n2', score: 1 });
            const outcomes = await Promise.allSettled(
              attempts.map(({ ttl, ...input }) => M.create(input, ttl === undefined ? {} : { ttl })),
            );
            const fold = (email: string | undefined): string | undefined => email?.toLowerCase();
            const won = new Map<string, Attempt>([
              ['pre1', { id: 'pre1', name: 'n1', score: 0, ...(withEmail ? { email: 'taken@x.io' } : {}) }],
              ['pre2', { id: 'pre2', name: 'n2', score: 1 }],
            ]);
            outcomes.forEach((outcome, i) => {
              const attempt = attempts[i] as Attempt;
              if (outcome.status !== 'fulfilled') return;
              expect(won.has(attempt.id)).toBe(false); // one create per id at most
              won.set(attempt.id, attempt);
            });
            const emails = new Map([...won.values()].flatMap((w) => (w.email === undefined ? [] : [[fold(w.email), w.id] as const])));
            expect(emails.size).toBe([...won.values()].filter((w) => w.email !== undefined).length); // one holder per email
            outcomes.forEach((outcome, i) => {
              const attempt = attempts[i] as Attempt;
              if (outcome.status === 'fulfilled') return;
              const error: unknown = outcome.reason;
              if (error instanceof ObjectExistsError) {
                expect(won.has(attempt.id)).toBe(true);
              } else {
                expect(error).toBeInstanceOf(UniqueViolationError);
                const holder = emails.get(fold(attempt.email));
                expect(holder).toBeDefined();
                expect((error as UniqueViolationError).existingId).toBe(holder);
              }
            });
            // each id that someone tried and nobody holds failed only because its email was taken
            for (const attempt of attempts) {
              if (!won.has(attempt.id)) expect(emails.has(fold(attempt.email))).toBe(true);
            }
            const stored = await M.getMany([...won.keys()]);
            expect(stored.map((row) => row && { id: row.id, name: row.name, score: row.score, email: (row as { email?: string }).email })).toEqual(
              [...won.values()].map((w) => ({ id: w.id, name: w.name, score: w.score, email: w.email })),
            );
            expect((await M.verify()).problems).toEqual([]);
          }),
          { numRuns: 25 },
        );
      });

      it('sends creates issued together as few batch calls', async () => {
        const M = redis.kickass().model('few', withEmail ? fields : noUnique, { partitions });
        const calls: string[] = [];
        M.internals.context.scripts.onCall((plan) => calls.push(plan.script.name));
        const rows = await Promise.all(Array.from({ length: 40 }, (_, i) => M.create({ name: `n${String(i % 3)}`, score: i, ...(withEmail ? { email: `u${String(i)}@x.io` } : {}) })));
        expect(calls.filter((name) => name === 'store_insert_many').length).toBeGreaterThan(0);
        expect(calls.length).toBeLessThan(20);
        expect(await M.getMany(rows.map((r) => r.id))).toEqual(rows);
        expect(await M.find({ name: 'n1' }).count()).toBe(13);
      });

      it('applies each create its own expiry', async () => {
        const M = redis.kickass().model('ttl', withEmail ? fields : noUnique, { partitions });
        await Promise.all([M.create({ id: 'short', name: 'n', score: 1 }, { ttl: '150ms' }), M.create({ id: 'long', name: 'n', score: 2 }, { ttl: '1h' }), M.create({ id: 'none', name: 'n', score: 3 })]);
        await sleep(300);
        expect((await M.getMany(['short', 'long', 'none'])).map((row) => row?.id ?? null)).toEqual([null, 'long', 'none']);
        expect(await M.find({ name: 'n' }).ids()).toEqual(['long', 'none']);
      });
    });
  }
}
