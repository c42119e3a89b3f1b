import type { PathNode } from './hierarchy-path.js';

/**
 * The value of `field` in a value string (a JSON array of fields and values, as an unranked slot
 * keeps them), or null.
 */
export function blobValue(held: string | null, field: string): string | null {
  if (held === null) return null;
  // the field's token as JSON.stringify wrote it, where a token starts (a value has no ':', a field always has one)
  const token = `${JSON.stringify(field)},"`;
  for (let at = held.indexOf(token); at > 0; at = held.indexOf(token, at + 1)) {
    const before = held[at - 1];
    if (before !== '[' && before !== ',') continue;
    const from = at + token.length;
    const to = held.indexOf('"', from);
    return to > from ? held.slice(from, to) : null;
  }
  // not found as written here (the script re-encodes what it merges): read it whole
  const list = JSON.parse(held) as string[];
  for (let i = 0; i + 1 < list.length; i += 2) if (list[i] === field) return list[i + 1] as string;
  return null;
}

/** The fields and values of a value string. */
export function blobEntries(held: string | null): Map<string, string> {
  const entries = new Map<string, string>();
  if (held === null) return entries;
  const list = JSON.parse(held) as string[];
  for (let i = 0; i + 1 < list.length; i += 2) entries.set(list[i] as string, list[i + 1] as string);
  return entries;
}

/** The children of `node` among a value string's entries: the fields one segment below it, with their values. */
export function childrenIn(entries: ReadonlyMap<string, string>, node: PathNode): [segment: string, value: string][] {
  const out: [string, string][] = [];
  for (const [field, value] of entries) {
    if (!field.startsWith(node.childPrefix)) continue;
    const rest = field.slice(node.childPrefix.length);
    const colon = rest.indexOf(':');
    const segment = rest.slice(colon + 1);
    // a deeper node's field goes on past its first segment's length
    if (colon > 0 && segment !== '' && Buffer.byteLength(segment, 'utf8') === Number(rest.slice(0, colon))) out.push([segment, value]);
  }
  return out;
}
