// kickass-redis under a Redis ACL user confined to its prefix by aclRules(): its keys, its
// channels and only the commands REDIS_COMMANDS lists. Every component runs without a refusal (the
// server's ACL LOG stays empty for the user), while keys outside the prefix and other commands are
// refused; and the list covers every command the Lua scripts call.
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REDIS_COMMANDS, aclRules } from '../../src/core/acl.js';
import { isClusterClient } from '../../src/core/connection.js';
import type { RedisClient } from '../../src/core/connection.js';
import { kickass } from '../../src/kickass.js';
import { TOPOLOGIES, connectionUrl, useTopology } from '../harness/topologies.js';
import { exerciseEveryComponent } from './every-component.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** The Redis clients of every node of a topology (one for a standalone server). */
function nodesOf(client: RedisClient): RedisClient[] {
  return isClusterClient(client) ? client.nodes('all') : [client];
}

/** Every Lua file under a folder, recursively. */
function luaFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? luaFiles(join(dir, e.name)) : e.name.endsWith('.lua') ? [join(dir, e.name)] : []));
}

describe('ACL', () => {
  it('lists every command the Lua scripts call', () => {
    // redis.call('CMD', ...) and the argument lists built for redis.call(unpack(args)): args = { 'CMD', ... }
    const calls = /redis\.p?call\(\s*'(\w+)'|\bargs\s*=\s*\{\s*'(\w+)'/g;
    const called = new Set(luaFiles(SRC).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(calls)].map((m) => (m[1] ?? m[2] ?? '').toLowerCase())));
    expect(called).toContain('bitfield');
    expect(called.size).toBeGreaterThan(30);
    expect([...called].filter((c) => !REDIS_COMMANDS.includes(c))).toEqual([]);
  });

  it('is the line the README gives', () => {
    expect(readFileSync(join(SRC, '..', 'README.md'), 'utf8')).toContain(`ACL SETUSER app on >secret ${aclRules('app')}\n`);
  });

  describe.each(TOPOLOGIES)('%s', (topology) => {
    const redis = useTopology(topology);

    it('runs every component as a user confined to its prefix, which is refused anything else', async () => {
      const user = `kr-acl-${randomBytes(4).toString('hex')}`;
      const password = randomBytes(12).toString('hex');
      await redis.admin.ping(); // a cluster client knows its nodes once connected
      const nodes = nodesOf(redis.admin);
      for (const node of nodes) await node.call('ACL', 'SETUSER', user, 'on', `>${password}`, ...aclRules(redis.prefix).split(' '));
      try {
        const url = connectionUrl(topology, { user, password });
        const kr = kickass({ connection: url, prefix: redis.prefix });
        const other = kickass({ connection: url, prefix: redis.prefix });
        try {
          await exerciseEveryComponent(kr, other);
          const refusals = async (): Promise<unknown[]> => (await Promise.all(nodes.map(async (node) => (await node.call('ACL', 'LOG')) as unknown[][]))).flat().filter((entry) => JSON.stringify(entry).includes(user));
          expect(await refusals()).toEqual([]);
          await expect(kr.client.set('elsewhere', '1')).rejects.toThrow(/NOPERM/);
          await expect(kr.client.call('FLUSHALL')).rejects.toThrow(/NOPERM/);
          await expect(kr.client.call('CONFIG', 'GET', 'maxmemory')).rejects.toThrow(/NOPERM/);
          expect((await refusals()).length).toBeGreaterThan(0);
        } finally {
          await Promise.all([kr.close(), other.close()]);
        }
      } finally {
        for (const node of nodes) await node.call('ACL', 'DELUSER', user);
      }
    }, 60_000);
  });
});
