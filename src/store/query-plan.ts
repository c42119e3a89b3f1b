/**
 * The second half of where-compilation: picks the index leaves a validated condition tree
 * (CondTree, see query-compile.ts) is answered from, merging conditions on one field and using
 * compound indexes where the conditions fix their leading fields.
 */
import { encodeKeyPart } from '../core/keys.js';
import { MAX_COMBINATIONS, fail, hashField, nameOf, rangeCompare, tighter } from './query-compile.js';
import type { Cond, CondTree, NumRange, SortSpec, TermRange, WhereNode } from './query-compile.js';
import type { CompiledCompound, CompiledField, ModelSchema } from './schema.js';

/** Index terms of an equality: folded texts, and both zeros for numbers (`-0` and `0` are stored apart). */
function termsOf(cond: Cond & { kind: 'eq' }): string[] {
  const terms = new Set(cond.texts);
  if (cond.target !== 'id' && cond.target.scalar === 'number') {
    for (const t of cond.texts) if (Number(t) === 0) terms.add('0').add('-0');
  }
  return [...terms];
}

/** Distinct values of an equality (numbers compared as numbers). */
function pointsOf(cond: Cond & { kind: 'eq' }): string[] {
  if (cond.target === 'id' || cond.target.scalar === 'string') return [...new Set(cond.texts)];
  const seen = new Map<number, string>();
  for (const t of cond.texts) if (!seen.has(Number(t))) seen.set(Number(t), t);
  return [...seen.values()];
}

const fullNum: NumRange = { a: '-inf', ae: 0, b: '+inf', be: 0 };

function numRanges(cond: Cond): NumRange[] {
  if (cond.kind === 'eq') return pointsOf(cond).map((p) => ({ a: p, ae: 0, b: p, be: 0 }));
  if (cond.kind === 'range') {
    return [{ a: cond.lo?.text ?? '-inf', ae: cond.lo?.excl === true ? 1 : 0, b: cond.hi?.text ?? '+inf', be: cond.hi?.excl === true ? 1 : 0 }];
  }
  return [fullNum];
}

function termRanges(cond: Cond): TermRange[] {
  if (cond.kind === 'eq') return pointsOf(cond).map((p) => ({ a: p, ae: 0, b: p, be: 0 }));
  if (cond.kind === 'prefix') return [{ p: cond.p }];
  const r: { a?: string; ae?: 0 | 1; b?: string; be?: 0 | 1 } = {};
  if (cond.lo) Object.assign(r, { a: cond.lo.text, ae: cond.lo.excl ? 1 : 0 });
  if (cond.hi) Object.assign(r, { b: cond.hi.text, be: cond.hi.excl ? 1 : 0 });
  return [r];
}

/** The index leaf answering one condition alone, or a ValidationError saying why none can. */
function leafOf(schema: ModelSchema, cond: Cond): WhereNode {
  const target = cond.target;
  if (target === 'id') {
    if (cond.kind === 'eq') return { t: 'id', v: pointsOf(cond) };
    return { t: 'id', r: termRanges(cond) };
  }
  const f = target.name;
  if (cond.kind === 'eq') {
    if (target.setIndex) return { t: 'set', f, h: hashField(target), a: target.kind === 'array' ? 1 : 0, v: termsOf(cond) };
    if (target.scoreIndex) return { t: 'num', f, h: f, r: numRanges(cond) };
    if (target.lexIndex) return { t: 'lex', f, h: hashField(target), r: termRanges(cond) };
    if (target.unique) return { t: schema.partitions === 1 ? 'uq' : 'uo', n: f, h: [hashField(target)], v: termsOf(cond) };
    fail(target, `has no index to answer equality; add index()${compoundHint(schema, target)}`);
  }
  const op = cond.kind === 'prefix' ? 'prefix' : 'a range';
  if (target.kind === 'array') fail(target, `${op} cannot apply to an array field; arrays answer eq, in and ne (by member)`);
  if (target.kind === 'boolean') fail(target, `${op} cannot apply to a boolean; booleans answer eq, in and ne`);
  if (cond.kind === 'prefix') {
    if (target.lexIndex) return { t: 'lex', f, h: hashField(target), r: termRanges(cond) };
    fail(target, `prefix needs a lexical index; add sortable()${compoundHint(schema, target)}`);
  }
  if (target.scoreIndex) return { t: 'num', f, h: f, r: numRanges(cond) };
  if (target.lexIndex) return { t: 'lex', f, h: hashField(target), r: termRanges(cond) };
  fail(target, `a range needs an ordered index; add sortable()${compoundHint(schema, target)}`);
}

