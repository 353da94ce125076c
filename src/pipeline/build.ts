/**
 * The pipeline: host and toolchain → plan → stages (restored or built, each cached) → the layer tree (runtime,
 * missing libraries, pruning) → checks → zips, sizes and manifest. The CLI and the action are thin fronts over
 * buildLayers(); it knows only a CacheBackend and a Logger, not which ones it has.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import { run } from '../util/exec.js';
import { fetchText } from '../util/fetch.js';
import { copyTree } from '../util/fs.js';
import { sha256, sha256File } from '../util/hash.js';
import type { Logger } from '../log.js';
import { dataFile, layerDir } from '../paths.js';
import { addMissingLibraries } from './closure.js';
import { findElfFiles } from './elf.js';
import { fileNeeding, lambdaGlibcVerdict, scanGlibcRequirement } from './glibc.js';
import { detectHost, hostWarning } from './host.js';
import { packageClosure, parsePackagesIndex } from './cran-index.js';
import { buildManifest, listInstalledPackages, manifestText } from './manifest.js';
import { owningPackage } from './os-packages.js';
import type { BuildOptions } from './options.js';
import { planStages, type PlannedStage } from './plan.js';
import { Prefix } from './prefix.js';
import { pruneTree, type PruneReport } from './prune.js';
import { resolveRelease } from './r-versions.js';
import { loadRecipe, type Recipe } from './recipe.js';
import { buildSbom, SBOM_FILE, sbomText } from './sbom.js';
import { checkLayerLimits, directorySizes, formatSizeTable, largestDirectories } from './sizes.js';
import { fetchSource } from './sources.js';
import { buildEnv, runPackagesStage, runSourceStage, type InstalledPackage } from './stage-runner.js';
import { installToolchain } from './toolchain.js';
import type { CacheBackend } from '../cache/backend.js';
import {
  LAYER_FILES,
  LAYER_KINDS,
  type HostInfo,
  type HostLibraryRecord,
  type LayerKind,
  type LayerRecord,
  type Manifest,
  type StageRecord,
} from '../layers.js';
import { partitionLayers, writeLayerZip } from './zip.js';

export interface BuildDeps {
  cache: CacheBackend;
  log: Logger;
  recipe?: Recipe;
  host?: HostInfo;
}

export interface StageOutcome {
  name: string;
  key: string;
  cacheHit: boolean;
  seconds: number;
}

export interface BuildResult {
  rVersion: string;
  outDir: string;
  manifestPath: string;
  sbomPath: string;
  zips: Record<LayerKind, string>;
  manifest: Manifest;
  stages: StageOutcome[];
  limits: { ok: boolean; problems: string[] };
  prune: PruneReport;
  sizeTable: string;
}

/** Libraries R must take from the layer, never from the build host (issue: "check it did"). */
const R_LINKS_FROM_LAYER = ['libcurl', 'libssl', 'libcrypto', 'libpcre2-8', 'liblzma', 'libbz2', 'libz'];

const seconds = (since: number): number => Math.round((performance.now() - since) / 100) / 10;

