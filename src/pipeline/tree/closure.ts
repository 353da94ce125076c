/**
 * The shared-library closure: every library an ELF file under the prefix needs must either be under the prefix
 * or be part of Lambda's provided.al2023 image (the allowlist). The original blog recipe copied libgfortran and libquadmath by hand;
 * this finds all of them (libgomp, libstdc++, libgcc_s, libz, ...) with ldd and copies them into <prefix>/lib.
 */
import { copyFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { dataFile } from '../../paths.js';
import { LAYOUT } from '../../layers.js';
import { run } from '../../util/exec.js';
import { exists, isInside } from '../../util/fs.js';
import { globToRegExp } from '../../util/glob.js';
import { batches, ELF_TYPE, elfType, findElfFiles, splitByFileHeader } from './elf.js';

export const ALLOWLIST_FILE_NAME = 'lambda-al2023-libraries.txt';

/** The sonames Lambda's image provides; never copied into the layers. */
export interface Allowlist {
  readonly patterns: readonly string[];
  matches(soname: string): boolean;
}

export interface LddEntry {
  soname: string;
  /** Where the loader found it; null when not found, or for the vDSO (not a file). */
  path: string | null;
}

/** One library to copy into <prefix>/lib. */
export interface PlannedCopy {
  soname: string;
  from: string;
}

/**
 * The libraries listed in one file's `ldd` output (ldd lists the whole transitive closure, not only DT_NEEDED).
 * Handles `name => /path (0x…)`, `name => not found`, the vDSO (`linux-vdso.so.1 (0x…)`) and the loader
 * (`/lib64/ld-linux-x86-64.so.2 (0x…)`, named by its base name). Lines like `statically linked` are skipped.
 */
export function parseLdd(output: string): LddEntry[] {
  const entries: LddEntry[] = [];
  for (const raw of output.split('\n')) {
    // Library lines are indented with a tab; unindented lines are per-file headers of a batch or messages.
    if (!/^\s/.test(raw)) continue;
    const line = raw.trim();
    const arrow = /^(\S+)\s+=>\s+(.*)$/.exec(line);
    if (arrow) {
      const [, soname = '', rest = ''] = arrow;
      if (/^not found\b/.test(rest)) {
        entries.push({ soname, path: null });
        continue;
      }
      const target = /^(\S+)(?:\s+\(0x[0-9a-fA-F]+\))?$/.exec(rest);
      // `name =>  (0x…)` (an empty path) is how old glibc printed the vDSO.
      entries.push({
        soname,
        path: target?.[1] !== undefined && target[1].startsWith('/') ? target[1] : null,
      });
      continue;
    }
    const bare = /^(\S+)\s+\(0x[0-9a-fA-F]+\)$/.exec(line);
    if (bare?.[1] !== undefined) {
      const name = bare[1];
      entries.push(
        name.startsWith('/') ? { soname: path.basename(name), path: name } : { soname: name, path: null },
      );
    }
  }
  return entries;
}

/** `ldd a b c` prints a `<file>:` header before each file's part (only when given more than one). */
export const splitLddByFile = (output: string, files: string[]): Map<string, string> =>
  splitByFileHeader(output, files, /^(\S.*):$/);

/**
 * What to copy into <prefix>/lib, from each needed soname and where ldd found it.
 * Skipped: allowlisted sonames (the image has them) and libraries already under the prefix
 * (or under any of several: a staging tree and the folder it is installed in).
 * `missing` are sonames found nowhere and not allowlisted: the layers could not load.
 */
export function planCopies(
  needs: Map<string, string | null>,
  prefix: string | readonly string[],
  allow: Allowlist,
): { copy: PlannedCopy[]; missing: string[] } {
  const copy: PlannedCopy[] = [];
  const missing: string[] = [];
  for (const soname of [...needs.keys()].sort()) {
    const from = needs.get(soname) ?? null;
    if (allow.matches(soname)) continue;
    if (from === null) missing.push(soname);
    else if (!isInside(from, prefix)) copy.push({ soname, from });
  }
  return { copy, missing };
}

/**
 * The allowlist from the data file's text: one soname or glob per line, `#` comments, blank lines ignored. The globs
 * are util/glob.ts's; a soname never contains '/', so `*` there matches any run of characters.
 */
export function parseAllowlist(text: string): Allowlist {
  const patterns = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');
  const regexps = patterns.map(globToRegExp);
  return { patterns, matches: (soname) => regexps.some((re) => re.test(soname)) };
}

/** The allowlist; by default the data file in the package's data/ folder. */
export async function loadAllowlist(file: string = dataFile(ALLOWLIST_FILE_NAME)): Promise<Allowlist> {
  return parseAllowlist(await readFile(file, 'utf8'));
}

/** A needed library: where it was found (null: nowhere) and the first file that needs it, for messages. */
interface Need {
  path: string | null;
  neededBy: string;
}

/**
 * Run ldd (batched) over `files` with exactly `ldLibraryPath` as LD_LIBRARY_PATH, and merge what they need.
 * When files disagree on where a soname lives, a copy under the prefix wins over one outside, and found wins
 * over not found: at run time the prefix's lib folders are on LD_LIBRARY_PATH for every process.
 */
async function lddNeeds(
  files: string[],
  prefix: readonly string[],
  ldLibraryPath: string[],
  log: Logger,
): Promise<Map<string, Need>> {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', LD_LIBRARY_PATH: ldLibraryPath.join(':') };
  delete env.LD_PRELOAD;
  const needs = new Map<string, Need>();
  const rank = (p: string | null): number => (p === null ? 0 : isInside(p, prefix) ? 2 : 1);
  for (const batch of batches(files)) {
    // ldd exits non-zero when one file of the batch is not dynamic ("not a dynamic executable"); the rest is valid.
    const { stdout, stderr, code } = await run('ldd', batch, { env });
    if (code !== 0 && stderr.trim() !== '') log.debug(`ldd: ${stderr.trim()}`);
    for (const [file, text] of splitLddByFile(stdout, batch)) {
      for (const entry of parseLdd(text)) {
        const known = needs.get(entry.soname);
        if (known === undefined || rank(entry.path) > rank(known.path)) {
          needs.set(entry.soname, { path: entry.path, neededBy: known?.neededBy ?? file });
        }
      }
    }
  }
  return needs;
}

/** ELF files ldd can resolve: executables and shared objects (not `.o` files or core dumps). */
async function loadableElfFiles(files: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const file of files) {
    const type = await elfType(file);
    if (type === ELF_TYPE.executable || type === ELF_TYPE.shared) out.push(file);
  }
  return out;
}