function compoundHint(schema: ModelSchema, field: CompiledField): string {
  const c = schema.compounds.find((x) => x.fields.includes(field.name));
  if (c === undefined) return '';
  const lead = c.fields.slice(0, -1).join(', ');
  return ` (compound index ${c.name} answers it only together with equality on ${lead} and a condition on ${c.fields[c.fields.length - 1] ?? ''})`;
}

function product(lists: readonly (readonly string[])[]): string[][] {
  let out: string[][] = [[]];
  for (const list of lists) out = out.flatMap((prefix) => list.map((t) => [...prefix, t]));
  return out;
}

interface AndContext {
  readonly schema: ModelSchema;
  /** The sorted field, when this AND is the whole where (a compound may then serve the order). */
  readonly sortField: string | undefined;
  /** Receives a compound index that can walk the sort order. */
  onSortCompound(x: { n: string; v: string[][] }): void;
}

/**
 * Merges the conditions of one AND on the same field: ranges intersect into one, and equalities
 * on a scalar field intersect their values (null when nothing can match).
 */
function mergeSameField(conds: Cond[]): Cond[] | null {
  const out: Cond[] = [];
  const at = new Map<string, number>();
  for (const cond of conds) {
    const scalar = cond.target === 'id' || cond.target.kind !== 'array';
    if (cond.kind === 'prefix' || (cond.kind === 'eq' && !scalar)) {
      out.push(cond);
      continue;
    }
    const slot = `${cond.kind}:${nameOf(cond.target)}`;
    const index = at.get(slot);
    if (index === undefined) {
      at.set(slot, out.length);
      out.push(cond);
      continue;
    }
    const prev = out[index] as Cond;
    if (prev.kind === 'range' && cond.kind === 'range') {
      const cmp = rangeCompare(cond.target);
      const lo = tighter(prev.lo, cond.lo, cmp, 1);
      const hi = tighter(prev.hi, cond.hi, cmp, -1);
      out[index] = { kind: 'range', target: cond.target, ...(lo ? { lo } : {}), ...(hi ? { hi } : {}) };
    } else if (prev.kind === 'eq' && cond.kind === 'eq') {
      const numeric = cond.target !== 'id' && cond.target.scalar !== 'string';
      const keyOf = (text: string): string => (numeric ? String(Number(text)) : text);
      const keep = new Set(cond.texts.map(keyOf));
      const texts = prev.texts.filter((text) => keep.has(keyOf(text)));
      if (texts.length === 0) return null;
      out[index] = { kind: 'eq', target: cond.target, texts };
    }
  }
  return out;
}

/**
 * Uses multi-field unique constraints and compound indexes for the conditions of one AND. A
 * leading equality can serve several compounds; each compound takes the condition on its last
 * field. Returns null when the conditions contradict each other.
 */
function combine(conds: Cond[], ctx: AndContext): { leaves: WhereNode[]; rest: Cond[] } | null {
  const { schema } = ctx;
  const merged = mergeSameField(conds);
  if (merged === null) return null;
  let rest = merged;
  const leaves: WhereNode[] = [];
  const eqOf = (name: string): (Cond & { kind: 'eq' }) | undefined =>
    rest.find((c): c is Cond & { kind: 'eq' } => c.kind === 'eq' && nameOf(c.target) === name);
  for (const unique of schema.uniques) {
    if (unique.fields.length < 2) continue;
    const eqs = unique.fields.map(eqOf);
    if (eqs.some((e) => e === undefined)) continue;
    const lists = (eqs as (Cond & { kind: 'eq' })[]).map(termsOf);
    if (lists.reduce((n, l) => n * l.length, 1) > MAX_COMBINATIONS) continue;
    const v = product(lists).map((parts) => parts.map((p) => encodeKeyPart(p)).join(':'));
    const t = schema.partitions === 1 ? 'uq' : 'uo';
    leaves.push({ t, n: unique.name, h: unique.fields.map((n) => hashField(schema.fields.get(n) as CompiledField)), v });
    rest = rest.filter((c) => !eqs.includes(c as Cond & { kind: 'eq' }));
  }
  const covered = new Set<Cond>();
  for (const compound of schema.compounds) {
    const leading = compound.fields.slice(0, -1);
    const lastName = compound.fields[compound.fields.length - 1] as string;
    const last = schema.fields.get(lastName) as CompiledField;
    const eqs = leading.map(eqOf);
    if (eqs.some((e) => e === undefined)) continue;
    const lists = (eqs as (Cond & { kind: 'eq' })[]).map(termsOf);
    if (lists.reduce((n, l) => n * l.length, 1) > MAX_COMBINATIONS) continue;
    const v = product(lists);
    const onLast =
      rest.find((c) => c.kind === 'range' && nameOf(c.target) === lastName) ??
      rest.find((c) => c.kind === 'eq' && nameOf(c.target) === lastName) ??
      (compound.order === 'lex' ? rest.find((c) => c.kind === 'prefix' && nameOf(c.target) === lastName) : undefined);
    if (onLast === undefined && !(last.definition.required && eqs.some((e) => !covered.has(e as Cond)))) {
      if (ctx.sortField === lastName && v.length === 1) ctx.onSortCompound({ n: compound.name, v });
      continue;
    }
    leaves.push(compoundLeaf(schema, compound, v, onLast));
    for (const e of eqs) covered.add(e as Cond);
    if (onLast) rest = rest.filter((c) => c !== onLast);
  }
  return { leaves, rest: rest.filter((c) => !covered.has(c)) };
}