export async function buildLayers(options: BuildOptions, deps: BuildDeps): Promise<BuildResult> {
  const { cache, log } = deps;
  const recipe = deps.recipe ?? loadRecipe();
  const host = deps.host ?? detectHost();
  const logDir = path.join(options.workDir, 'logs');
  const warnings: string[] = [];
  // This run's outputs replace the last ones: a failed run must not leave an older build's zips looking current.
  await removeOutputs(options.outDir);
  const prefix = new Prefix(options.prefix);
  try {
    return await buildWithPrefix();
  } finally {
    await prefix.release();
  }

  async function buildWithPrefix(): Promise<BuildResult> {
    await log.group('Host and toolchain', async () => {
      log.info(`host: ${host.osId} ${host.osVersion}, ${host.arch}, glibc ${host.glibc}`);
      const warning = hostWarning(host);
      if (warning) {
        log.warn(warning);
        warnings.push(warning);
      }
      if (options.installToolchain) await installToolchain(host, log, path.join(logDir, 'toolchain.log'));
      else log.info('toolchain: skipped (--no-toolchain)');
    });

    const { plan, rVersion } = await log.group('Plan', async () => {
      const rVersion = options.rVersion === 'release' ? await resolveRelease() : options.rVersion;
      if (options.rVersion === 'release') log.info(`R release on CRAN: ${rVersion}`);
      const lockR = options.lockfile?.rVersion;
      if (lockR && lockR !== rVersion) {
        const warning = `the lockfile was made with R ${lockR} and the layers hold R ${rVersion}; its package versions are installed as locked, but may not build or behave as they did (set r-version to ${lockR} to match).`;
        log.warn(warning);
        warnings.push(warning);
      }
      const repoFingerprints = await fingerprintPackages(recipe, options, log);
      const installerSha256 = await sha256File(dataFile('install-packages.R'));
      const plan = planStages({ recipe, options, rVersion, host, repoFingerprints, installerSha256 });
      for (const stage of plan) log.debug(JSON.stringify(stage));
      return { plan, rVersion };
    });

    const stageDir = (name: string): string => path.join(options.workDir, 'stages', name);
    const stagedPrefix = (name: string): string => path.join(stageDir(name), options.prefix);
    const outcomes: StageOutcome[] = [];
    const records: StageRecord[] = [];
    /** Per library, the source tarball of each package the build installed. */
    const packageSources = {
      R: new Map<string, InstalledPackage>(),
      site: new Map<string, InstalledPackage>(),
    };

    await log.group('Stages', async () => {
      await prefix.claim();
      const width = Math.max(...plan.map((s) => s.name.length));
      for (const stage of plan) {
        const started = performance.now();
        const hit = await cache.restore(stage.key, stageDir(stage.name)).catch((error: unknown) => {
          log.warn(`cache restore of ${stage.name} failed (${(error as Error).message}); building it`);
          return false;
        });
        let record: StageRecord | undefined;
        if (!hit) record = await buildStage(stage);
        else record = await readStageRecord(stageDir(stage.name));
        if (record) records.push(record);
        if (stage.kind === 'r-packages') {
          for (const pkg of await readInstalledPackages(stageDir(stage.name)))
            packageSources[stage.library].set(pkg.name, pkg);
        }
        outcomes.push({ name: stage.name, key: stage.key, cacheHit: hit, seconds: seconds(started) });
        // A hit still says what its source was checked against when it was built (the record travels with it).
        const checked = record ? `  ${record.version} (sha256: ${record.sha256Source})` : '';
        log.info(
          `${stage.name.padEnd(width)}  ${hit ? 'hit ' : 'miss'}  ${seconds(started).toFixed(1).padStart(6)} s${checked}`,
        );
      }
      // The prefix only held what each build needed; the layer tree is assembled in the work folder below.
      await prefix.reset();
    });

    /** Build one stage with exactly its dependencies in the prefix, then cache it. */
    async function buildStage(stage: PlannedStage): Promise<StageRecord | undefined> {
      const ctx = {
        prefix: options.prefix,
        environment: recipe.environment,
        jobs: options.jobs,
        destdir: stageDir(stage.name),
        buildDir: path.join(options.workDir, 'build'),
        logFile: path.join(logDir, `${stage.name}.log`),
        log,
      };
      await rm(ctx.logFile, { force: true });
      await prefix.reset();
      for (const dep of stage.closure) await prefix.add(stagedPrefix(dep));
      let record: StageRecord | undefined;
      try {
        if (stage.kind === 'source') {
          const source = await fetchSource(
            stage.name,
            stage.source,
            options.sourceMirror,
            path.join(options.workDir, 'downloads'),
            log,
          );
          await runSourceStage(stage, source, ctx);
          await rm(source.file, { force: true });
          // Checked before caching: an R linked against the build host's libraries must never become a cache hit.
          if (stage.name === 'R') await checkRLinks(stagedPrefix('R'), path.join(options.prefix, 'lib'), log);
          record = {
            name: stage.name,
            version: stage.version,
            url: source.url,
            sha256: source.sha256,
            sha256Source: stage.source.sha256Source,
            flags: stage.flags,
            cacheKey: stage.key,
          };
        } else {
          const installed = await runPackagesStage(stage, ctx);
          // Travels with the stage like .stage.json: a cache hit still knows each package's tarball and sum.
          await writeFile(path.join(ctx.destdir, '.packages.json'), JSON.stringify(installed));
        }
        // The record travels with the stage's files, so a cache hit still knows where its source came from.
        await writeFile(path.join(ctx.destdir, '.stage.json'), JSON.stringify(record ?? null));
      } catch (error) {
        // Nothing half-built survives: no staging folder, so nothing to cache.
        await rm(ctx.destdir, { recursive: true, force: true });
        throw error;
      }
      try {
        await cache.save(stage.key, ctx.destdir);
      } catch (error) {
        log.warn(
          `could not save ${stage.name} to the ${cache.name} cache (${(error as Error).message}); the build goes on`,
        );
      }
      return record;
    }

    const tree = path.join(options.workDir, 'tree');
    const hostLibraries: HostLibraryRecord[] = [];
    const prune = await log.group('Layer tree', async () => {
      await rm(tree, { recursive: true, force: true });
      await mkdir(tree, { recursive: true });
      for (const stage of plan) await copyTree(stagedPrefix(stage.name), tree);
      await copyTree(layerDir(), tree);
      // Prune first: what it removes (tcltk, say) must not drag its libraries into lib/.
      const report = await pruneTree(tree, options.prune, log);
      const { copied } = await addMissingLibraries(tree, {
        ldLibraryPath: [path.join(tree, 'lib'), path.join(tree, 'R/lib/R/lib')],
        log,
        // The tree is a copy of what will live at the prefix: links and RUNPATHs into the prefix mean the tree.
        installedPrefix: options.prefix,
      });
      log.info(`shared libraries added to lib/: ${copied.map((c) => c.soname).join(', ') || 'none'}`);
      for (const { soname, from } of copied) {
        const owner = await owningPackage(from);
        hostLibraries.push({
          soname,
          from,
          sha256: await sha256File(path.join(tree, 'lib', soname)),
          package: owner?.name ?? null,
          packageVersion: owner?.version ?? null,
          packageArch: owner?.arch ?? null,
          packageType: owner?.type ?? null,
        });
        if (owner)
          log.info(`  ${soname}: ${owner.type} package ${owner.name} ${owner.version} (${owner.arch})`);
      }
      return report;
    });

    await log.group('Checks', async () => checkTree(tree, options.packages, recipe.environment, log));

    return log.group('Layers', async () => {
      const elf = await findElfFiles(tree);
      const glibc = await scanGlibcRequirement(elf);
      const verdict = lambdaGlibcVerdict(
        glibc,
        glibc.highest ? fileNeeding(glibc.byFile, glibc.highest) : undefined,
      );
      if (verdict.compatible) log.info(verdict.message);
      else {
        log.warn(verdict.message);
        warnings.push(verdict.message);
      }

      const layers = await writeZips(tree, options.outDir, options.prefix);
      const largest = largestDirectories(await directorySizes(tree, 4), 5);
      const limits = checkLayerLimits(layers, largest);
      const sizeTable = formatSizeTable(layers);
      log.info(sizeTable);
      for (const problem of limits.problems) log.warn(problem);

      const rPackages = [
        ...(await listInstalledPackages(path.join(tree, 'R/lib/R/library'), 'R', packageSources.R)),
        ...(await listInstalledPackages(
          path.join(tree, 'local/lib/R/site-library'),
          'site',
          packageSources.site,
        )),
      ];
      const manifest = buildManifest({
        rVersion,
        architecture: host.arch,
        prefix: options.prefix,
        stages: records,
        rPackages,
        lockfile: options.lockfile
          ? { sha256: options.lockfile.sha256, rVersion: options.lockfile.rVersion ?? null }
          : null,
        hostLibraries,
        layers,
        host,
        glibcRequired: glibc.highest,
        lambdaCompatible: verdict.compatible,
        warnings,
      });
      const manifestPath = path.join(options.outDir, 'manifest.json');
      const sbomPath = path.join(options.outDir, SBOM_FILE);
      const licenses = Object.fromEntries(
        recipe.stages.map((s) => [s.name, s.kind === 'source' ? s.license : undefined]),
      );
      await writeFile(`${sbomPath}.tmp`, sbomText(buildSbom(manifest, licenses)));
      await writeFile(`${manifestPath}.tmp`, manifestText(manifest));
      await rename(`${sbomPath}.tmp`, sbomPath);
      await rename(`${manifestPath}.tmp`, manifestPath);

      // The prefix ends holding exactly what the layers hold, as Lambda will see it.
      await prefix.reset();
      await prefix.add(tree);

      const zips = Object.fromEntries(
        LAYER_KINDS.map((n) => [n, path.join(options.outDir, LAYER_FILES[n])]),
      ) as Record<LayerKind, string>;
      log.info(`wrote ${Object.values(zips).join(', ')}, ${manifestPath} and ${sbomPath}`);
      return {
        rVersion,
        outDir: options.outDir,
        manifestPath,
        sbomPath,
        zips,
        manifest,
        stages: outcomes,
        limits,
        prune,
        sizeTable,
      };
    });
  }
}

