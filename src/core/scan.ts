import type { RedisClient } from './connection.js';
import { isClusterClient, readyMasterNodes } from './connection.js';

/** Yields batches of keys matching a glob on every master (SCAN; a cluster is scanned node by node). */
export async function* scanKeys(client: RedisClient, pattern: string, count = 1000): AsyncGenerator<string[]> {
  for (const node of await readyMasterNodes(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}

/** Unlinks every key matching a glob on every master and returns how many went; never FLUSHALL. */
export async function unlinkKeys(client: RedisClient, pattern: string): Promise<number> {
  let removed = 0;
  // Keys of one SCAN batch may live in different slots, so they are unlinked one by one on a cluster.
  for await (const keys of scanKeys(client, pattern)) {
    if (isClusterClient(client)) for (const key of keys) removed += await client.unlink(key);
    else removed += await client.unlink(...keys);
  }
  return removed;
}
