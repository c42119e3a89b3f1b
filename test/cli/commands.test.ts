// The kickass commands on the demo data, as a person runs them (a child process), on both
// topologies: demo writes it; stats counts every key under the prefix; verify finds a removed index
// entry (exit code 3) and reindex repairs it; cohort, funnel and top print what the library's own
// calls give; every command has --help; mistakes are one sentence with exit code 2.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analysable } from '../../src/cli/catalog.js';
import { demoCatalog, demoComponents } from '../../src/cli/demo-data.js';
import { slotsBefore } from '../../src/cli/instants.js';
import type { Stats } from '../../src/cli/stats.js';
import { funnel, retention } from '../../src/counters/analysis.js';
import { TOPOLOGIES, connectionUrl, keysWithPrefix, useTopology } from '../harness/topologies.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the CLI to its end: exit code, stdout, stderr. */
function kickass(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const json = (run: { stdout: string }): unknown => JSON.parse(run.stdout);

describe('kickass commands', () => {
  it('has --help for every command and refuses mistakes in one sentence with exit code 2', () => {
    for (const command of ['demo', 'stats', 'verify', 'reindex', 'cohort', 'funnel', 'top', 'dashboard', 'sync', 'bench']) {
      const help = kickass([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toMatch(new RegExp(`^Usage:\\s+kickass ${command}`));
    }
    const url = connectionUrl('standalone');
    for (const args of [['verify', 'customer'], ['verify', 'nope', '--demo'], ['cohort', 'signup', '--demo', '--unit', 'fortnight'], ['funnel', 'signup', '--demo'], ['top', '--demo'], ['stats', '--demo', '--config', 'x.mjs'], ['cohort', 'signup', '--demo', '--periods', '0']]) {
      const run = kickass([...args, '--url', url, '--prefix', 'no-such-prefix']);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(kickass(['verify', 'nope', '--demo', '--url', url]).stderr).toMatch(/no model named nope \(there is customer\)/);
    // a Redis that is not there: one sentence, exit code 1, not a hang or a stack of connection errors
    const down = kickass(['stats', '--demo', '--url', 'redis://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^kickass: cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED.*\): start it, or give --url or REDIS_URL\n$/);
  }, 120_000);

  describe.each(TOPOLOGIES)('%s', (topology) => {
    const redis = useTopology(topology);

    it('writes the demo data, then stats, verify, reindex, cohort, funnel and top tell about it', async () => {
      const connection = ['--demo', '--url', connectionUrl(topology), '--prefix', redis.prefix];
      const demo = kickass(['demo', '--customers', '300', '--days', '14', '--url', connectionUrl(topology), '--prefix', redis.prefix]);
      expect(demo.code, demo.stderr).toBe(0);
      expect(demo.stdout).toMatch(/300 customers over 14 days/);

      const stats = (json(kickass(['stats', '--json', ...connection])) as Stats);
      expect(stats.keys).toBe((await keysWithPrefix(redis.client, redis.prefix)).length);
      expect(stats.groups.reduce((sum, g) => sum + g.keys, 0)).toBe(stats.keys);
      expect(stats.groups.map((g) => `${g.component}:${g.name}`)).toEqual(expect.arrayContaining(['model:customer', 'hierarchical counter:pageviews', 'unique counters:visit', 'cache:pages']));
      expect(stats.models).toMatchObject([{ name: 'customer', objects: 300, partitions: 2, reindexInProgress: false }]);
      expect(kickass(['stats', ...connection]).stdout).toMatch(/model customer: 300 objects in 2 partitions/);

      const verified = kickass(['verify', 'customer', ...connection]);
      expect(verified.code).toBe(0);
      expect(verified.stdout).toMatch(/300 objects in 2 partitions checked, no problems/);
      // remove one object's country entry by hand: verify must say so (exit 3), reindex must repair it
      const catalog = demoCatalog(redis.kickass());
      const { customer } = demoComponents(redis.kickass());
      const someone = (await customer.find().limit(1).all())[0];
      if (someone?.country === undefined) throw new Error('a customer with a country');
      await redis.client.srem(customer.keysOf(someone.id).eq('country', someone.country), someone.id);
      const broken = kickass(['verify', 'customer', ...connection]);
      expect(broken.code).toBe(3);
      expect(broken.stdout).toMatch(/1 problems[\s\S]*missing-entry\s+1/);
      expect((json(kickass(['verify', 'customer', '--json', ...connection])) as { counts: Record<string, number> }).counts['missing-entry']).toBe(1);
      const repaired = kickass(['reindex', 'customer', ...connection]);
      expect(repaired.code).toBe(0);
      expect(repaired.stdout).toMatch(/1 repairs/);
      expect(kickass(['verify', 'customer', ...connection]).code).toBe(0);

      const [signup, visit, cart, purchase] = catalog.uniqueCounters ?? [];
      if (!signup || !visit || !cart || !purchase) throw new Error('demo counters');
      const now = Date.now();
      const cohort = (json(kickass(['cohort', 'signup', '--activity', 'visit', '--cohorts', '6', '--periods', '5', '--json', ...connection])) as { rows: { start: string; size: number; counts: number[] }[] });
      const expected = await retention({ cohort: analysable(signup), activity: analysable(visit), unit: 'day', from: slotsBefore(signup.calendar, 'day', now, 5), to: now, periods: 5 });
      expect(cohort.rows.map((r) => [r.start, r.size, r.counts])).toEqual(expected.map((r) => [r.start.toISOString(), r.size, r.counts]));
      expect(cohort.rows.some((r) => r.counts.slice(1).some((n) => n > 0))).toBe(true);
      expect(kickass(['cohort', 'signup', '--activity', 'visit', '--cohorts', '6', '--periods', '5', ...connection]).stdout.trim().split('\n')).toHaveLength(3 + 6);

      const steps = (json(kickass(['funnel', 'signup', 'visit', 'cart', 'purchase', '--window', '7', '--json', ...connection])) as { steps: { counter: string; count: number }[] });
      const expectedSteps = await funnel({ steps: [signup, visit, cart, purchase].map(analysable), unit: 'day', from: slotsBefore(signup.calendar, 'day', now, 6), window: 7 });
      expect(steps.steps).toEqual(expectedSteps.map((s) => ({ ...s })));
      expect(steps.steps[3]?.count).toBeGreaterThan(0);

      const pageviews = catalog.hierarchicalCounters?.[0];
      if (!pageviews) throw new Error('demo hierarchy');
      const top = (json(kickass(['top', 'pageviews', '--json', ...connection])) as { sum: number; children: { segment: string; sum: number }[] });
      const root = await pageviews.children([], 'day', now);
      expect(top.children.map((c) => [c.segment, c.sum])).toEqual(root.children.map((c) => [c.segment, c.sum]));
      expect(top.sum).toBe(root.children.reduce((sum, c) => sum + c.sum, 0));
      const region = root.children[0]?.segment ?? '';
      const below = (json(kickass(['top', 'pageviews', region, '--limit', '3', '--json', ...connection])) as { children: { segment: string; sum: number }[] });
      expect(below.children.map((c) => [c.segment, c.sum])).toEqual((await pageviews.children([region], 'day', now, { top: 3 })).children.map((c) => [c.segment, c.sum]));
    }, 180_000);
  });
});
