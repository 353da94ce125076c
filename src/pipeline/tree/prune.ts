/**
 * Pruning the installed tree before it is zipped. Each rule is data (which paths, which switch turns it on);
 * one engine applies them in order and reports what each saved, so a person can see which switch buys what.
 *
 * Paths are relative to the prefix. R's home is `R/lib/R` because the build forces LIBnn=lib; `R/lib64/R`
 * is accepted too. Run this after every R package is installed: packages with native code need the headers,
 * and the package rules apply to the site-library as well.
 */
import { lstat, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../log.js';
import { run } from '../../util/exec.js';
import { formatBytes } from '../../util/format.js';
import { globToRegExp } from '../../util/glob.js';
import { batches, ELF_TYPE, elfType, findElfFiles } from './elf.js';
import type { PruneOptions } from '../plan/prune-options.js';
import { LAYOUT } from '../../layers.js';

/** Where R's home may be under the prefix. */
const R_HOMES = [LAYOUT.rHome, LAYOUT.rHome.replace('/lib/', '/lib64/')];
/** Where installed packages are: R's own library and the user's site-library. */
const LIBRARIES = [...R_HOMES.map((home) => `${home}/library`), LAYOUT.siteLibrary];

/**
 * A set of paths, as globs over '/'-separated paths relative to the prefix: `*` within one segment,
 * `**` across segments. A matching directory is removed with everything in it.
 */
export interface PathSelector {
  include: string[];
  /** Globs that keep a path `include` matched. */
  exclude?: string[];
  /** Only entries of this kind (symlinks count as files). Default: both. */
  kind?: 'file' | 'dir';
}

export interface PruneRule {
  id: string;
  description: string;
  /** The switch in PruneOptions that turns the rule on. */
  option: keyof PruneOptions;
  /** Remove the selected paths; or, for a rule that rewrites files, the function that does it. */
  action: { remove: PathSelector } | { transform: (prefix: string, log: Logger) => Promise<TransformResult> };
}

export interface TransformResult {
  bytesSaved: number;
  filesChanged: number;
  /** Files the transform could not handle; left as they were. */
  failed: string[];
}

export interface PruneRuleReport {
  id: string;
  description: string;
  bytesSaved: number;
  filesRemoved: number;
  /** Files rewritten in place (strip); 0 for removal rules. */
  filesChanged: number;
  failed: string[];
}

export interface PruneReport {
  /** One entry per enabled rule, in the order applied. */
  rules: PruneRuleReport[];
  bytesSaved: number;
  filesRemoved: number;
}

const each = (bases: string[], suffixes: string[]): string[] =>
  bases.flatMap((b) => suffixes.map((s) => `${b}/${s}`));

/** The rules, in the order applied: removals first, so strip does not work on files about to go. */
export const PRUNE_RULES: readonly PruneRule[] = [
  {
    id: 'translations',
    description: "tcltk and every translation except English (R's translations/ and packages' po/ folders)",
    option: 'translations',
    action: {
      remove: {
        include: [
          ...each(R_HOMES, ['library/tcltk', 'library/translations/*']),
          ...each(LIBRARIES, ['*/po/*']),
        ],
        // `en`, `en@quot`, `en_GB` …, and the DESCRIPTION that makes translations/ an installed package.
        exclude: [
          ...each(R_HOMES, ['library/translations/en*', 'library/translations/DESCRIPTION']),
          ...each(LIBRARIES, ['*/po/en*']),
        ],
      },
    },
  },
  {
    id: 'docs',
    description:
      "R's manuals and installed documentation (share/doc, share/info, gtk-doc; openssl's html docs)",
    option: 'docs',
    action: {
      remove: {
        include: [
          ...each(R_HOMES, ['doc/manual']),
          // Also openssl's html pages: `make install` puts them in share/doc/openssl/html.
          'share/doc',
          'share/info',
          'share/gtk-doc',
          'R/share/doc',
          'R/share/info',
        ],
      },
    },
  },
  {
    id: 'manPages',
    description: 'man pages',
    option: 'manPages',
    // bzip2 installs its pages in man/ rather than share/man.
    action: { remove: { include: ['man', 'share/man', 'R/share/man', 'local/share/man'] } },
  },
  {
    id: 'staticLibs',
    description: 'static libraries (*.a) and libtool archives (*.la)',
    option: 'staticLibs',
    action: { remove: { include: ['**/*.a', '**/*.la'], kind: 'file' } },
  },
  {
    id: 'packageExtras',
    description: "installed packages' html, doc, tests and demo folders",
    option: 'packageExtras',
    // Never a package's R, libs, help, data, Meta, NAMESPACE, DESCRIPTION or INDEX: library() reads them.
    action: { remove: { include: each(LIBRARIES, ['*/html', '*/doc', '*/tests', '*/demo']), kind: 'dir' } },
  },
  {
    id: 'help',
    description: "packages' help databases (help/*.rdb, *.rdx); ?topic no longer works, packages still load",
    option: 'help',
    // aliases.rds, AnIndex and paths.rds are kept: a few KB, and help() can still say which topic exists.
    action: { remove: { include: each(LIBRARIES, ['*/help/*.rdb', '*/help/*.rdx']), kind: 'file' } },
  },
  {
    id: 'headers',
    description:
      "C headers (include/ and R's include/) and other files only compiling against the tree needs (pkg-config, cmake, aclocal)",
    option: 'headers',
    action: {
      remove: {
        include: [
          'include',
          ...each(R_HOMES, ['include']),
          'lib/pkgconfig',
          'lib/cmake',
          'share/aclocal',
          'lib/xml2Conf.sh',
        ],
      },
    },
  },
  {
    id: 'strip',
    description:
      'symbols in ELF files (strip --strip-unneeded on shared libraries, --strip-all on executables)',
    option: 'strip',
    action: { transform: (prefix, log) => stripElfFiles(prefix, log) },
  },
];

interface CompiledSelector {
  include: RegExp[];
  exclude: RegExp[];
  kind?: 'file' | 'dir';
}

const compile = (s: PathSelector): CompiledSelector => ({
  include: s.include.map(globToRegExp),
  exclude: (s.exclude ?? []).map(globToRegExp),
  ...(s.kind ? { kind: s.kind } : {}),
});

/** Whether a selector picks the entry at relative path `rel`. Pure, so rules can be tested on path lists. */
export function selects(selector: PathSelector, rel: string, isDir: boolean): boolean {
  return selectsCompiled(compile(selector), rel, isDir);
}

function selectsCompiled(c: CompiledSelector, rel: string, isDir: boolean): boolean {
  if (c.kind === 'file' && isDir) return false;
  if (c.kind === 'dir' && !isDir) return false;
  return c.include.some((re) => re.test(rel)) && !c.exclude.some((re) => re.test(rel));
}

/** Files (and symlinks) and their lstat bytes under `full`, which may itself be a file. */
async function measure(full: string): Promise<{ files: number; bytes: number }> {
  const info = await lstat(full);
  if (!info.isDirectory()) return { files: 1, bytes: info.size };
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(full)) {
    const sub = await measure(path.join(full, entry));
    files += sub.files;
    bytes += sub.bytes;
  }
  return { files, bytes };
}

