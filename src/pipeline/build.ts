/**
 * The pipeline, one log group and one function per step, in this order: prepareHost (host and toolchain) → planBuild
 * (R version, stage plan and cache keys) → runStages (each restored or built, then cached) → assembleTree (stages and
 * runtime files, pruned, plus the shared libraries Lambda lacks) → checkTree (R starts, loads every package) →
 * writeLayers (glibc verdict, zips, sizes, manifest and SBOM). The CLI and the action are thin fronts over
 * buildLayers(); it knows only a CacheBackend and a Logger, not which ones it has.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import { run } from '../util/exec.js';
import { fetchText } from '../util/fetch.js';
import { copyTree, writeFileAtomic } from '../util/fs.js';
import { sha256, sha256File, sha256Tree } from '../util/hash.js';
import type { Logger } from '../log.js';
import { dataFile, layerDir } from '../paths.js';
import { stampBuildId } from './build-id.js';
import { addMissingLibraries } from './closure.js';
import { findElfFiles } from './elf.js';
import { fileNeeding, lambdaGlibcVerdict, scanGlibcRequirement } from './glibc.js';
import { detectHost, hostLine, hostWarning } from './host.js';
import { versionsWithDependencies, parsePackagesIndex } from './cran-index.js';
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

/** What every step of one build shares. */
interface Build {
  options: BuildOptions;
  recipe: Recipe;
  host: HostInfo;
  cache: CacheBackend;
  log: Logger;
  prefix: Prefix;
  /** Said with log.warn and recorded in the manifest, in the order they came. */
  warnings: string[];
}

/** What the stages left for the layer tree and the manifest. */
interface StagesDone {
  outcomes: StageOutcome[];
  records: StageRecord[];
  /** Per library, the source tarball of each package the build installed. */
  packageSources: Record<'R' | 'site', Map<string, InstalledPackage>>;
}

/** The layer tree's folder and what assembling it did. */
interface TreeDone {
  tree: string;
  prune: PruneReport;
  hostLibraries: HostLibraryRecord[];
}

const logDir = (b: Build): string => path.join(b.options.workDir, 'logs');
const stageDir = (b: Build, name: string): string => path.join(b.options.workDir, 'stages', name);
/** Where a stage's files lie inside its staging folder: the prefix's path below it. */
const stagedPrefix = (b: Build, name: string): string => path.join(stageDir(b, name), b.options.prefix);

function warn(b: Build, warning: string): void {
  b.log.warn(warning);
  b.warnings.push(warning);
}

export async function buildLayers(options: BuildOptions, deps: BuildDeps): Promise<BuildResult> {
  const recipe = deps.recipe ?? loadRecipe();
  const host = deps.host ?? detectHost();
  // This run's outputs replace the last ones: a failed run must not leave an older build's zips looking current.
  await removeOutputs(options.outDir);
  const prefix = new Prefix(options.prefix);
  const b: Build = { options, recipe, host, cache: deps.cache, log: deps.log, prefix, warnings: [] };
  const { log } = b;
  try {
    await log.group('Host and toolchain', () => prepareHost(b));
    const { plan, rVersion } = await log.group('Plan', () => planBuild(b));
    const stages = await log.group('Stages', () => runStages(b, plan));
    const tree = await log.group('Layer tree', () => assembleTree(b, plan));
    await log.group('Checks', () => checkTree(tree.tree, options.packages, recipe.environment, log));
    return await log.group('Layers', () => writeLayers(b, rVersion, stages, tree));
  } finally {
    await prefix.release();
  }
}

/** Say what the host is and what that means for Lambda; install the compilers unless told not to. */
async function prepareHost(b: Build): Promise<void> {
  const { host, log, options } = b;
  log.info(hostLine(host));
  const warning = hostWarning(host);
  if (warning) warn(b, warning);
  if (options.installToolchain) await installToolchain(host, log, path.join(logDir(b), 'toolchain.log'));
  else log.info('toolchain: skipped (--no-toolchain)');
}

/**
 * A package folder's own files, not what an in-place `R CMD INSTALL` leaves beside them (objects, the shared object):
 * those are never built into the layer (the build installs a copy with --preclean) and must not change its key.
 */
const isPackageSource = (file: string): boolean => !/\.(o|so|dll)$|(^|\/)symbols\.rds$/.test(file);

