/** Bytes of a chunk of payloads. */
const CHUNK = 1 << 20;

/**
 * Writes JSON straight into a growing buffer: a batch's payloads are millions of small strings and
 * numbers, and building them as JS strings, then JSON, then UTF-8 for the socket made most of the
 * garbage of a write.
 */
export class JsonWriter {
  // payloads follow each other in a chunk and are handed out as views of it (copying each out cost more than writing it)
  #buffer = Buffer.allocUnsafe(CHUNK);
  #start = 0;
  #length = 0;

  /** Starts a new payload (after the last one, which stays as it was taken). */
  reset(): void {
    this.#start = this.#length;
  }

  #room(bytes: number): void {
    if (this.#length + bytes <= this.#buffer.length) return;
    // a new chunk, with the payload written so far
    const written = this.#length - this.#start;
    let size = CHUNK;
    while (size < written + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.#buffer.copy(grown, 0, this.#start, this.#length);
    this.#buffer = grown;
    this.#start = 0;
    this.#length = written;
  }

  /** Appends bytes as they are (JSON already). */
  raw(bytes: Buffer): void {
    this.#room(bytes.length);
    // a loop beats Buffer#copy on the short pieces written here
    if (bytes.length < 64) {
      const buffer = this.#buffer;
      let at = this.#length;
      for (let i = 0; i < bytes.length; i++) buffer[at++] = bytes[i] as number;
      this.#length = at;
      return;
    }
    bytes.copy(this.#buffer, this.#length);
    this.#length += bytes.length;
  }

  /** Appends one ASCII character. */
  char(code: number): void {
    this.#room(1);
    this.#buffer[this.#length++] = code;
  }

  /** Appends a number's text (as String() writes it: the shortest exact form; safe integers digit by digit). */
  number(x: number): void {
    if (Number.isSafeInteger(x)) {
      this.#room(17);
      const buffer = this.#buffer;
      let n = x;
      if (n < 0) {
        buffer[this.#length++] = 45; // '-'
        n = -n;
      }
      let digits = 1;
      for (let p = 10; p <= n; p *= 10) digits++;
      let at = this.#length + digits;
      this.#length = at;
      do {
        buffer[--at] = 48 + (n % 10);
        n = Math.floor(n / 10);
      } while (n > 0);
      return;
    }
    const text = String(x);
    this.#room(text.length);
    this.#length += this.#buffer.write(text, this.#length, 'latin1');
  }

  /** The payload written since reset (a view that later payloads do not overwrite). */
  take(): Buffer {
    const payload = this.#buffer.subarray(this.#start, this.#length);
    this.#start = this.#length;
    return payload;
  }
}

/** The JSON text of a string, as UTF-8 bytes. */
export function jsonBytes(text: string): Buffer {
  return Buffer.from(JSON.stringify(text), 'utf8');
}
