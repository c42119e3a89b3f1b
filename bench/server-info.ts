/** Reading a benchmark's Redis server: memory in use, and the keys of a pattern. */
import type { Redis } from 'ioredis';

/** Waits until the server has freed what UNLINK handed to its background thread (10 s at most). */
export async function lazyFreeDone(raw: Redis): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (/lazyfree_pending_objects:0\b/.test(await raw.info('memory'))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The server's used_memory once pending lazy frees are done. */
export async function usedMemory(raw: Redis): Promise<number> {
  await lazyFreeDone(raw);
  return Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1] ?? 'NaN');
}

/** The keys matching a glob, a SCAN page at a time. */
export async function* scanAll(raw: Redis, pattern: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    yield keys;
  } while (cursor !== '0');
}

/** Every key matching a glob. */
export async function keysMatching(raw: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  for await (const keys of scanAll(raw, pattern)) out.push(...keys);
  return out;
}