/** The exact R version, and every stage with its cache key. */
async function planBuild(b: Build): Promise<{ plan: PlannedStage[]; rVersion: string }> {
  const { options, log, recipe, host } = b;
  const rVersion = options.rVersion === 'release' ? await resolveRelease() : options.rVersion;
  if (options.rVersion === 'release') log.info(`R release on CRAN: ${rVersion}`);
  const lockR = options.lockfile?.rVersion;
  if (lockR && lockR !== rVersion) {
    warn(
      b,
      `the lockfile was made with R ${lockR} and the layers hold R ${rVersion}; its package versions are installed as locked, but may not build or behave as they did (set r-version to ${lockR} to match).`,
    );
  }
  const repoFingerprints = await fingerprintPackages(recipe, options, log);
  const installerSha256 = await sha256File(dataFile('install-packages.R'));
  const localPackageSums: Record<string, string> = {};
  for (const stage of recipe.stages) {
    if (stage.kind !== 'r-packages') continue;
    for (const folder of stage.localPackages)
      localPackageSums[folder] = await sha256Tree(dataFile(folder), isPackageSource);
  }
  const plan = planStages({
    recipe,
    options,
    rVersion,
    host,
    repoFingerprints,
    installerSha256,
    localPackageSums,
  });
  for (const stage of plan) log.debug(JSON.stringify(stage));
  return { plan, rVersion };
}

/** Each stage in order: restored from the cache, or built and cached. One line per stage. */
async function runStages(b: Build, plan: PlannedStage[]): Promise<StagesDone> {
  const { cache, log, prefix } = b;
  const done: StagesDone = { outcomes: [], records: [], packageSources: { R: new Map(), site: new Map() } };
  await prefix.claim();
  const width = Math.max(...plan.map((s) => s.name.length));
  for (const stage of plan) {
    const started = performance.now();
    const dir = stageDir(b, stage.name);
    const hit = await cache.restore(stage.key, dir).catch((error: unknown) => {
      log.warn(`cache restore of ${stage.name} failed (${(error as Error).message}); building it`);
      return false;
    });
    const record = hit ? await readStageRecord(dir) : await buildStage(b, stage);
    if (record) done.records.push(record);
    if (stage.kind === 'r-packages') {
      for (const pkg of await readInstalledPackages(dir))
        done.packageSources[stage.library].set(pkg.name, pkg);
    }
    done.outcomes.push({ name: stage.name, key: stage.key, cacheHit: hit, seconds: seconds(started) });
    // A hit still says what its source was checked against when it was built (the record travels with it).
    const checked = record ? `  ${record.version} (sha256: ${record.sha256Source})` : '';
    log.info(
      `${stage.name.padEnd(width)}  ${hit ? 'hit ' : 'miss'}  ${seconds(started).toFixed(1).padStart(6)} s${checked}`,
    );
  }
  // The prefix only held what each build needed; the layer tree is assembled in the work folder below.
  await prefix.reset();
  return done;
}

/** Build one stage with exactly its dependencies in the prefix, then cache it. */
async function buildStage(b: Build, stage: PlannedStage): Promise<StageRecord | undefined> {
  const { options, recipe, log, prefix, cache } = b;
  const ctx = {
    prefix: options.prefix,
    environment: recipe.environment,
    jobs: options.jobs,
    destdir: stageDir(b, stage.name),
    buildDir: path.join(options.workDir, 'build'),
    logFile: path.join(logDir(b), `${stage.name}.log`),
    log,
  };
  await rm(ctx.logFile, { force: true });
  await prefix.reset();
  for (const dep of stage.allDependsOn) await prefix.add(stagedPrefix(b, dep));
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
      if (stage.name === 'R') await checkRLinks(stagedPrefix(b, 'R'), path.join(options.prefix, 'lib'), log);
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

/**
 * The layer tree in the work folder: every stage and the runtime files, pruned, then the shared libraries the tree
 * needs and Lambda's image lacks, each recorded with the OS package it came from.
 */
async function assembleTree(b: Build, plan: PlannedStage[]): Promise<TreeDone> {
  const { options, log } = b;
  const tree = path.join(options.workDir, 'tree');
  await rm(tree, { recursive: true, force: true });
  await mkdir(tree, { recursive: true });
  for (const stage of plan) await copyTree(stagedPrefix(b, stage.name), tree);
  await copyTree(layerDir(), tree);
  const id = await stampBuildId(
    tree,
    plan.map((stage) => stage.key),
  );
  log.info(`build id (R/BUILD-ID in r.zip, BUILD-ID in subsystem.zip): ${id}`);
  // Prune first: what it removes (tcltk, say) must not drag its libraries into lib/.
  const prune = await pruneTree(tree, options.prune, log);
  const { copied } = await addMissingLibraries(tree, {
    ldLibraryPath: [path.join(tree, 'lib'), path.join(tree, 'R/lib/R/lib')],
    log,
    // The tree is a copy of what will live at the prefix: links and RUNPATHs into the prefix mean the tree.
    installedPrefix: options.prefix,
  });
  log.info(`shared libraries added to lib/: ${copied.map((c) => c.soname).join(', ') || 'none'}`);
  const hostLibraries: HostLibraryRecord[] = [];
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
    if (owner) log.info(`  ${soname}: ${owner.type} package ${owner.name} ${owner.version} (${owner.arch})`);
  }
  return { tree, prune, hostLibraries };
}

