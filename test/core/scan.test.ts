import { describe, expect, it } from 'vitest';
import { KeyBuilder } from '../../src/core/keys.js';
import { scanKeys, unlinkKeys } from '../../src/core/scan.js';
import { TOPOLOGIES, connect, randomPrefix, useTopology } from '../harness/topologies.js';
import { closeClient } from '../../src/core/connection.js';

for (const topology of TOPOLOGIES) {
  describe(`scanKeys / unlinkKeys (${topology})`, () => {
    const redis = useTopology(topology);

    it('find and remove exactly the keys of one prefix, across every slot and master', async () => {
      const ours = new KeyBuilder(redis.prefix);
      const theirs = new KeyBuilder(`${redis.prefix}x`); // a prefix that starts with ours must be untouched
      const mine = new Set<string>();
      const other = new Set<string>();
      for (let i = 0; i < 300; i++) {
        const key = ours.slot('m', i).key('k', `v:${String(i)}{*}`);
        mine.add(key);
        await redis.client.set(key, '1');
        const foreign = theirs.slot('m', i).key('k');
        other.add(foreign);
        await redis.client.set(foreign, '1');
      }
      const found = new Set<string>();
      for await (const batch of scanKeys(redis.client, ours.pattern(), 50)) for (const key of batch) found.add(key);
      expect(found).toEqual(mine);

      const fresh = connect(topology); // a cluster client that has not connected yet still scans every master
      try {
        expect(await unlinkKeys(fresh, ours.pattern())).toBe(300);
      } finally {
        await closeClient(fresh);
      }
      for (const key of other) expect(await redis.client.exists(key)).toBe(1);
      expect(await unlinkKeys(redis.client, theirs.pattern())).toBe(300);
      expect(await unlinkKeys(redis.client, new KeyBuilder(randomPrefix()).pattern())).toBe(0);
    });
  });
}
