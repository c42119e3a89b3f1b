import { InvalidArgumentError } from '../core/errors.js';
import { encodeKeyPart } from '../core/keys.js';
import { jsonBytes } from './json-writer.js';

/** Longest path segment, in UTF-8 bytes. */
export const MAX_SEGMENT_BYTES = 256;
/** Most segments in a path. */
export const MAX_PATH_DEPTH = 16;

/** A node of a hierarchy: its segments from the top, e.g. `['us', 'ca', 'sf', '/home']`; `[]` is the total of everything. */
export type CounterPath = readonly string[];

/** True when `path` is certainly a valid non-empty path (a fast check; checkPath says why one is not). */
export function isPlainPath(path: unknown): boolean {
  if (!Array.isArray(path) || path.length === 0 || path.length > MAX_PATH_DEPTH) return false;
  for (const segment of path as unknown[]) {
    if (typeof segment !== 'string' || segment === '' || segment.length * 3 > MAX_SEGMENT_BYTES || !segment.isWellFormed()) return false;
  }
  return true;
}

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
  /** The encoded path below the root, `:`-separated with a leading `:` ('' for the top and roots): its keys' suffix. */
  readonly suffix: string;
  /** Its field in a values hash of its parent's tag: the parent's childPrefix, then its segment's UTF-8 length, ':' and the segment (the add script builds the same). */
  readonly field: string;
  /** What its children's fields start with ('' for the top and roots: their children start a tag). */
  readonly childPrefix: string;

  /** The hash tag of its subtree: where its children's values, its ranking, ids and children live (its root's tag; the top slot for the top). */
  readonly tag: string;
  /** The hash tag of its own value (its parent's tag; the top slot for the top). */
  readonly valueTag: string;
  /** The id of the node whose tag `tag` is (its root's, 0 for the top): a number per tag, for a batch to group cells by. */
  readonly tagId: number;
  /** The id of the node whose tag `valueTag` is. */
  readonly valueTagId: number;

  constructor(
    /** Unique in its tree (a batch merges cells by it). */
    readonly id: number,
    readonly parent: PathNode | null,
    /** Its last segment ('' for the top). */
    readonly segment: string,
    tagOf: (root: string | null) => string,
  ) {
    this.path = parent === null ? [] : [...parent.path, segment];
    this.suffix = parent === null || parent.parent === null ? '' : `${parent.suffix}:${encodeKeyPart(segment)}`;
    this.field = `${parent === null ? '' : parent.childPrefix}${String(Buffer.byteLength(segment, 'utf8'))}:${segment}`;
    this.childPrefix = parent === null || parent.parent === null ? '' : this.field;
    this.tag = parent === null ? tagOf(null) : parent.parent === null ? tagOf(segment) : parent.tag;
    this.valueTag = parent === null ? this.tag : parent.tag;
    this.tagId = parent === null ? id : parent.parent === null ? id : parent.tagId;
    this.valueTagId = parent === null ? id : parent.tagId;
  }

  #fieldJson: Buffer | null = null;
  #segmentJson: Buffer | null = null;
  #childPrefixJson: Buffer | null = null;

  /** Its field as JSON text (UTF-8), made once. */
  get fieldJson(): Buffer {
    return (this.#fieldJson ??= jsonBytes(this.field));
  }

  /** Its childPrefix as JSON text (UTF-8), made once. */
  get childPrefixJson(): Buffer {
    return (this.#childPrefixJson ??= jsonBytes(this.childPrefix));
  }

  /** Its segment as JSON text (UTF-8), made once. */
  get segmentJson(): Buffer {
    return (this.#segmentJson ??= jsonBytes(this.segment));
  }

  /** Its first segment (null for the top). */
  get root(): string | null {
    return this.path[0] ?? null;
  }
}

/** The nodes the process has seen, from the top; forgotten as a whole when it grows past a bound. */
export class PathTree {
  readonly #tagOf: (root: string | null) => string;
  #top: PathNode;
  #size = 1;

  /** `tagOf` names the hash tag of a root's subtree (null: the top slot). */
  constructor(tagOf: (root: string | null) => string) {
    this.#tagOf = tagOf;
    this.#top = new PathNode(0, null, '', tagOf);
  }

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
        child = new PathNode(this.#size++, node, segment, this.#tagOf);
        node.children.set(segment, child);
      }
      node = child;
    }
    return node;
  }

  /** Forgets every node (ids start over: only between batches). */
  clear(): void {
    this.#top = new PathNode(0, null, '', this.#tagOf);
    this.#size = 1;
  }
}
