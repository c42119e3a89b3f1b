import type { KeyBuilder } from '../core/keys.js';

/** The single key of a block-reserving generator: `{prefix:ids:name}:counter`. */
export function incrementalCounterKey(keys: KeyBuilder, name: string): string {
  return keys.slot('ids', name).key('counter');
}

/** Keys of a time-ordered generator's worker-id leases, all in the slot `{prefix:tids:name}`. */
export interface WorkerLeaseKeys {
  /** Sorted set: member worker id, score the lease expiry in server milliseconds. */
  readonly leases: string;
  /** Hash: worker id to the holder's random token. */
  readonly tokens: string;
  /** Hash: worker id to the highest timestamp (ms) its last holder may have used. */
  readonly highWater: string;
}

/** Builds the {@link WorkerLeaseKeys} of a time-ordered generator. */
export function workerLeaseKeys(keys: KeyBuilder, name: string): WorkerLeaseKeys {
  const slot = keys.slot('tids', name);
  return { leases: slot.key('leases'), tokens: slot.key('tokens'), highWater: slot.key('high-water') };
}
