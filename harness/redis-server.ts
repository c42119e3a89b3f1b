import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { rawCommand } from './resp.js';
import type { TlsCertificates } from './tls-certificates.js';

/** Options for a redis-server the harness starts. */
export interface RedisServerOptions {
  /** Start with `--cluster-enabled yes`. */
  cluster?: boolean;
  /** Turn on AOF with fsync always, so a SIGKILL loses nothing acknowledged. */
  appendonly?: boolean;
  /** Extra `--name value` arguments. */
  extraArgs?: readonly string[];
  /** Also listen with TLS on a second free port (`tlsPort`), with these certificates; clients need not present one. */
  tls?: TlsCertificates;
}

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
}

/** Waits until `check` resolves true, polling every `intervalMs`, or throws after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
}

/** The redis-server binary: $REDIS_SERVER_BIN or redis-server from PATH. */
export function redisServerBinary(): string {
  return process.env.REDIS_SERVER_BIN ?? 'redis-server';
}

/** A redis-server process started by the harness on a loopback port, with its own temp dir. */
export class RedisServer {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly dir: string;
  readonly #options: RedisServerOptions;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  private constructor(port: number, options: RedisServerOptions) {
    this.port = port;
    this.#options = options;
    this.dir = mkdtempSync(join(tmpdir(), `kr-redis-${String(port)}-`));
  }

  /** Starts a server on a free port and waits until it answers PING. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = await freePort('127.0.0.1', options.cluster === true);
    const server = new RedisServer(port, options);
    await server.#spawn();
    return server;
  }

  /** The TLS port, when started with `tls`. */
  tlsPort: number | undefined;

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://${this.host}:${String(this.port)}`;
  }

  /** The OS process id, while running. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.#child !== undefined;
  }

  async #spawn(): Promise<void> {
    const o = this.#options;
    const args = [
      '--port', String(this.port), '--bind', this.host, '--dir', this.dir, '--save', '',
      '--appendonly', o.appendonly === true ? 'yes' : 'no', '--daemonize', 'no', '--logfile', 'redis.log',
      '--protected-mode', 'yes', '--enable-debug-command', 'local',
    ];
    if (o.appendonly === true) args.push('--appendfsync', 'always');
    if (o.tls !== undefined) {
      this.tlsPort ??= await freePort('127.0.0.1');
      args.push('--tls-port', String(this.tlsPort), '--tls-cert-file', o.tls.certFile, '--tls-key-file', o.tls.keyFile, '--tls-ca-cert-file', o.tls.caFile, '--tls-auth-clients', 'no');
    }
    if (o.cluster === true) {
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '3000');
    }
    args.push(...(o.extraArgs ?? []));
    const child = spawn(redisServerBinary(), args, { stdio: 'ignore' });
    installExitHook();
    children.add(child);
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => {
        children.delete(child);
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
    });
    const spawnError = new Promise<never>((_, reject) => {
      child.once('error', reject);
    });
    await Promise.race([
      spawnError,
      waitFor(`redis-server on port ${String(this.port)}`, async () => (await rawCommand(this.port, ['PING'])) === 'PONG'),
    ]);
  }

  /** Kills the process (SIGKILL by default: a crash) and waits until it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill(signal);
    await this.#exited;
  }

  /** Freezes the process (SIGSTOP): it holds its connections but answers nothing, replicates nothing. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** Lets a paused process run again (SIGCONT). */
  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /** Starts the server again on the same port and directory (AOF data survives when enabled). */
  async restart(): Promise<void> {
    await this.kill('SIGKILL');
    await this.#spawn();
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Redis Cluster of harness-started servers. */
export class RedisClusterServers {
  readonly nodes: readonly RedisServer[];

  private constructor(nodes: readonly RedisServer[]) {
    this.nodes = nodes;
  }

  /**
   * Starts `masters * (1 + replicas)` nodes, creates the cluster and waits for cluster_state:ok
   * everywhere. With `tls`, each node also listens with TLS (`tlsPort`), its cluster bus and
   * replication use TLS, and the cluster announces its TLS ports to TLS clients.
   */
  static async start(masters = 3, replicas = 0, tls?: TlsCertificates): Promise<RedisClusterServers> {
    const tlsArgs = tls === undefined ? [] : ['--tls-cluster', 'yes', '--tls-replication', 'yes'];
    const nodes = await Promise.all(
      Array.from({ length: masters * (1 + replicas) }, () => RedisServer.start({ cluster: true, tls, extraArgs: tlsArgs })),
    );
    const cluster = new RedisClusterServers(nodes);
    try {
      const create = spawnSync(
        process.env.REDIS_CLI_BIN ?? 'redis-cli',
        ['--cluster', 'create', ...nodes.map((n) => `${n.host}:${String(n.port)}`), '--cluster-replicas', String(replicas), '--cluster-yes'],
        { encoding: 'utf8', timeout: 60000 },
      );
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
      await cluster.waitUntilHealthy();
      // replicas serve no purpose (WAIT, failover) until they have synced with their master
      await waitFor(`${String(masters * replicas)} synced replicas`, async () => {
        const infos = await Promise.all(nodes.map((n) => rawCommand(n.port, ['INFO', 'replication'])));
        return infos.filter((info) => info.includes('master_link_status:up')).length === masters * replicas;
      }, 30000, 100);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Seed nodes as `{ host, port }`. */
  get seeds(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: n.host, port: n.port }));
  }

  /** Seed nodes at their TLS ports (started with `tls`). */
  get tlsSeeds(): { host: string; port: number }[] {
    return this.nodes.map((n) => {
      if (n.tlsPort === undefined) throw new Error('the cluster was started without TLS');
      return { host: n.host, port: n.tlsPort };
    });
  }

  /** Waits until every running node reports cluster_state:ok with all 16384 slots assigned. */
  async waitUntilHealthy(timeoutMs = 30000): Promise<void> {
    await waitFor('cluster_state:ok on every node', async () => {
      for (const node of this.nodes.filter((n) => n.running)) {
        const info = await rawCommand(node.port, ['CLUSTER', 'INFO']);
        if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384')) return false;
      }
      return true;
    }, timeoutMs, 100);
  }

  /** The running replicas of the master on `port` (from its CLUSTER NODES). */
  async replicasOf(port: number): Promise<RedisServer[]> {
    const lines = (await rawCommand(port, ['CLUSTER', 'NODES'])).split('\n').map((line) => line.split(' '));
    const masterId = lines.find((fields) => fields[2]?.includes('myself'))?.[0];
    const ports = lines.filter((fields) => fields[3] === masterId).map((fields) => Number(/:(\d+)@/.exec(fields[1] ?? '')?.[1]));
    return this.nodes.filter((n) => n.running && ports.includes(n.port));
  }

  /**
   * After a master was killed: waits until the running nodes count `masters` masters again (its
   * replica promoted) and every slot is served. Restarting the killed node before that would bring
   * it back as the master of its slots, empty when it keeps nothing on disk.
   */
  async waitForFailover(masters: number, timeoutMs = 30000): Promise<void> {
    await waitFor(`${String(masters)} running masters`, async () => {
      const roles = await Promise.all(this.nodes.filter((n) => n.running).map((n) => rawCommand(n.port, ['INFO', 'replication'])));
      return roles.filter((info) => info.includes('role:master')).length === masters;
    }, timeoutMs, 100);
    await this.waitUntilHealthy(timeoutMs);
  }

  /** Stops every node and removes their directories. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
