import { connectKickass } from './catalog.js';
import { optionValue } from './args.js';
import type { ParsedArgs } from './args.js';
import { cliParameters, countParam } from './instants.js';
import type { ProgressOutput } from './progress.js';
import { formatCount } from './progress.js';
import { demoComponents, seedDemo } from './demo-data.js';

/** Help of `kickass demo`. */
export const DEMO_HELP = `Usage: kickass demo [--url <redis-url>] [--prefix demo] [--customers 2000] [--days 42]
  Writes the demo data under the prefix (default "demo"): customers (a model with indexes and text),
  sign-up / visit / cart / purchase unique counters by day and week, page views by region, country
  and city, a cache namespace; then prints commands to explore it (they take --demo).
  Run it on a server of your own: it writes, and writing it twice adds events twice.`;

/** `kickass demo`: seeds the demo data and shows what to run next. */
export async function demoCommand(args: ParsedArgs, out: ProgressOutput): Promise<number> {
  const url = optionValue(args, 'url') ?? process.env.REDIS_URL;
  const prefix = optionValue(args, 'prefix') ?? 'demo';
  const kr = await connectKickass(url, prefix);
  try {
    const started = Date.now();
    const params = cliParameters(args);
    const summary = await seedDemo(demoComponents(kr), { customers: countParam(params, 'customers', 2000, 1_000_000), days: countParam(params, 'days', 42, 3650) });
    const e = summary.events;
    out.write(`demo data under prefix ${prefix} (${String(Date.now() - started)} ms):\n`);
    out.write(`  ${formatCount(summary.customers)} customers over ${String(summary.days)} days (${summary.from.toISOString().slice(0, 10)} to ${summary.to.toISOString().slice(0, 10)})\n`);
    out.write(`  ${formatCount(e.signup)} sign-ups, ${formatCount(e.visit)} visits, ${formatCount(e.cart)} carts, ${formatCount(e.purchase)} purchases, ${formatCount(summary.pageviews)} page views\n`);
    const flags = `--demo${prefix === 'demo' ? '' : ` --prefix ${prefix}`}${url === undefined ? '' : ` --url ${url}`}`;
    out.write(`try:\n`);
    for (const command of ['stats', 'verify customer', 'cohort signup --activity visit', 'funnel signup visit cart purchase', 'top pageviews', 'top pageviews europe', 'dashboard --port 8080']) out.write(`  kickass ${command} ${flags}\n`);
    return 0;
  } finally {
    await kr.close();
  }
}
