import type { KickassContext } from '../core/context.js';
import type { SlotKeys } from '../core/keys.js';
import { bitsOf } from './bit-batch.js';
import type { IdMap } from './id-map.js';

/** What expressions need of a counter (see SlotSet). */
export interface CounterInternals {
  readonly context: KickassContext;
  readonly slotKeys: SlotKeys;
  /** The id space: 'i' (integer ids) or 'm:<map name>'. */
  readonly space: string;
  readonly approximate: boolean;
  readonly idMap: IdMap | null;
}

/** The numbers of a bitmap, as ids of the counter's id space. */
export async function idsOfBits(internals: CounterInternals, bitmap: Buffer): Promise<(string | number)[]> {
  const numbers = bitsOf(bitmap);
  if (internals.idMap === null) return numbers;
  const out: (string | number)[] = [];
  for (let at = 0; at < numbers.length; at += 5000) {
    for (const id of await internals.idMap.ids(numbers.slice(at, at + 5000))) if (id !== null) out.push(id);
  }
  return out;
}
