/// <reference lib="dom" />
// The dashboard in a real headless Chromium (Debian's, driven by playwright-core) on the demo data,
// on both topologies: the page loads, the cohort heatmap shows the numbers retention() gives, a click
// on a hierarchy node drills down to what children() gives, verify reports a clean model, and the
// server refuses writes (read-only) and other Host names; the sync section shows what
// readSyncStatus() says. A screenshot is kept in test-artifacts/.
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysable } from '../../src/cli/catalog.js';
import { demoCatalog, demoComponents, seedDemo } from '../../src/cli/demo-data.js';
import { slotsBefore } from '../../src/cli/instants.js';
import { retention } from '../../src/counters/analysis.js';
import { startDashboard } from '../../src/dashboard/server.js';
import { t } from '../../src/store/fields.js';
import { readSyncStatus } from '../../src/sync/sync-status.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';
import { useMariaDb } from '../sync/sync-fixture.js';

const ARTIFACTS = 'test-artifacts';

/** A raw HTTP call (no browser), to send what a page cannot: another Host header, a POST without the write header. */
function call(url: string, method: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }); });
    });
    req.on('error', reject);
    req.end();
  });
}

// the sync section reads a sync's saved state and its source: a private MariaDB with a ROW binlog
const mariadb = useMariaDb();

