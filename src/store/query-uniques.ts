import { uniqueValueKeys } from './keys.js';
import type { ModelInternals } from './model-internals.js';
import type { WhereNode } from './query-compile.js';
import { parseOwner } from './unique-claims.js';

type OutsideLeaf = Extract<WhereNode, { t: 'uo' }>;

/** Whether the tree has unique conditions whose owners live outside the partitions. */
export function hasOutsideUniques(node: WhereNode): boolean {
  if (node.t === 'uo') return true;
  if (node.t === 'and' || node.t === 'or') return node.c.some(hasOutsideUniques);
  if (node.t === 'not') return hasOutsideUniques(node.c);
  return false;
}

function leavesOf(node: WhereNode, into: OutsideLeaf[]): OutsideLeaf[] {
  if (node.t === 'uo') into.push(node);
  else if (node.t === 'and' || node.t === 'or') for (const child of node.c) leavesOf(child, into);
  else if (node.t === 'not') leavesOf(node.c, into);
  return into;
}

function rewrite(node: WhereNode, ids: ReadonlyMap<OutsideLeaf, readonly string[]>): WhereNode {
  if (node.t === 'uo') {
    const found = ids.get(node) ?? [];
    // the owners name the candidates; the leaf itself still checks that each one holds the value
    return found.length === 0 ? { t: 'none' } : { t: 'and', c: [{ t: 'id', v: found }, node] };
  }
  if (node.t === 'and' || node.t === 'or') return { t: node.t, c: node.c.map((child) => rewrite(child, ids)) };
  if (node.t === 'not') return { t: 'not', c: rewrite(node.c, ids) };
  return node;
}

/**
 * Looks up the owners of the unique values a query names on a model with several partitions
 * (one HGET per value, concurrently, in the values' bucket slots) and adds their ids to the
 * tree, so each partition reads only those objects. An owner whose object no longer holds the
 * value is dropped by the leaf's own check; a write still confirming its claim (moments) is not
 * found yet.
 */
export async function resolveOutsideUniques(internals: ModelInternals, where: WhereNode): Promise<WhereNode> {
  const leaves = leavesOf(where, []);
  if (leaves.length === 0) return where;
  const client = internals.context.client;
  const ids = new Map<OutsideLeaf, readonly string[]>();
  await Promise.all(
    leaves.map(async (leaf) => {
      const owners = await Promise.all(leaf.v.map((term) => client.hget(uniqueValueKeys(internals, leaf.n, term).owners, term)));
      const found = owners.flatMap((value) => parseOwner(value)?.id ?? []);
      ids.set(leaf, [...new Set(found)]);
    }),
  );
  return rewrite(where, ids);
}
