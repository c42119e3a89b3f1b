import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, answer } from './api.js';
import type { DashboardSource } from './api.js';
import { DASHBOARD_PAGE } from './page.js';

/** Options of {@link startDashboard}. */
export interface DashboardOptions extends DashboardSource {
  /** TCP port; 0 picks a free one. @defaultValue 8080 */
  readonly port?: number;
  /** Address to listen on. @defaultValue '127.0.0.1' (this machine only) */
  readonly host?: string;
}

/** A running dashboard. */
export interface Dashboard {
  /** `http://host:port/`. */
  readonly url: string;
  /** Stops listening (the kickass instance stays open). */
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

/** Host names a page of this dashboard is reached by: others are refused (DNS rebinding). */
function hostAllowed(req: IncomingMessage, host: string, port: number): boolean {
  const given = (req.headers.host ?? '').toLowerCase();
  const names = new Set([host, 'localhost', '127.0.0.1', '[::1]']);
  return [...names].some((name) => given === `${name}:${String(port)}`);
}

/**
 * Serves the dashboard page and its JSON API (`/api/<name>?…`). Every GET is read-only; write
 * actions are POSTs that need `allowWrites` and the `x-kickass-write` header (which a page of
 * another site cannot send without a CORS preflight this server never answers).
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const port = (server.address() as AddressInfo).port;
    if (!hostAllowed(req, host, port)) {
      send(res, 403, 'text/plain', 'unknown host\n');
      return;
    }
    if (url.pathname === '/' && req.method === 'GET') {
      send(res, 200, 'text/html; charset=utf-8', DASHBOARD_PAGE);
      return;
    }
    const api = /^\/api\/([a-z]+)$/.exec(url.pathname);
    if (api === null) {
      send(res, 404, 'text/plain', 'not found\n');
      return;
    }
    if (req.method === 'POST' && req.headers['x-kickass-write'] !== '1') {
      sendJson(res, 403, { error: 'write calls need the x-kickass-write: 1 header' });
      return;
    }
    answer(options, req.method ?? 'GET', api[1] ?? '', url.searchParams).then(
      (value) => { sendJson(res, 200, value); },
      (error: unknown) => {
        if (error instanceof ApiError) sendJson(res, error.status, { error: error.message });
        else sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => { resolve(); });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${String(port)}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => { resolve(); });
      }),
  };
}
