/**
 * Choosing which Debian source package version fills a stage of the source mirror (scripts/fill-mirror.ts). Pure:
 * parses `apt-cache showsrc` and orders the candidates; the script tries them in that order until one downloads.
 *
 * Why an order and not one version: the archive changes under us. A version apt lists may answer 404 (a security
 * suite's revision whose files are gone), and a suite may move to a newer release. So every listed version is a
 * candidate, best first: Debian's file byte for byte the pinned upstream file (the build then verifies the pinned sum,
 * no override needed), then a repack of the pinned version, then other releases, nearest first.
 */
import { compareVersions } from '../pipeline/tree/glibc.js';

/** One version of a source package as apt's index lists it. */
export interface DebianSource {
  package: string;
  /** Debian's version, e.g. `1:1.3.dfsg+really1.3.2-4`. */
  version: string;
  /** The upstream release it packs, e.g. `1.3.2`. */
  upstreamVersion: string;
  /** The main `*.orig.tar.*` file and the SHA-256 that the signed index gives for it. */
  origFile: string;
  origSha256: string;
}

/** Paragraphs of `apt-cache showsrc` output (blank-line separated), each with its orig tarball. */
export function parseShowsrc(text: string): DebianSource[] {
  const sources: DebianSource[] = [];
  const seen = new Set<string>();
  for (const paragraph of text.split(/\n\s*\n/)) {
    const pkg = /^Package:\s*(\S+)/m.exec(paragraph)?.[1];
    const version = /^Version:\s*(\S+)/m.exec(paragraph)?.[1];
    const sums = /^Checksums-Sha256:\s*\n((?:[ \t]+\S.*\n?)+)/m.exec(paragraph)?.[1] ?? '';
    if (!pkg || !version) continue;
    const orig = sums
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .find(([, , name]) => name !== undefined && /\.orig\.tar\.(gz|xz|bz2)$/.test(name));
    if (!orig?.[0] || !orig[2]) continue;
    // apt lists a version once per suite that carries it; one candidate is enough.
    if (seen.has(`${pkg}=${version}`)) continue;
    seen.add(`${pkg}=${version}`);
    sources.push({
      package: pkg,
      version,
      upstreamVersion: upstreamVersion(version),
      origFile: orig[2],
      origSha256: orig[0].toLowerCase(),
    });
  }
  return sources;
}

/**
 * The upstream release inside a Debian version: without epoch and Debian revision, the version after a `+really`
 * (Debian's way of going back to an older release), and without repack suffixes (`+dfsg`, `.dfsg`, `~`) and a
 * snapshot date (`4.2.2.20221110` is R 4.2.2-patched).
 */
export function upstreamVersion(debianVersion: string): string {
  let v = debianVersion.replace(/^\d+:/, '');
  if (v.includes('-')) v = v.slice(0, v.lastIndexOf('-'));
  const really = /\+really(.+)$/.exec(v);
  if (really?.[1]) v = really[1];
  v = v.replace(/[+~].*$/, '').replace(/\.dfsg.*$/, '');
  return v.replace(/\.\d{8}$/, '');
}

/** Newest first: by upstream release, then by Debian version (a later revision of the same release first). */
const newestFirst = (a: DebianSource, b: DebianSource): number =>
  compareVersions(b.upstreamVersion, a.upstreamVersion) ||
  b.version.localeCompare(a.version, 'en', { numeric: true });

const majorMinor = (v: string): string => v.split('.').slice(0, 2).join('.');

export type Match = 'identical' | 'repack' | 'other';

export interface Candidate extends DebianSource {
  /**
   * identical: Debian's orig file is the pinned upstream file (same SHA-256); repack: the pinned release, repacked;
   * other: another release (a fallback when the pinned one cannot be had).
   */
  match: Match;
}

/** What a stage wants from the mirror: its pinned release and sum (neither for R, whose version is chosen here). */
export interface Wanted {
  version?: string;
  sha256?: string;
}

/**
 * Every listed version, in the order to try them: identical files, then repacks of the pinned release, then other
 * releases — the pinned release's major.minor line first, newest first within each group. With nothing pinned (R),
 * newest first.
 */
export function orderCandidates(sources: DebianSource[], wanted: Wanted): Candidate[] {
  const matchOf = (s: DebianSource): Match =>
    wanted.sha256 && s.origSha256 === wanted.sha256
      ? 'identical'
      : wanted.version && s.upstreamVersion === wanted.version
        ? 'repack'
        : 'other';
  const rank: Record<Match, number> = { identical: 0, repack: 1, other: 2 };
  const line = wanted.version ? majorMinor(wanted.version) : undefined;
  return sources
    .map((s) => ({ ...s, match: matchOf(s) }))
    .sort(
      (a, b) =>
        rank[a.match] - rank[b.match] ||
        Number(majorMinor(b.upstreamVersion) === line) - Number(majorMinor(a.upstreamVersion) === line) ||
        newestFirst(a, b),
    );
}
