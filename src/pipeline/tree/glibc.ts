/**
 * Which glibc the layers need. Lambda's provided.al2023 image has glibc 2.34; a layer built on a newer host
 * links symbols like GLIBC_2.36 and fails to load there with "version `GLIBC_2.36' not found".
 */
import { run } from '../../util/exec.js';
import { batches, splitByFileHeader } from './elf.js';
import { LAMBDA_LIMITS, LAMBDA_RUNTIME } from '../../layers.js';

const GLIBC_NAME = /\bName:\s+GLIBC_(\d+\.\d+(?:\.\d+)?)\b/;

/**
 * The glibc versions (e.g. `2.34`, `2.3.4`) named in the version-needs section of one file's
 * `readelf --version-info --wide` output. Version definitions (libc itself defines GLIBC_2.34) and
 * the per-symbol table are ignored: only what a file *needs* from the system matters. GLIBC_PRIVATE is not a version.
 */
export function parseGlibcRequirements(readelfOutput: string): string[] {
  const found = new Set<string>();
  let inNeeds = false;
  for (const line of readelfOutput.split('\n')) {
    if (/^Version needs section/.test(line)) {
      inNeeds = true;
      continue;
    }
    // Any other section header, a file header of a batch, or the blank line that ends a section.
    if (/^\S/.test(line) || line.trim() === '') {
      inNeeds = false;
      continue;
    }
    if (!inNeeds) continue;
    const match = GLIBC_NAME.exec(line);
    if (match?.[1]) found.add(match[1]);
  }
  return [...found].sort(compareVersions);
}

/** Numeric comparison of dotted versions: `2.3.4` < `2.17` < `2.34`. Missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  return 0;
}

/** The newest of `versions`, or null when there are none. */
export function highestGlibc(versions: Iterable<string>): string | null {
  let highest: string | null = null;
  for (const v of versions) {
    if (highest === null || compareVersions(v, highest) > 0) highest = v;
  }
  return highest;
}

/** `readelf` over several files prints `File: <path>` before each file's part (only when given more than one). */
export const splitReadelfByFile = (output: string, files: string[]): Map<string, string> =>
  splitByFileHeader(output, files, /^File: (.+)$/);

export interface GlibcScan {
  /** The newest GLIBC_x.y any of the files needs; null when none needs a versioned glibc symbol. */
  highest: string | null;
  /** For each file that needs any versioned glibc symbol: the newest version it needs. */
  byFile: Record<string, string>;
}

/** Run readelf over `files` (ELF files; batched, many per call) and collect what glibc each needs. */
export async function scanGlibcRequirement(files: string[]): Promise<GlibcScan> {
  const byFile: Record<string, string> = {};
  for (const batch of batches([...files].sort())) {
    // A non-zero exit means one file was not ELF; the others are still printed, so the output is used as is.
    const { stdout } = await run('readelf', ['--version-info', '--wide', ...batch], {
      env: { ...process.env, LC_ALL: 'C' },
    });
    for (const [file, text] of splitReadelfByFile(stdout, batch)) {
      const highest = highestGlibc(parseGlibcRequirements(text));
      if (highest !== null) byFile[file] = highest;
    }
  }
  return { highest: highestGlibc(Object.values(byFile)), byFile };
}

/** One file that needs `version` (the first in path order, so the message is stable). */
export function fileNeeding(byFile: Record<string, string>, version: string): string | undefined {
  return Object.keys(byFile)
    .sort()
    .find((file) => byFile[file] === version);
}

/**
 * Whether layers that need glibc `highest` load on provided.al2023, and a sentence saying so.
 * Given a whole scan, the message names one file that needs the highest version, so the person can see
 * where it comes from; given only a version, `example` can name that file.
 */
export function lambdaGlibcVerdict(
  scanOrHighest: GlibcScan | string | null,
  example?: string,
): { compatible: boolean; message: string } {
  const limit = LAMBDA_LIMITS.glibc;
  const highest =
    typeof scanOrHighest === 'object' && scanOrHighest !== null ? scanOrHighest.highest : scanOrHighest;
  if (highest === null) {
    return { compatible: true, message: 'no ELF file needs a versioned glibc symbol' };
  }
  if (compareVersions(highest, limit) <= 0) {
    return {
      compatible: true,
      message: `the layers need glibc ${highest}; ${LAMBDA_RUNTIME} has glibc ${limit}`,
    };
  }
  const file =
    typeof scanOrHighest === 'object' && scanOrHighest !== null
      ? fileNeeding(scanOrHighest.byFile, highest)
      : example;
  const who = file === undefined ? '' : ` (${file} needs GLIBC_${highest})`;
  return {
    compatible: false,
    message:
      `these layers will not load on Lambda: they need glibc ${highest}${who}, ` +
      `but Lambda's ${LAMBDA_RUNTIME} runtime has glibc ${limit}. ` +
      'Build them in an amazonlinux:2023 container (or on an Amazon Linux 2023 host) instead.',
  };
}
