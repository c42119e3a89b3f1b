import { startDashboard } from '../dashboard/server.js';
import { UsageError, optionValue } from './args.js';
import type { ParsedArgs } from './args.js';
import { withCatalog } from './catalog.js';
import { cliParameters, countParam } from './instants.js';
import type { ProgressOutput } from './progress.js';

/** Help of `kickass dashboard`. */
export const DASHBOARD_HELP = `Usage: kickass dashboard (--config <file> | --demo) [--port 8080] [--host 127.0.0.1] [--allow-writes]
                         [--url <redis-url>] [--prefix <p>]
  A local web page: models (counts, indexes, verify, a query box), unique counters (series, cohort
  heatmap, funnel), hierarchical counters (click a bar to drill down), caches and the sync's lag.
  Read-only unless --allow-writes (which adds reindex). Listens on 127.0.0.1 unless --host says
  otherwise; stop it with Ctrl-C.`;

/** `kickass dashboard`: serves until SIGINT or SIGTERM. */
export async function dashboardCommand(args: ParsedArgs, out: ProgressOutput): Promise<number> {
  const port = countParam(cliParameters(args), 'port', 8080, 65535);
  const host = optionValue(args, 'host') ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1' && args.options.has('allow-writes')) {
    throw new UsageError('--allow-writes is only for a dashboard on this machine (--host 127.0.0.1)');
  }
  return withCatalog(args, 'dashboard', async ({ kr, catalog }) => {
    const dashboard = await startDashboard({ kr, catalog, allowWrites: args.options.has('allow-writes'), port, host });
    out.write(`dashboard of prefix ${kr.prefix} on ${dashboard.url} (${args.options.has('allow-writes') ? 'writes allowed' : 'read-only'}); Ctrl-C stops it\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await dashboard.close();
    return 0;
  });
}
