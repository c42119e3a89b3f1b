import { describe, expect, it } from 'vitest';
import { masterNodes } from '../../src/core/connection.js';
import { ConnectionError, KickassError, ScriptError } from '../../src/core/errors.js';
import { defineScript } from '../../src/core/script.js';
import { ScriptRunner } from '../../src/core/script-runner.js';
import { TOPOLOGIES, connect, useTopology } from '../harness/topologies.js';
import { closeClient } from '../../src/core/connection.js';
import type { RedisClient } from '../../src/core/connection.js';
import { Cluster, Redis } from 'ioredis';
import { RedisClusterServers, RedisServer } from '../../harness/redis-server.js';

const incrTwice = defineScript<['counter', 'log'], ['by'], number>({
  name: 'test_incr_twice',
  keys: ['counter', 'log'],
  args: ['by'],
  readOnly: false,
  source: "redis.call('RPUSH', KEYS[2], ARGV[1])\nreturn redis.call('INCRBY', KEYS[1], tonumber(ARGV[1]) * 2)",
});

// only commands kickass-redis itself sends, so the test also runs as the suite's ACL user
const setBoth = defineScript<['first', 'second'], ['value'], string>({
  name: 'test_set_both',
  keys: ['first', 'second'],
  args: ['value'],
  readOnly: false,
  source: "redis.call('SET', KEYS[1], ARGV[1])\nreturn redis.call('SET', KEYS[2], ARGV[1])['ok']",
});

const readCounter = defineScript<['counter'], [], string | null>({
  name: 'test_read_counter',
  keys: ['counter'],
  args: [],
  readOnly: true,
  source: "#!lua flags=no-writes\nlocal v = redis.call('GET', KEYS[1])\nif v then return v end\nreturn nil",
});

const failing = defineScript<['k'], ['mode'], number>({
  name: 'test_failing',
  keys: ['k'],
  args: ['mode'],
  readOnly: false,
  source: [
    "if ARGV[1] == 'coded' then return redis.error_reply('E_TEST_LIMIT limit=3') end",
    "if ARGV[1] == 'unmapped' then return redis.error_reply('E_SOMETHING_ELSE detail') end",
    "return redis.call('NOSUCHCOMMAND')",
  ].join('\n'),
});

class TestLimitError extends KickassError {
  constructor(detail: string) {
    super('E_TEST_LIMIT', `limit hit: ${detail}`);
  }
}

async function flushScripts(client: Parameters<typeof masterNodes>[0]): Promise<void> {
  for (const node of masterNodes(client)) await node.script('FLUSH');
}

describe('defineScript', () => {
  it('versions the command name by the source', () => {
    const a = defineScript({ name: 'x', keys: [], args: [], readOnly: false, source: 'return 1' });
    const b = defineScript({ name: 'x', keys: [], args: [], readOnly: false, source: 'return 2' });
    expect(a.commandName).toMatch(/^kr_x_[0-9a-f]{12}$/);
    expect(a.commandName).not.toBe(b.commandName);
    expect(Object.isFrozen(a)).toBe(true);
  });
});

