import { InvalidArgumentError } from '../core/errors.js';

/** Bit layout of a time-ordered id: `timestamp | workerId | sequence`, 63 bits so ids stay positive int64. */
export interface IdLayout {
  /** Milliseconds since the Unix epoch at which the timestamp field is 0. */
  readonly epoch: number;
  /** Bits of the worker id field. */
  readonly workerIdBits: number;
  /** Bits of the per-millisecond sequence field. */
  readonly sequenceBits: number;
  /** Bits of the timestamp field (63 - workerIdBits - sequenceBits). */
  readonly timestampBits: number;
}

/** What an id is made of. */
export interface DecodedId {
  /** The millisecond the id was made in. */
  readonly timestamp: Date;
  /** The worker id of the generator that made it. */
  readonly workerId: number;
  /** Its sequence number within that millisecond. */
  readonly sequence: number;
}

/** The default id epoch, 2024-01-01T00:00:00Z: 41 timestamp bits then last until 2093. */
export const DEFAULT_ID_EPOCH = Date.UTC(2024, 0, 1);

/** Validates and completes a layout. */
export function makeLayout(epoch = DEFAULT_ID_EPOCH, workerIdBits = 10, sequenceBits = 12): IdLayout {
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new InvalidArgumentError('epoch', 'must be a non-negative integer of ms');
  if (!Number.isInteger(workerIdBits) || workerIdBits < 1 || workerIdBits > 16) {
    throw new InvalidArgumentError('workerIdBits', 'must be an integer from 1 to 16');
  }
  if (!Number.isInteger(sequenceBits) || sequenceBits < 1 || sequenceBits > 20) {
    throw new InvalidArgumentError('sequenceBits', 'must be an integer from 1 to 20');
  }
  if (workerIdBits + sequenceBits < 10) {
    // More than 53 timestamp bits would let timestamps pass what a Date and a safe integer can hold.
    throw new InvalidArgumentError('sequenceBits', 'workerIdBits + sequenceBits must be at least 10 (timestamp of at most 53 bits)');
  }
  return Object.freeze({ epoch, workerIdBits, sequenceBits, timestampBits: 63 - workerIdBits - sequenceBits });
}

/** Composes an id from its fields (callers guarantee the ranges). */
export function composeId(layout: IdLayout, timestamp: number, workerId: number, sequence: number): bigint {
  return (
    (BigInt(timestamp - layout.epoch) << BigInt(layout.workerIdBits + layout.sequenceBits)) |
    (BigInt(workerId) << BigInt(layout.sequenceBits)) |
    BigInt(sequence)
  );
}

/** Splits an id (bigint or decimal string) into its fields. */
export function decodeId(layout: IdLayout, id: bigint | string): DecodedId {
  let value: bigint;
  try {
    value = typeof id === 'bigint' ? id : BigInt(id);
  } catch {
    throw new InvalidArgumentError('id', 'must be a bigint or a decimal string');
  }
  if (typeof id === 'string' && !/^\d+$/.test(id)) throw new InvalidArgumentError('id', 'must be a decimal string');
  if (value < 0n || value >= 1n << 63n) throw new InvalidArgumentError('id', 'must be between 0 and 2^63 - 1');
  const sequence = Number(value & ((1n << BigInt(layout.sequenceBits)) - 1n));
  const workerId = Number((value >> BigInt(layout.sequenceBits)) & ((1n << BigInt(layout.workerIdBits)) - 1n));
  const timestamp = Number(value >> BigInt(layout.workerIdBits + layout.sequenceBits)) + layout.epoch;
  return { timestamp: new Date(timestamp), workerId, sequence };
}