function compoundLeaf(schema: ModelSchema, compound: CompiledCompound, v: string[][], onLast: Cond | undefined): WhereNode {
  const fields = compound.fields.map((n) => schema.fields.get(n) as CompiledField);
  const last = fields.pop() as CompiledField;
  const score = compound.order === 'score';
  const r = onLast === undefined ? [score ? fullNum : {}] : score ? numRanges(onLast) : termRanges(onLast);
  return { t: 'cx', n: compound.name, o: score ? 'n' : 'l', h: fields.map(hashField), lh: hashField(last), v, r };
}

function simplifyAnd(children: WhereNode[]): WhereNode {
  const flat: WhereNode[] = [];
  for (const c of children) {
    if (c.t === 'none') return c;
    if (c.t === 'all') continue;
    if (c.t === 'and') flat.push(...c.c);
    else flat.push(c);
  }
  if (flat.length === 0) return { t: 'all' };
  return flat.length === 1 ? (flat[0] as WhereNode) : { t: 'and', c: flat };
}

function finalize(tree: CondTree, ctx: AndContext): WhereNode {
  switch (tree.t) {
    case 'all':
    case 'none':
      return tree;
    case 'leaf':
      return tree.leaf;
    case 'not': {
      const inner = finalize(tree.c, { ...ctx, sortField: undefined });
      if (inner.t === 'all') return { t: 'none' };
      if (inner.t === 'none') return { t: 'all' };
      if (inner.t === 'not') return inner.c;
      return { t: 'not', c: inner };
    }
    case 'or': {
      const children: WhereNode[] = [];
      for (const c of tree.c) {
        const inner = finalize(c, { ...ctx, sortField: undefined });
        if (inner.t === 'all') return inner;
        if (inner.t === 'or') children.push(...inner.c);
        else if (inner.t !== 'none') children.push(inner);
      }
      if (children.length === 0) return { t: 'none' };
      return children.length === 1 ? (children[0] as WhereNode) : { t: 'or', c: children };
    }
    default: {
      // Flatten nested ANDs so that conditions from several where() calls and $and meet.
      const conds: Cond[] = [];
      const others: CondTree[] = [];
      const visit = (node: CondTree): void => {
        if (node.t === 'and') node.c.forEach(visit);
        else if (node.t === 'cond') conds.push(node.cond);
        else others.push(node);
      };
      visit(tree);
      const combined = combine(conds, ctx);
      if (combined === null) return { t: 'none' };
      const { leaves, rest } = combined;
      const children = [...leaves, ...rest.map((c) => leafOf(ctx.schema, c)), ...others.map((o) => finalize(o, { ...ctx, sortField: undefined }))];
      return simplifyAnd(children);
    }
  }
}

/** Chooses the index of every condition; throws ValidationError for one no index can answer. */
export function finalizeWhere(schema: ModelSchema, tree: CondTree, sortField?: string): { where: WhereNode; sortCompound?: SortSpec['x'] } {
  let sortCompound: SortSpec['x'];
  const where = finalize(tree, {
    schema,
    sortField,
    onSortCompound: (x) => {
      sortCompound ??= x;
    },
  });
  return sortCompound === undefined ? { where } : { where, sortCompound };
}

