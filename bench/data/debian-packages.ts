/**
 * The search benchmark corpus: Debian package descriptions from `apt-cache dumpavail`, a fixed
 * subset (the first N packages by name), or generated descriptions where apt is absent.
 */
import { execFileSync } from 'node:child_process';

/** One document of the corpus. */
export interface PackageDoc {
  readonly id: string;
  readonly name: string;
  readonly section: string;
  readonly description: string;
}

/** Parses `apt-cache dumpavail` output: one document per package name (the first stanza wins). */
export function parseDumpavail(text: string): PackageDoc[] {
  const byName = new Map<string, PackageDoc>();
  for (const stanza of text.split(/\n\n+/)) {
    let name = '';
    let section = '';
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
      else if (line.startsWith('Description: ')) {
        description.push(line.slice(13).trim());
        inDescription = true;
      }
    }
    if (name !== '' && description.length > 0 && !byName.has(name)) {
      byName.set(name, { id: '', name, section, description: description.join('\n') });
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

/** Every package apt-cache lists, or null where apt is absent. */
export function allDebianPackages(): PackageDoc[] | null {
  try {
    return parseDumpavail(execFileSync('apt-cache', ['dumpavail'], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return null;
  }
}

/** The first `count` Debian packages by name, or `count` generated ones when apt-cache is missing or lists fewer. */
export function debianPackages(count: number): { docs: PackageDoc[]; source: string } {
  const all = allDebianPackages();
  if (all === null) return { docs: generatedPackages(count), source: 'generated (apt-cache not found)' };
  if (all.length < count) return { docs: generatedPackages(count), source: `generated (apt-cache lists only ${String(all.length)} packages)` };
  return { docs: all.slice(0, count), source: `apt-cache dumpavail, first ${String(count)} of ${String(all.length)} packages by name` };
}