for (const topology of TOPOLOGIES) {
  describe(`ScriptRunner (${topology})`, () => {
    const redis = useTopology(topology);

    it('compiles calls to frozen plans with KEYS and ARGV in header order', () => {
      const kr = redis.kickass();
      const slot = kr.context.keys.slot('s');
      const plan = kr.context.scripts.plan(incrTwice, { log: slot.key('log'), counter: slot.key('c') }, { by: 5 });
      expect(plan.keys).toEqual([slot.key('c'), slot.key('log')]);
      expect(plan.args).toEqual(['5']);
      expect(Object.isFrozen(plan)).toBe(true);
      expect(Object.isFrozen(plan.keys)).toBe(true);
    });

    // SCRIPT FLUSH empties the cache of every client of a server, so this runs on servers of its own,
    // not on the shared ones other test files are using at the same time.
    it('survives SCRIPT FLUSH between calls (EVALSHA falls back to EVAL), direct and pipelined', async () => {
      const cluster = topology === 'cluster' ? await RedisClusterServers.start() : undefined;
      const server = cluster ? undefined : await RedisServer.start();
      const open = (): RedisClient => (cluster ? new Cluster(cluster.seeds) : new Redis(server?.url ?? ''));
      const client = open();
      const other = open();
      try {
        const scripts = new ScriptRunner(client);
        const keys = { counter: '{s}:c', log: '{s}:log' };
        expect(await scripts.run(incrTwice, keys, { by: 1 })).toBe(2);
        await flushScripts(client);
        expect(await scripts.run(incrTwice, keys, { by: 1 })).toBe(4);
        await flushScripts(client);
        expect(await scripts.run(readCounter, { counter: keys.counter }, {})).toBe('4');

        // A fresh runner and client: first call is EVAL, later ones EVALSHA; flush in between again.
        const runner = new ScriptRunner(other);
        for (let i = 0; i < 3; i++) {
          await flushScripts(client);
          const results = await runner.execMany([
            runner.plan(incrTwice, keys, { by: 10 }),
            runner.plan(incrTwice, keys, { by: 0 }),
            runner.plan(readCounter, { counter: keys.counter }, {}),
          ]);
          expect(results).toEqual([
            { ok: true, value: 4 + 20 * (i + 1) },
            { ok: true, value: 4 + 20 * (i + 1) },
            { ok: true, value: String(4 + 20 * (i + 1)) },
          ]);
        }
        expect(await client.lrange(keys.log, 0, -1)).toEqual(['1', '1', '10', '0', '10', '0', '10', '0']);
      } finally {
        await Promise.all([closeClient(client), closeClient(other)]);
        await (cluster ?? server)?.stop();
      }
    });

    it('maps documented Lua error codes to typed errors and the rest to ScriptError', async () => {
      const kr = redis.kickass();
      const k = kr.context.keys.slot('s').key('k');
      const errors = { E_TEST_LIMIT: (detail: string) => new TestLimitError(detail) };
      const coded = kr.context.scripts.run(failing, { k }, { mode: 'coded' }, errors);
      await expect(coded).rejects.toBeInstanceOf(TestLimitError);
      await expect(coded).rejects.toMatchObject({ code: 'E_TEST_LIMIT', message: 'limit hit: limit=3' });
      const unmapped = kr.context.scripts.run(failing, { k }, { mode: 'unmapped' }, errors);
      await expect(unmapped).rejects.toMatchObject({ code: 'E_SOMETHING_ELSE', message: 'detail' });
      const broken = kr.context.scripts.run(failing, { k }, { mode: 'runtime' }, errors);
      await expect(broken).rejects.toBeInstanceOf(ScriptError);
    });

    it('reports a closed connection as a ConnectionError', async () => {
      const client = connect(topology);
      const runner = new ScriptRunner(client);
      const slot = redis.kickass().context.keys.slot('s');
      await closeClient(client);
      await expect(runner.run(readCounter, { counter: slot.key('c') }, {})).rejects.toBeInstanceOf(ConnectionError);
    });

    it('lets the harness see every call (the single-slot assertion hooks in here)', async () => {
      const kr = redis.kickass();
      const seen: string[][] = [];
      kr.context.scripts.onCall((plan) => seen.push([...plan.keys]));
      const a = kr.context.keys.slot('a');
      const b = kr.context.keys.slot('b');
      await kr.context.scripts.run(setBoth, { first: a.key('c'), second: a.key('l') }, { value: 1 });
      expect(seen).toEqual([[a.key('c'), a.key('l')]]);
      // Keys from two different slots are refused before anything is sent.
      await expect(kr.context.scripts.run(setBoth, { first: a.key('c'), second: b.key('l') }, { value: 1 })).rejects.toThrow(/slots/);
      expect(await redis.client.exists(b.key('l'))).toBe(0);
    });
  });
}