/** Remove everything under `prefix` that `selector` picks; symlinks are removed, never followed. */
export async function removeSelected(
  prefix: string,
  selector: PathSelector,
): Promise<{ files: number; bytes: number; paths: string[] }> {
  const compiled = compile(selector);
  const result = { files: 0, bytes: 0, paths: [] as string[] };
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const entryRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const full = path.join(dir, entry.name);
      const isDir = entry.isDirectory();
      if (selectsCompiled(compiled, entryRel, isDir)) {
        const { files, bytes } = await measure(full);
        await rm(full, { recursive: true, force: true });
        result.files += files;
        result.bytes += bytes;
        result.paths.push(entryRel);
      } else if (isDir) {
        await walk(full, entryRel);
      }
    }
  };
  await walk(prefix, '');
  return result;
}

/** Shared objects get --strip-unneeded (keeps what dynamic linking needs); executables get --strip-all. */
export function isSharedLibraryName(file: string): boolean {
  return /\.so(\.|$)/.test(path.basename(file));
}

/**
 * Strip every ELF executable and shared object under `prefix`, many files per strip call. strip writes each
 * result to a temporary file and renames it, so a failure leaves that file as it was; a failed batch is retried
 * file by file to name the files strip could not handle.
 */
export async function stripElfFiles(prefix: string, log: Logger): Promise<TransformResult> {
  const shared: string[] = [];
  const executables: string[] = [];
  for (const file of await findElfFiles(prefix)) {
    const type = await elfType(file);
    // Relocatable objects (.o) would lose the symbols a later link needs; core files are not worth the risk.
    if (type === ELF_TYPE.shared && isSharedLibraryName(file)) shared.push(file);
    else if (type === ELF_TYPE.executable || type === ELF_TYPE.shared) executables.push(file);
  }
  const result: TransformResult = { bytesSaved: 0, filesChanged: 0, failed: [] };
  const sizes = async (files: string[]): Promise<number[]> =>
    Promise.all(files.map(async (f) => (await stat(f)).size));
  const stripAll = async (flag: string, files: string[]): Promise<void> => {
    for (const batch of batches(files)) {
      const before = await sizes(batch);
      const { code, stderr } = await run('strip', [flag, ...batch]);
      if (code !== 0) {
        log.debug(
          `strip ${flag} failed on a batch of ${batch.length}, retrying one by one: ${stderr.trim()}`,
        );
        for (const file of batch) {
          const one = await run('strip', [flag, file]);
          if (one.code !== 0) {
            result.failed.push(file);
            log.warn(`strip could not handle ${file}, left as is: ${one.stderr.trim()}`);
          }
        }
      }
      const after = await sizes(batch);
      batch.forEach((_, i) => {
        const saved = (before[i] ?? 0) - (after[i] ?? 0);
        if (saved !== 0) result.filesChanged += 1;
        result.bytesSaved += saved;
      });
    }
  };
  await stripAll('--strip-unneeded', shared);
  await stripAll('--strip-all', executables);
  return result;
}

