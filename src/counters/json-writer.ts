/**
 * Writes JSON straight into a growing buffer: a batch's payloads are millions of small strings and
 * numbers, and building them as JS strings, then JSON, then UTF-8 for the socket made most of the
 * garbage of a write.
 */
export class JsonWriter {
  #buffer = Buffer.allocUnsafe(1 << 16);
  #length = 0;

  /** Starts a new payload (the last one was taken). */
  reset(): void {
    this.#length = 0;
  }

  #room(bytes: number): void {
    if (this.#length + bytes <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.#length + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
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

  /** Appends a number's text (as String() writes it: the shortest exact form). */
  number(x: number): void {
    if (x >= 0 && x < 10 && x % 1 === 0) {
      this.char(48 + x);
      return;
    }
    const text = String(x);
    this.#room(text.length);
    this.#length += this.#buffer.write(text, this.#length, 'latin1');
  }

  /** The payload written since reset, as a buffer of its own. */
  take(): Buffer {
    return Buffer.from(this.#buffer.subarray(0, this.#length));
  }
}

/** The JSON text of a string, as UTF-8 bytes. */
export function jsonBytes(text: string): Buffer {
  return Buffer.from(JSON.stringify(text), 'utf8');
}
