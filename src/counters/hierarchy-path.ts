import { InvalidArgumentError } from '../core/errors.js';
import { encodeKeyPart } from '../core/keys.js';

/** Longest path segment, in UTF-8 bytes. */
export const MAX_SEGMENT_BYTES = 256;
/** Most segments in a path. */
export const MAX_PATH_DEPTH = 16;

/** A node of a hierarchy: its segments from the top, e.g. `['us', 'ca', 'sf', '/home']`; `[]` is the total of everything. */
export type CounterPath = readonly string[];

/** Throws unless `path` is an array of at most MAX_PATH_DEPTH non-empty, well-formed strings of at most MAX_SEGMENT_BYTES; returns it. */
export function checkPath(path: unknown, field: string, allowTop: boolean): readonly string[] {
  if (!Array.isArray(path)) throw new InvalidArgumentError(field, 'must be an array of path segments, e.g. ["us", "ca", "sf"]');
  if (path.length === 0 && !allowTop) throw new InvalidArgumentError(field, 'must have at least one segment');
  if (path.length > MAX_PATH_DEPTH) throw new InvalidArgumentError(field, `must have at most ${String(MAX_PATH_DEPTH)} segments`);
  for (let i = 0; i < path.length; i++) {
    const segment: unknown = path[i];
    if (typeof segment !== 'string' || segment === '') throw new InvalidArgumentError(`${field}[${String(i)}]`, 'must be a non-empty string');
    if (!segment.isWellFormed()) throw new InvalidArgumentError(`${field}[${String(i)}]`, 'contains a lone UTF-16 surrogate (not valid Unicode)');
    if (segment.length * 3 > MAX_SEGMENT_BYTES && Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      throw new InvalidArgumentError(`${field}[${String(i)}]`, `must be at most ${String(MAX_SEGMENT_BYTES)} UTF-8 bytes`);
    }
  }
  return path as readonly string[];
}

/**
 * A node of the hierarchy as the process knows it: interned once, so that a batch merges its
 * events by number and builds each key name once. `suffix` is the node's path below its root,
 * encoded for key names (`:a:b`), `root` its first segment (null for the top).
 */
export class PathNode {
  /** Children by segment. */
  readonly children = new Map<string, PathNode>();
  /** The node's segments from the top. */
  readonly path: readonly string[];
  /** The encoded path below the root, `:`-separated with a leading `:` ('' for the top and roots). */
  readonly suffix: string;

  constructor(
    /** Unique in its tree (a batch merges cells by it). */
    readonly id: number,
    readonly parent: PathNode | null,
    /** Its last segment ('' for the top). */
    readonly segment: string,
  ) {
    this.path = parent === null ? [] : [...parent.path, segment];
    this.suffix = parent === null || parent.parent === null ? '' : `${parent.suffix}:${encodeKeyPart(segment)}`;
  }

  /** Its first segment (null for the top). */
  get root(): string | null {
    return this.path[0] ?? null;
  }
}

/** The nodes the process has seen, from the top; forgotten as a whole when it grows past a bound. */
export class PathTree {
  #top = new PathNode(0, null, '');
  #size = 1;

  /** How many nodes it holds. */
  get size(): number {
    return this.#size;
  }

  /** The node of a checked path, interned. */
  node(path: readonly string[]): PathNode {
    let node = this.#top;
    for (const segment of path) {
      let child = node.children.get(segment);
      if (child === undefined) {
        child = new PathNode(this.#size++, node, segment);
        node.children.set(segment, child);
      }
      node = child;
    }
    return node;
  }

  /** Forgets every node (ids start over: only between batches). */
  clear(): void {
    this.#top = new PathNode(0, null, '');
    this.#size = 1;
  }
}
