// A standalone server SIGKILLed and restarted (AOF, appendfsync always) in the middle of a
// write-heavy run of the store, the counters and both id generators: every call resolves or fails
// with a typed KickassError, none is left unhandled, the clients reconnect and reload their scripts
// (NOSCRIPT after the restart), no object is half written (verify() is clean), every acknowledged
// create is there, and no id is handed out twice.
import { describe, expect, it } from 'vitest';
import { KickassError } from '../../src/core/errors.js';
import { t } from '../../src/store/fields.js';
import { waitFor } from '../../harness/redis-server.js';
import { usePrivateServer } from './private-server.js';
import { randomPrefix } from '../harness/topologies.js';

const WORKERS = 8;
const DAY = Date.UTC(2026, 11, 2);

describe('a standalone server restarted mid-run (SIGKILL, AOF with fsync always)', () => {
  const fixture = usePrivateServer(randomPrefix(), { appendonly: true }, { maxRetriesPerRequest: 2 });

  it('fails calls with typed errors only, then carries on: no partial object, no lost create, no repeated id', async () => {
    const { kr, server } = fixture;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    const User = kr.model('user', { name: t.string().index(), email: t.string().unique(), visits: t.integer().sortable() });
    const ids = kr.idGenerator('orders', { blockSize: 50 });
    const eventIds = kr.timeOrderedIds('events');
    const views = kr.hierarchicalCounter('views', { resolutions: ['day'] });
    const created = new Set<string>();
    const handedOut: string[] = [];
    const failures: unknown[] = [];
    let succeededAfterRestart = 0;
    let restarted = false;
    let stop = false;
    const guard = async (call: () => Promise<unknown>): Promise<void> => {
      try {
        await call();
        if (restarted) succeededAfterRestart++;
      } catch (error) {
        failures.push(error);
      }
    };
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const key = `${String(w)}-${String(i)}`;
        await guard(async () => {
          const user = await User.create({ name: `n${String(i % 10)}`, email: `${key}@x.io`, visits: i });
          created.add(user.id);
        });
        const some = [...created][i % Math.max(1, created.size)];
        if (some !== undefined) await guard(() => User.increment(some, 'visits', 1));
        await guard(async () => handedOut.push(String(await ids.next())));
        await guard(async () => handedOut.push(String(await eventIds.next())));
        await guard(() => views.incr(['fr', `p${String(i % 5)}`], { at: DAY }));
      }
    };
    let reconnects = 0;
    kr.client.on('reconnecting', () => reconnects++);
    const running = Array.from({ length: WORKERS }, (_, w) => worker(w));
    await waitFor('some writes', () => Promise.resolve(created.size > 200), 20_000, 10);
    await server.restart();
    restarted = true;
    await waitFor('writes after the restart', () => Promise.resolve(succeededAfterRestart > 500), 30_000, 10);
    stop = true;
    await Promise.all(running);
    await views.flush();
    process.off('unhandledRejection', onUnhandled);

    expect(unhandled).toEqual([]);
    expect(reconnects).toBeGreaterThan(0); // the restart was felt (calls in flight are resent, or fail)
    expect(failures.filter((e) => !(e instanceof KickassError))).toEqual([]);
    // Known caveat (issue 9): a call in flight when the server died is resent by ioredis once it
    // reconnects; a create whose first send was written (and fsynced) before the crash then fails
    // with ObjectExistsError although its object is there, written by that very call.
    expect(new Set(handedOut).size).toBe(handedOut.length);
    const present = await User.getMany([...created]);
    expect(present.filter((u) => u === null)).toEqual([]);
    expect((await User.verify()).problems).toEqual([]);
    expect(await User.count()).toBeGreaterThanOrEqual(created.size);
  }, 90_000);
});