/** One line per rule, as printed: `prune translations: removed 1,234 files, 3.4 MB`. */
export function formatRuleReport(r: PruneRuleReport): string {
  const saved = formatBytes(r.bytesSaved);
  const failed = r.failed.length > 0 ? ` (${r.failed.length} failed)` : '';
  if (r.filesChanged > 0 || r.id === 'strip') {
    return `prune ${r.id}: stripped ${r.filesChanged.toLocaleString('en-US')} files, ${saved}${failed}`;
  }
  return `prune ${r.id}: removed ${r.filesRemoved.toLocaleString('en-US')} files, ${saved}${failed}`;
}

/** Apply every rule `options` turns on to the tree at `prefix`, in order, and report what each saved. */
export async function pruneTree(
  prefix: string,
  options: PruneOptions,
  log: Logger,
  rules: readonly PruneRule[] = PRUNE_RULES,
): Promise<PruneReport> {
  const root = path.resolve(prefix);
  const report: PruneReport = { rules: [], bytesSaved: 0, filesRemoved: 0 };
  for (const rule of rules) {
    if (!options[rule.option]) {
      log.debug(`prune ${rule.id}: off`);
      continue;
    }
    let entry: PruneRuleReport;
    if ('remove' in rule.action) {
      const removed = await removeSelected(root, rule.action.remove);
      log.debug(`prune ${rule.id} removed: ${JSON.stringify(removed.paths)}`);
      entry = {
        id: rule.id,
        description: rule.description,
        bytesSaved: removed.bytes,
        filesRemoved: removed.files,
        filesChanged: 0,
        failed: [],
      };
    } else {
      const changed = await rule.action.transform(root, log);
      entry = {
        id: rule.id,
        description: rule.description,
        bytesSaved: changed.bytesSaved,
        filesRemoved: 0,
        filesChanged: changed.filesChanged,
        failed: changed.failed,
      };
    }
    log.info(formatRuleReport(entry));
    report.rules.push(entry);
    report.bytesSaved += entry.bytesSaved;
    report.filesRemoved += entry.filesRemoved;
  }
  return report;
}