/**
 * The glibc verdict, the zips and their sizes against Lambda's limits, manifest.json and the SBOM; then the prefix
 * is left holding exactly what the layers hold.
 */
async function writeLayers(
  b: Build,
  rVersion: string,
  stages: StagesDone,
  done: TreeDone,
): Promise<BuildResult> {
  const { options, recipe, host, log, prefix, warnings } = b;
  const { tree, prune } = done;
  const elf = await findElfFiles(tree);
  const glibc = await scanGlibcRequirement(elf);
  const verdict = lambdaGlibcVerdict(
    glibc,
    glibc.highest ? fileNeeding(glibc.byFile, glibc.highest) : undefined,
  );
  if (verdict.compatible) log.info(verdict.message);
  else warn(b, verdict.message);

  const layers = await writeZips(tree, options.outDir, options.prefix);
  const largest = largestDirectories(await directorySizes(tree, 4), 5);
  const limits = checkLayerLimits(layers, largest);
  const sizeTable = formatSizeTable(layers);
  log.info(sizeTable);
  for (const problem of limits.problems) log.warn(problem);

  const rPackages = [
    ...(await listInstalledPackages(path.join(tree, 'R/lib/R/library'), 'R', stages.packageSources.R)),
    ...(await listInstalledPackages(
      path.join(tree, 'local/lib/R/site-library'),
      'site',
      stages.packageSources.site,
    )),
  ];
  const manifest = buildManifest({
    rVersion,
    architecture: host.arch,
    prefix: options.prefix,
    stages: stages.records,
    rPackages,
    lockfile: options.lockfile
      ? { sha256: options.lockfile.sha256, rVersion: options.lockfile.rVersion ?? null }
      : null,
    hostLibraries: done.hostLibraries,
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
  await writeFileAtomic(sbomPath, sbomText(buildSbom(manifest, licenses)));
  // The manifest last, once everything it describes is in place.
  await writeFileAtomic(manifestPath, manifestText(manifest));

  // The prefix ends holding exactly what the layers hold, as Lambda will see it.
  await prefix.reset();
  await prefix.add(tree);

  const zips = Object.fromEntries(
    LAYER_KINDS.map((kind) => [kind, path.join(options.outDir, LAYER_FILES[kind])]),
  ) as Record<LayerKind, string>;
  log.info(`wrote ${Object.values(zips).join(', ')}, ${manifestPath} and ${sbomPath}`);
  return {
    rVersion,
    outDir: options.outDir,
    manifestPath,
    sbomPath,
    zips,
    manifest,
    stages: stages.outcomes,
    limits,
    prune,
    sizeTable,
  };
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
    fingerprints[stage.name] = sha256(versionsWithDependencies(wanted, available).join('\n')).slice(0, 16);
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
    for (const kind of LAYER_KINDS) {
      const file = LAYER_FILES[kind];
      const info = await writeLayerZip(tree, parts[kind], path.join(staging, file), { installedPrefix });
      layers.push({ name: kind, file, ...info });
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
    // The runtime (with its codec) loads from R's own library and writes a double losslessly.
    'stopifnot(identical(rawToChar(loadNamespace("lambdaruntime", lib.loc = .Library)$encode_json_bytes(0.1 + 0.2, identity)), "0.30000000000000004"))',
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