export interface AddMissingOptions {
  /** LD_LIBRARY_PATH for ldd, e.g. [`${prefix}/lib`, `${prefix}/R/lib/R/lib`]; `${prefix}/lib` is added when absent. */
  ldLibraryPath: string[];
  log: Logger;
  allowlistFile?: string;
  /**
   * Where the tree is installed at run time (e.g. `/opt`) when `prefix` is a staging copy of it. A library ldd
   * resolves there (through a RUNPATH such as /opt/lib) is part of the layers, not something to copy.
   */
  installedPrefix?: string;
}

/**
 * Copy into <prefix>/lib every library an ELF file under `prefix` needs that is neither under the prefix nor on
 * the allowlist, each as a real file named by its soname; then follow the copies' own needs to a fixed point.
 * A needed library that ldd finds nowhere is a UserError naming it and a file that needs it.
 */
export async function addMissingLibraries(
  prefix: string,
  options: AddMissingOptions,
): Promise<{ copied: { soname: string; from: string; bytes: number }[] }> {
  const root = path.resolve(prefix);
  const libDir = path.join(root, LAYOUT.lib);
  const allow = await loadAllowlist(options.allowlistFile);
  // The copies land in <prefix>/lib, so later rounds must resolve them there rather than on the host again.
  const ldLibraryPath = options.ldLibraryPath.includes(libDir)
    ? options.ldLibraryPath
    : [libDir, ...options.ldLibraryPath];
  const copied: { soname: string; from: string; bytes: number }[] = [];
  const inside =
    options.installedPrefix === undefined ? [root] : [root, path.resolve(options.installedPrefix)];

  let files = await loadableElfFiles(await findElfFiles(root));
  while (files.length > 0) {
    const needs = await lddNeeds(files, inside, ldLibraryPath, options.log);
    const plan = planCopies(new Map([...needs].map(([soname, need]) => [soname, need.path])), inside, allow);
    if (plan.missing.length > 0) {
      const lines = plan.missing.map(
        (soname) => `  ${soname} (needed by ${needs.get(soname)?.neededBy ?? '?'})`,
      );
      throw new UserError(
        `shared libraries not found for files under ${root}:\n${lines.join('\n')}\n` +
          `Searched LD_LIBRARY_PATH=${ldLibraryPath.join(':')} and the system's library folders. ` +
          'Install the package that provides each library on the build host, or build it into the prefix.',
      );
    }
    const next: string[] = [];
    for (const { soname, from } of plan.copy) {
      const dest = path.join(libDir, soname);
      if (await exists(dest)) {
        // Already in the prefix but not what ldd resolved (a RUNPATH or an ldLibraryPath without <prefix>/lib).
        options.log.warn(
          `${soname}: ldd resolved ${from}, but ${dest} already exists; keeping the prefix's copy`,
        );
        continue;
      }
      await mkdir(libDir, { recursive: true });
      const temp = `${dest}.tmp-${process.pid}`;
      try {
        await copyFile(from, temp); // follows symlinks: the layer gets the real file under the soname
        await rename(temp, dest);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      const bytes = (await stat(dest)).size;
      copied.push({ soname, from, bytes });
      next.push(dest);
      options.log.info(`closure: copied ${soname} from ${from} (${bytes.toLocaleString('en-US')} bytes)`);
    }
    files = next;
  }
  return { copied };
}