async function readStageRecord(dir: string): Promise<StageRecord | undefined> {
  const text = await readFile(path.join(dir, '.stage.json'), 'utf8').catch(() => 'null');
  return (JSON.parse(text) as StageRecord | null) ?? undefined;
}

async function readInstalledPackages(dir: string): Promise<InstalledPackage[]> {
  const text = await readFile(path.join(dir, '.packages.json'), 'utf8').catch(() => '[]');
  return JSON.parse(text) as InstalledPackage[];
}

/**
 * Per R-packages stage, the versions the repository offers for its packages and all their dependencies. A new
 * release of any of them changes the stage's key; CRAN's many other daily updates do not. Unreachable repository:
 * no fingerprint (the stage is cached by package names), and the install itself will report the problem.
 */
async function fingerprintPackages(
  recipe: Recipe,
  options: BuildOptions,
  log: Logger,
): Promise<Record<string, string>> {
  const index = `${options.cranRepo}/src/contrib/PACKAGES`;
  let text: string;
  try {
    text = await fetchText(index);
  } catch (error) {
    log.debug(`cannot read ${index} (${(error as Error).message}); packages are cached by name only`);
    return {};
  }
  const available = parsePackagesIndex(text);
  const fingerprints: Record<string, string> = {};
  for (const stage of recipe.stages) {
    if (stage.kind !== 'r-packages') continue;
    const wanted = stage.library === 'site' ? options.packages : stage.packages;
    fingerprints[stage.name] = sha256(packageClosure(wanted, available).join('\n')).slice(0, 16);
  }
  return fingerprints;
}

