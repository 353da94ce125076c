/** A CRAN-like repository's src/contrib/PACKAGES index (or a package's DESCRIPTION, the same format), read as data. */
import { fetchText } from '../../util/fetch.js';

export interface IndexEntry {
  version: string;
  /** Package names from Depends, Imports and LinkingTo (the ones install.packages installs). */
  deps: string[];
  /** base or recommended: shipped with R (R's own library has it). */
  priority?: string;
  /** Free text naming the system libraries and tools the package needs (in DESCRIPTION files; CRAN's index lacks it). */
  systemRequirements?: string;
}

/** Pure: DCF records separated by blank lines; a line starting with white space continues the field before it. */
export function parsePackagesIndex(text: string): Map<string, IndexEntry> {
  const index = new Map<string, IndexEntry>();
  for (const record of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    let last = '';
    for (const line of record.split('\n')) {
      const m = /^([A-Za-z/@-]+):\s*(.*)$/.exec(line);
      if (m && m[1]) fields[(last = m[1])] = m[2] ?? '';
      else if (last && /^\s/.test(line)) fields[last] += ` ${line.trim()}`;
    }
    if (!fields.Package || !fields.Version) continue;
    const deps = ['Depends', 'Imports', 'LinkingTo']
      .flatMap((f) => (fields[f] ?? '').split(','))
      .map((d) => d.replace(/\(.*?\)/g, '').trim())
      .filter((d) => d && d !== 'R');
    index.set(fields.Package, {
      version: fields.Version,
      deps,
      ...(fields.Priority ? { priority: fields.Priority } : {}),
      ...(fields.SystemRequirements ? { systemRequirements: fields.SystemRequirements } : {}),
    });
  }
  return index;
}

/**
 * Pure: `name version` for the wanted packages and everything they need from the index, sorted. Packages not in the
 * index (base and recommended ones, or a misspelt name) appear as `name -`.
 */
export function versionsWithDependencies(
  wanted: readonly string[],
  index: Map<string, IndexEntry>,
): string[] {
  const seen = new Map<string, string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    const entry = index.get(name);
    seen.set(name, entry?.version ?? '-');
    for (const dep of entry?.deps ?? []) visit(dep);
  };
  for (const name of wanted) visit(name);
  return [...seen].map(([name, version]) => `${name} ${version}`).sort();
}

/**
 * A CRAN-like repository whose index is read at most once: the system-requirements step and the package stages' keys
 * both need it, and an unreachable repository should cost its retries once per build, not once per reader.
 */
export interface Repository {
  /** The repository's base URL (https:// or file://). */
  url: string;
  indexUrl: string;
  /** The parsed index; rejects (every time, with the first error) when it cannot be read. */
  index(): Promise<Map<string, IndexEntry>>;
}

export function repository(url: string, read: (indexUrl: string) => Promise<string> = fetchText): Repository {
  const indexUrl = `${url}/src/contrib/PACKAGES`;
  let index: Promise<Map<string, IndexEntry>> | undefined;
  return { url, indexUrl, index: () => (index ??= read(indexUrl).then(parsePackagesIndex)) };
}
