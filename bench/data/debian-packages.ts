/**
 * The search benchmark corpus: Debian package descriptions from `apt-cache dumpavail`, with the
 * long descriptions of apt's English translations where apt has them, a fixed subset (the first N
 * packages by name), or generated descriptions where apt is absent.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

/** One document of the corpus. */
export interface PackageDoc {
  readonly id: string;
  readonly name: string;
  readonly section: string;
  readonly description: string;
}

/** Where apt keeps its package lists. */
const APT_LISTS = '/var/lib/apt/lists';

/** Long descriptions by Description-md5, from apt's English translation files (empty without them). */
export function longDescriptions(): Map<string, string> {
  const byDigest = new Map<string, string>();
  let files: string[];
  try {
    files = readdirSync(APT_LISTS).filter((file) => file.includes('_i18n_Translation-en'));
  } catch {
    return byDigest;
  }
  for (const file of files) {
    // apt-helper decompresses whatever compression apt chose for its lists
    const text = execFileSync('/usr/lib/apt/apt-helper', ['cat-file', `${APT_LISTS}/${file}`], { maxBuffer: 1 << 30, encoding: 'utf8' });
    for (const stanza of text.split(/\n\n+/)) {
      const digest = /^Description-md5: (\S+)$/m.exec(stanza)?.[1];
      const at = stanza.indexOf('\nDescription-en: ');
      if (digest !== undefined && at >= 0) byDigest.set(digest, descriptionLines(stanza.slice(at + 17).split('\n')).join('\n'));
    }
  }
  return byDigest;
}

/** A Description field's first line and its continuation lines (' .' paragraph breaks dropped). */
function descriptionLines(lines: readonly string[]): string[] {
  const out = [(lines[0] ?? '').trim()];
  for (const line of lines.slice(1)) {
    if (!line.startsWith(' ')) break;
    const body = line.trim();
    if (body !== '.') out.push(body);
  }
  return out;
}

/**
 * Parses `apt-cache dumpavail` output: one document per package name (the first stanza wins),
 * its description the long one of `long` (by Description-md5) when there is one.
 */
export function parseDumpavail(text: string, long: ReadonlyMap<string, string> = new Map()): PackageDoc[] {
  const byName = new Map<string, PackageDoc>();
  for (const stanza of text.split(/\n\n+/)) {
    let name = '';
    let section = '';
    let digest = '';
    const description: string[] = [];
    let inDescription = false;
    for (const line of stanza.split('\n')) {
      if (line.startsWith(' ') && inDescription) {
        const body = line.trim();
        if (body !== '.') description.push(body);
        continue;
      }
      inDescription = false;
      if (line.startsWith('Package: ')) name = line.slice(9).trim();
      else if (line.startsWith('Section: ')) section = line.slice(9).trim();
      else if (line.startsWith('Description-md5: ')) digest = line.slice(17).trim();
      else if (line.startsWith('Description: ')) {
        description.push(line.slice(13).trim());
        inDescription = true;
      }
    }
    if (name !== '' && description.length > 0 && !byName.has(name)) {
      byName.set(name, { id: '', name, section, description: long.get(digest) ?? description.join('\n') });
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((doc, i) => ({ ...doc, id: String(i + 1) }));
}

/** Words of generated descriptions, the first ones most frequent. */
const WORDS = 'library tool server client data file network system package python perl ruby java graphics audio video image text editor font driver kernel module plugin development documentation utility command line interface shared static database web http protocol format parser compiler debug test game engine desktop window manager terminal shell script binary source translation language support extension framework toolkit display archive compression encryption security mail message chat scientific math analysis'.split(' ');

/** Deterministic generated descriptions (Zipf-like word choice) for machines without apt. */
export function generatedPackages(count: number): PackageDoc[] {
  let seed = 42;
  const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const word = (): string => WORDS[Math.floor(WORDS.length * next() ** 2)] as string;
  return Array.from({ length: count }, (_, i) => {
    const words = Array.from({ length: 3 + Math.floor(next() * 8) }, word);
    return { id: String(i + 1), name: `pkg-${String(i + 1)}`, section: WORDS[i % 12] as string, description: words.join(' ') };
  });
}

/** Every package apt-cache lists (with long descriptions when apt has them), or null where apt is absent. */
export function allDebianPackages(): PackageDoc[] | null {
  let text: string;
  try {
    text = execFileSync('apt-cache', ['dumpavail'], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
  return parseDumpavail(text, longDescriptions());
}

/** The first `count` Debian packages by name, or `count` generated ones when apt-cache is missing or lists fewer. */
export function debianPackages(count: number): { docs: PackageDoc[]; source: string } {
  const all = allDebianPackages();
  if (all === null) return { docs: generatedPackages(count), source: 'generated (apt-cache not found)' };
  if (all.length < count) return { docs: generatedPackages(count), source: `generated (apt-cache lists only ${String(all.length)} packages)` };
  const docs = all.slice(0, count);
  const chars = docs.reduce((sum, doc) => sum + doc.description.length, 0) / docs.length;
  return { docs, source: `apt-cache dumpavail, first ${String(count)} of ${String(all.length)} packages by name, descriptions of ${chars.toFixed(0)} characters on average` };
}