async function removeOutputs(outDir: string): Promise<void> {
  for (const file of [...Object.values(LAYER_FILES), 'manifest.json', SBOM_FILE])
    await rm(path.join(outDir, file), { force: true });
}

/** Zip each layer into a hidden folder first, then move all into place: never a partial set of zips. */
async function writeZips(tree: string, outDir: string, installedPrefix: string): Promise<LayerRecord[]> {
  await mkdir(outDir, { recursive: true });
  await removeOutputs(outDir);
  const staging = path.join(outDir, `.r-lambda-layer-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    const parts = await partitionLayers(tree);
    const layers: LayerRecord[] = [];
    for (const name of LAYER_KINDS) {
      const file = LAYER_FILES[name];
      const info = await writeLayerZip(tree, parts[name], path.join(staging, file), { installedPrefix });
      layers.push({ name, file, ...info });
    }
    for (const { file } of layers) await rename(path.join(staging, file), path.join(outDir, file));
    return layers;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * R must use the layer's libraries. R's binary and libR.so link pcre2, lzma, bz2 and zlib; its internet module links
 * curl (and through it ssl). ldd lists what each needs, transitively: every one of those libraries must be found in
 * `libDir`, never on the build host. `rHomePrefix` is where R/ lies (a staging folder, or the layer tree).
 */
async function checkRLinks(rHomePrefix: string, libDir: string, log: Logger): Promise<void> {
  const rHome = path.join(rHomePrefix, 'R/lib/R');
  // What R's own start-up script sets (etc/ldpaths), plus the layer's lib/.
  const env = { ...process.env, LD_LIBRARY_PATH: `${libDir}:${rHome}/lib` };
  const seen = new Set<string>();
  for (const binary of ['lib/libR.so', 'bin/exec/R', 'modules/internet.so']) {
    const ldd = await run('ldd', [path.join(rHome, binary)], { env });
    for (const lib of R_LINKS_FROM_LAYER) {
      const line = ldd.stdout.split('\n').find((l) => l.trim().startsWith(`${lib}.so`));
      if (!line) continue; // not every file links every library
      if (!line.includes(`=> ${libDir}/`)) {
        throw new UserError(
          `R's ${binary} takes ${lib} from outside the layer (${line.trim()}); R was not linked against the layer's own build.`,
        );
      }
      seen.add(lib);
    }
    log.info(
      `R ${binary}: ${R_LINKS_FROM_LAYER.filter((lib) => ldd.stdout.includes(`${lib}.so`)).join(', ')} from ${libDir}`,
    );
  }
  const absent = R_LINKS_FROM_LAYER.filter((lib) => !seen.has(lib));
  if (absent.length) {
    throw new UserError(
      `R does not link ${absent.join(', ')} at all; check the R stage's configure log (logs/R.log).`,
    );
  }
}

/** The layer tree's R links the layer's libraries, starts from the (relocated) tree, and loads every package. */
async function checkTree(
  tree: string,
  packages: string[],
  environment: Record<string, string>,
  log: Logger,
): Promise<void> {
  await checkRLinks(tree, path.join(tree, 'lib'), log);
  const env = { ...process.env, LD_LIBRARY_PATH: `${tree}/lib:${tree}/R/lib/R/lib` };
  const expr = [
    'stopifnot(capabilities("libcurl"))',
    'invisible(loadNamespace("jsonlite", lib.loc = .Library))',
    ...packages.map((p) => `invisible(loadNamespace(${JSON.stringify(p)}))`),
    'cat(R.version.string, "|", paste(names(extSoftVersion()), extSoftVersion(), sep = "=", collapse = ", "), "\\n")',
  ].join('; ');
  const rEnv = {
    ...buildEnv(tree, environment, env),
    RHOME: path.join(tree, 'R/lib/R'),
    R_LIBS_USER: path.join(tree, 'local/lib/R/site-library'),
  };
  const result = await run(path.join(tree, 'R/bin/Rscript'), ['--vanilla', '-e', expr], { env: rEnv });
  if (result.code !== 0) {
    throw new UserError(
      `the built R does not start or lacks a package: ${(result.stderr || result.stdout).trim().slice(-1500)}`,
    );
  }
  log.info(result.stdout.trim());
}
