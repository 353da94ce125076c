/**
 * One runner for every stage: a source stage is unpacked and its recipe commands run; an R-packages stage runs
 * data/install-packages.R with the R built before it. Output goes to the stage's staging folder
 * ({destdir}{prefix}); the full log to a file, whose last lines a failure prints.
 */
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { dataFile } from '../../paths.js';
import { fillTemplate, type PlannedPackagesStage, type PlannedSourceStage } from '../plan/plan.js';
import { run } from '../../util/exec.js';
import { tail } from '../../util/fs.js';
import { sha256File } from '../../util/hash.js';
import { stepOf, withProgress } from './progress.js';
import type { FetchedSource } from './sources.js';
import { LIBRARY_DIRS } from '../../layers.js';

export interface StageContext {
  prefix: string;
  environment: Record<string, string>;
  jobs: number;
  /** The stage's staging root: files install into `${destdir}${prefix}`. */
  destdir: string;
  /** Scratch space for unpacked sources. */
  buildDir: string;
  logFile: string;
  log: Logger;
  /** The packages' system requirements as resolved (one line per package), said when their install fails. */
  systemRequirements?: string[];
}

/**
 * The environment every stage builds in, from the recipe's `environment` (data/stages.yml): {prefix} is filled in
 * and `$NAME` stands for the caller's value of NAME (empty when unset).
 */
export function buildEnv(
  prefix: string,
  environment: Record<string, string>,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [name, template] of Object.entries(environment)) {
    const value = fillTemplate(template, { prefix }).replace(
      /\$([A-Z_][A-Z0-9_]*)/g,
      (_, v: string) => base[v] ?? '',
    );
    // Drop the separators an empty $NAME leaves behind ("-I/opt/include " or "/opt/lib/pkgconfig:").
    env[name] = value.trim().replace(/:+$/, '').replace(/^:+/, '');
  }
  // R must not pick up the build host's user library, site library or profile.
  return { ...env, R_LIBS_USER: '', R_LIBS_SITE: '', R_PROFILE_USER: '' };
}

async function unpack(tarball: string, into: string, logFile: string): Promise<string> {
  await rm(into, { recursive: true, force: true });
  await mkdir(into, { recursive: true });
  const result = await run('tar', ['-xf', tarball, '-C', into, '--no-same-owner'], { logFile });
  if (result.code !== 0) {
    throw new UserError(
      `cannot unpack ${tarball} (tar exited ${result.code}); is it a tarball? Last lines:\n${await tail(logFile, 10)}`,
    );
  }
  const entries = await readdir(into, { withFileTypes: true });
  // Tarballs hold one folder (whatever its name: Debian's R is R-patched/, jsonlite is jsonlite/).
  const only = entries.length === 1 && entries[0]?.isDirectory() ? entries[0].name : undefined;
  return only ? path.join(into, only) : into;
}

async function failure(stage: string, what: string, logFile: string): Promise<never> {
  throw new UserError(
    `stage ${stage} failed: ${what}\n--- last 50 lines of ${logFile} ---\n${await tail(logFile, 50)}\n--- full log: ${logFile}`,
  );
}

export async function runSourceStage(
  stage: PlannedSourceStage,
  source: FetchedSource,
  ctx: StageContext,
): Promise<void> {
  const started = performance.now();
  await rm(ctx.destdir, { recursive: true, force: true });
  await mkdir(ctx.destdir, { recursive: true });
  const srcDir = await unpack(source.file, path.join(ctx.buildDir, stage.name), ctx.logFile);
  const env = buildEnv(ctx.prefix, ctx.environment);
  for (const template of stage.commands) {
    const command = fillTemplate(template, { destdir: ctx.destdir, jobs: String(ctx.jobs) });
    ctx.log.debug(`${stage.name}$ ${command}`);
    await mkdir(path.dirname(ctx.logFile), { recursive: true });
    await appendFile(ctx.logFile, `\n### ${stage.name}$ ${command}\n`);
    const result = await withProgress(ctx.log, stage.name, stepOf(command), started, () =>
      run('sh', ['-ec', command], { cwd: srcDir, env, logFile: ctx.logFile }),
    );
    if (result.code !== 0)
      await failure(stage.name, `\`${command}\` exited with status ${result.code}.`, ctx.logFile);
  }
  // Sources are large (R's is ~250 MB unpacked) and never reused: the cache holds the install.
  await rm(path.join(ctx.buildDir, stage.name), { recursive: true, force: true });
}

export interface PackageLine {
  status: 'installed' | 'source' | 'unknown' | 'unavailable' | 'failed' | 'mismatch';
  name: string;
  /** The fields after the name (version, url, …; a failure's message). */
  fields: string[];
}

/** Pure: the result file of install-packages.R. */
export function parsePackageResults(text: string): PackageLine[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [status = '', name = '', ...fields] = line.split('\t');
      return { status: status as PackageLine['status'], name, fields };
    });
}

/** An installed package and the source tarball it came from (known for every package the repository served). */
export interface InstalledPackage {
  name: string;
  version: string;
  url?: string;
  sha256?: string;
}

/**
 * Pure: why a package build failed, when the log says it was a missing system library.
 * Returns a sentence naming the library, or undefined.
 */
