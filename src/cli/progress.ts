/** Where the CLI writes its progress: a redrawn line on a terminal, else a line every few seconds. */
export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): boolean;
}

const WIDTH = 30;

/** `1,234,567`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A bar of `done` out of `total`: `[#######-------]  41%`. */
export function progressBar(done: number, total: number): string {
  const ratio = total <= 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%`;
}

/** Shows a changing status line: redrawn in place on a terminal, printed at most every `everyMs` otherwise. */
export class StatusLine {
  #last = 0;
  #open = false;

  constructor(
    readonly out: ProgressOutput,
    readonly everyMs = 2000,
  ) {}

  /** Shows `text` (`force` prints it even between intervals off a terminal). */
  update(text: string, force = false): void {
    if (this.out.isTTY === true) {
      this.out.write(`\r\x1b[2K${text}`);
      this.#open = true;
      return;
    }
    const now = Date.now();
    if (!force && now - this.#last < this.everyMs) return;
    this.#last = now;
    this.out.write(`${text}\n`);
  }

  /** Ends the redrawn line (so that what follows starts on its own line). */
  done(): void {
    if (this.#open) this.out.write('\n');
    this.#open = false;
  }
}