describe.each(TOPOLOGIES)('dashboard in Chromium (%s)', (topology) => {
  const redis = useTopology(topology);
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
      chromiumSandbox: false,
      args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser.close();
  });

  it('shows the demo data as the API computes it, drills down on a click, and writes nothing', async () => {
    await seedDemo(demoComponents(redis.kickass()), { customers: 400, days: 21 });
    const kr = redis.kickass();
    const catalog = demoCatalog(kr);
    const dashboard = await startDashboard({ kr, catalog, allowWrites: false, port: 0 });
    const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
    try {
      await page.goto(dashboard.url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      expect(await page.textContent('#server')).toContain(`prefix ${redis.prefix}`);

      // the heatmap: every cell of a begun period equals retention() computed here
      const [signup, visit] = catalog.uniqueCounters ?? [];
      if (signup === undefined || visit === undefined) throw new Error('demo counters');
      const now = Date.now();
      const expected = await retention({ cohort: analysable(signup), activity: analysable(visit), unit: 'day', from: slotsBefore(signup.calendar, 'day', now, 7), to: now, periods: 8 });
      const cells = await page.$$eval('#cohort-heatmap td[data-count]', (tds) => tds.map((td) => ({ cohort: td.getAttribute('data-cohort'), period: Number(td.getAttribute('data-period')), count: Number(td.getAttribute('data-count')), text: td.textContent })));
      expect(cells.length).toBeGreaterThan(8);
      for (const cell of cells) {
        const row = expected.find((r) => r.start.toISOString().slice(0, 10) === cell.cohort);
        expect(row?.counts[cell.period], `${String(cell.cohort)} period ${String(cell.period)}`).toBe(cell.count);
        expect(cell.text).toBe(`${(((row?.rates[cell.period] ?? 0) * 100)).toFixed(1)}%`);
      }
      const sizes = await page.$$eval('#cohort-heatmap td[data-size]', (tds) => tds.map((td) => Number(td.getAttribute('data-size'))));
      expect(sizes).toEqual(expected.map((r) => r.size));

      // the hierarchy: the root's children, then a click on the largest drills into it
      const pageviews = catalog.hierarchicalCounters?.[0];
      if (pageviews === undefined) throw new Error('demo hierarchy');
      const nodes = '#hierarchy-pageviews button.node';
      const root = await page.$$eval(nodes, (buttons) => buttons.map((b) => [b.getAttribute('data-segment'), Number(b.getAttribute('data-sum'))]));
      const rootChildren = await pageviews.children([], 'day', now, { top: 12 });
      expect(root).toEqual(rootChildren.children.map((c) => [c.segment, c.sum]));
      const largest = rootChildren.children[0]?.segment ?? '';
      await page.click(`${nodes}[data-segment="${largest}"]`);
      await page.locator('#hierarchy-pageviews .crumbs button', { hasText: largest }).waitFor();
      const drilled = await page.$$eval(nodes, (buttons) => buttons.map((b) => [b.getAttribute('data-segment'), Number(b.getAttribute('data-sum'))]));
      const below = await pageviews.children([largest], 'day', now, { top: 12 });
      expect(drilled).toEqual(below.children.map((c) => [c.segment, c.sum]));
      expect(drilled.length).toBeGreaterThan(0);

      // the funnel and verify
      const steps = await page.$$eval('#funnel .step', (divs) => divs.map((d) => d.getAttribute('data-counter')));
      expect(steps).toEqual(['signup', 'visit', 'cart', 'purchase']);
      // the query box: a where object and a text search, answered like the model's own query
      const { customer } = demoComponents(redis.kickass());
      await page.fill('[data-testid="where-customer"]', '{"country": "france", "spent": {"gte": 1}}');
      await page.fill('[data-testid="search-customer"]', 'paris');
      await page.click('#model-customer button:text("query")');
      const expectedCount = await customer.find({ country: 'france', spent: { gte: 1 } }).search('paris').count();
      expect(expectedCount).toBeGreaterThan(0);
      await expect.poll(async () => page.textContent('#model-customer .result p'), { timeout: 20_000 }).toBe(`${String(expectedCount)} match`);
      const shown = await page.$$eval('#model-customer .result tbody tr', (rows) => rows.length);
      expect(shown).toBe(Math.min(20, expectedCount));
      await page.fill('[data-testid="where-customer"]', '{"nope": 1}');
      await page.click('#model-customer button:text("query")');
      await expect.poll(async () => page.textContent('#model-customer .result .error'), { timeout: 20_000 }).toMatch(/nope/);
      await page.click('#model-customer button:text("verify")');
      await expect.poll(async () => page.textContent('[data-testid="verify-customer"]'), { timeout: 20_000 }).toMatch(/400 objects checked: no problems/);
      await page.screenshot({ path: `${ARTIFACTS}/dashboard-${topology}.png`, fullPage: true });

      // read-only, and only for this machine's host names
      expect(await page.$('#model-customer button:text("reindex")')).toBeNull();
      expect((await call(`${dashboard.url}api/reindex?model=customer`, 'POST', { 'x-kickass-write': '1' })).status).toBe(403);
      expect((await call(`${dashboard.url}api/reindex?model=customer`, 'POST')).status).toBe(403);
      expect((await call(`${dashboard.url}api/overview`, 'GET', { host: 'attacker.example:80' })).status).toBe(403);
      expect((await call(`${dashboard.url}api/series?counter=nope`, 'GET')).status).toBe(404);
    } finally {
      await page.close();
      await dashboard.close();
    }
  }, 120_000);

  it('shows where a sync stands against its source', async () => {
    const server = mariadb.server;
    const db = `dash_${topology}`;
    server.query(`CREATE DATABASE ${db}; CREATE TABLE ${db}.items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL); INSERT INTO ${db}.items VALUES (1, 'a'), (2, 'b')`);
    const kr = redis.kickass();
    const Item = kr.model('item', { name: t.string() });
    const catalog = { models: [Item], sync: { name: db, source: server.url, tables: { [`${db}.items`]: { model: Item } } } };
    const sync = kr.sync(catalog.sync);
    const streaming = new Promise<void>((resolve) => {
      sync.on('phase', ({ phase }) => {
        if (phase === 'stream') resolve();
      });
    });
    const running = sync.run();
    await streaming;
    await sync.stop();
    await running;
    const dashboard = await startDashboard({ kr, catalog, allowWrites: false, port: 0 });
    const page = await browser.newPage();
    try {
      await page.goto(dashboard.url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      const status = await readSyncStatus(kr.context, db, server.url);
      const cells = await page.$$eval('#sync tbody td', (tds) => tds.map((td) => td.textContent));
      expect(cells).toEqual([db, status.phase, String(status.epoch), status.position?.gtid, 'caught up', `${String(status.lagMs)} ms`]);
      expect(await page.textContent('#model-item h3')).toBe('item: 2 objects in 1 partition(s)');
    } finally {
      await page.close();
      await dashboard.close();
    }
  }, 120_000);
});