export function diagnoseMissingLibrary(log: string): string | undefined {
  const anticonf =
    /Configuration failed because (\S+) was not found\. Try installing:\s*\n((?:\s*\*.*\n)+)/.exec(log);
  if (anticonf) {
    const hints = (anticonf[2] ?? '')
      .trim()
      .split('\n')
      .map((l) => l.trim().replace(/^\*\s*/, ''))
      .join('; ');
    return `the system library ${anticonf[1]} was not found (${hints})`;
  }
  const pc = /Package '?([\w.+-]+)'?,? (?:required by '[^']*', )?(?:was )?not found/.exec(log);
  if (pc) return `the system library ${pc[1]} was not found by pkg-config`;
  const header = /fatal error: ([\w./+-]+\.h): No such file or directory/.exec(log);
  // R's own headers (R_ext/PrtUtil.h went away in R 4.6): the package is too old for this R, no library is missing.
  if (header && /^(R_ext\/|R\.h$|Rinternals\.h$|Rdefines\.h$|Rmath\.h$|S\.h$)/.test(header[1] ?? '')) {
    return `R's header ${header[1]} is missing: the package does not compile against this R's headers (it was written for an older R); pick a version of the package made for this R`;
  }
  if (header) return `the header ${header[1]} is missing (install the library's development package)`;
  const link = /cannot find -l([\w.+-]+)/.exec(log);
  if (link) return `the library lib${link[1]} is missing at link time (install its development package)`;
  const load = /(lib[\w.+-]+\.so[\w.]*): cannot open shared object file/.exec(log);
  if (load) return `the shared library ${load[1]} is missing at load time`;
  return undefined;
}

/** Install one stage's R packages; returns the packages (with dependencies) now in its library. */
export async function runPackagesStage(
  stage: PlannedPackagesStage,
  ctx: StageContext,
): Promise<InstalledPackage[]> {
  await rm(ctx.destdir, { recursive: true, force: true });
  const lib = path.join(ctx.destdir + ctx.prefix, LIBRARY_DIRS[stage.library]);
  await mkdir(lib, { recursive: true });
  if (stage.packages.length === 0 && stage.localPackages.length === 0) return [];
  const work = path.join(ctx.buildDir, `${stage.name}.packages`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    const resultFile = path.join(work, 'result.tsv');
    const pinsFile = path.join(work, 'pins.tsv');
    await writeFile(
      pinsFile,
      stage.pins.map((p) => [p.name, p.version, ...p.repos].join('\t') + '\n').join(''),
    );
    const rscript = path.join(ctx.prefix, 'R', 'bin', 'Rscript');
    const args = [
      '--vanilla',
      dataFile('install-packages.R'),
      lib,
      stage.repo,
      String(ctx.jobs),
      resultFile,
      stage.pins.length ? pinsFile : '-',
      stage.locked ? 'locked' : 'open',
      work,
      ...stage.packages,
      ...stage.localPackages.map((folder) => dataFile(folder)),
    ];
    const result = await withProgress(ctx.log, stage.name, 'packages', performance.now(), () =>
      run(rscript, args, { env: buildEnv(ctx.prefix, ctx.environment), logFile: ctx.logFile }),
    );
    const lines = parsePackageResults(await readFile(resultFile, 'utf8').catch(() => ''));
    const of = (status: PackageLine['status']): PackageLine[] => lines.filter((l) => l.status === status);
    const unavailable = of('unavailable');
    if (unavailable.length) {
      throw new UserError(
        `${unavailable.length} R package${unavailable.length > 1 ? 's' : ''} cannot be had at the version asked for:\n` +
          unavailable
            .map((l) => `  ${l.name} ${l.fields[0]} (tried ${(l.fields[1] ?? '').split(' ').join(', ')})`)
            .join('\n') +
          '\nCheck the versions (the lockfile or NAME@VERSION), or give a repository that has them (cran-repo, or ' +
          "the lock's Repositories). Nothing was installed or cached.",
      );
    }
    const unknown = of('unknown').map((l) => l.name);
    if (unknown.length) {
      throw new UserError(
        `R package${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')} not found in the repository ${stage.repo}. ` +
          `Check the spelling (names are case-sensitive) or the cran-repo option.`,
      );
    }
    const mismatched = of('mismatch');
    const failed = of('failed');
    if (result.code !== 0 || failed.length || mismatched.length) {
      const log = await readFile(ctx.logFile, 'utf8').catch(() => '');
      const cause = diagnoseMissingLibrary(log);
      const names =
        failed.map((f) => `'${f.name}'${f.fields.length ? ` (${f.fields.join(' ')})` : ''}`).join(', ') ||
        (mismatched.length ? '' : '(see log)');
      const versions = mismatched.map((m) => `${m.name} is ${m.fields[1]}, not ${m.fields[0]}`).join('; ');
      const libraryMissing = cause !== undefined && !cause.startsWith("R's header");
      await failure(
        stage.name,
        [
          names &&
            `R package ${names} did not install${cause ? `: ${cause}` : ''}${libraryMissing ? '. Name its OS package in system-packages, or build it as an extra stage (extra-stages)' : ''}.`,
          versions && `Installed versions differ from those asked for: ${versions}.`,
          ctx.systemRequirements?.length &&
            `System requirements as resolved:\n  ${ctx.systemRequirements.join('\n  ')}`,
        ]
          .filter(Boolean)
          .join(' '),
        ctx.logFile,
      );
    }
    const sources = new Map(of('source').map((l) => [l.name, l.fields]));
    const installed: InstalledPackage[] = [];
    for (const line of of('installed')) {
      const version = line.fields[0] ?? '';
      const [sourceVersion, url, local] = sources.get(line.name) ?? [];
      installed.push(
        sourceVersion === version && url && local
          ? { name: line.name, version, url, sha256: await sha256File(local) }
          : { name: line.name, version },
      );
    }
    return installed;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
