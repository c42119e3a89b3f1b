import { Packr } from 'msgpackr';

/** Turns cache values into bytes and back. */
export interface CacheSerializer {
  /** The bytes of a value (anything but undefined). */
  serialize(value: unknown): Uint8Array;
  /** The value of bytes that serialize returned. */
  deserialize(bytes: Buffer): unknown;
}

/**
 * The default serializer: MessagePack (msgpackr) with structured cloning, so that Date, BigInt of
 * any size, Map, Set, Buffer, typed arrays, RegExp, Error, nested objects and even cycles
 * round-trip. -0 comes back as 0.
 */
export function msgpackSerializer(): CacheSerializer {
  const packr = new Packr({ structuredClone: true, moreTypes: true });
  return {
    serialize: (value) => packr.pack(value),
    deserialize: (bytes) => packr.unpack(bytes) as unknown,
  };
}
