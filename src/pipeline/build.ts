/**
 * The pipeline, one log group and one function per step, in this order: prepareHost (host and toolchain) → planBuild
 * (R version, stage plan and cache keys) → runStages (each restored or built, then cached) → assembleTree (stages and
 * runtime files, pruned, plus the shared libraries Lambda lacks) → checkTree (R starts, loads every package) →
 * writeLayers (glibc verdict, zips, sizes, manifest and SBOM). The CLI and the action are thin fronts over
 * buildLayers(); it knows only a CacheBackend and a Logger, not which ones it has.
 *
 * This file orchestrates; the folders beside it follow the flow, each module named for its job:
 * - plan/: the build options, recipe, lockfile, host, the R version, what the plan hashes (input-fingerprints.ts)
 *   and the plan itself (plan.ts, pure);
 * - stages/: fetching sources, running a stage in the prefix, the records a cached stage carries (stage-records.ts),
 *   the toolchain;
 * - tree/: pruning, the shared-library closure, ELF and glibc scans, and the checks that R links the layer's
 *   libraries (link-checks.ts), starts and loads every package (tree-check.ts);
 * - output/: zips (zip.ts, put in place together by zip-staging.ts), sizes, manifest and SBOM.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { layerDir } from '../paths.js';
import { copyTree, writeFileAtomic } from '../util/fs.js';
import { sha256File } from '../util/hash.js';
import type { Logger } from '../log.js';
import { addMissingLibraries } from './tree/closure.js';
import { findElfFiles } from './tree/elf.js';
import { fileNeeding, lambdaGlibcVerdict, scanGlibcRequirement } from './tree/glibc.js';
import { detectHost, hostLine, hostWarning } from './plan/host.js';
import { buildManifest, listInstalledPackages, manifestText } from './output/manifest.js';
import { owningPackage } from './tree/os-packages.js';
import type { BuildOptions } from './plan/options.js';
import { planStages, type PlannedStage } from './plan/plan.js';
import { Prefix } from './stages/prefix.js';
import { pruneTree, type PruneReport } from './tree/prune.js';
import { resolveReleaseFrom } from './plan/r-versions.js';
import { loadRecipe, type Recipe } from './plan/recipe.js';
import { buildSbom, SBOM_FILE, sbomText } from './output/sbom.js';
import { checkLayerLimits, directorySizes, formatSizeTable, largestDirectories } from './output/sizes.js';
import { fetchSource } from './stages/sources.js';
import { runPackagesStage, runSourceStage, type InstalledPackage } from './stages/stage-runner.js';
import { installToolchain } from './stages/toolchain.js';
import { checkRLinks } from './tree/link-checks.js';
import { fingerprintInputs } from './plan/input-fingerprints.js';
import { repository, type Repository } from './plan/cran-index.js';
import { removeOutputs, writeZips } from './output/zip-staging.js';
import { checkTree } from './tree/tree-check.js';
import { readStageRecords, writeStageRecords, type StageRecords } from './stages/stage-records.js';
import { stampBuildId } from './tree/build-id.js';
import { provideSystemRequirements, type SystemRequirementsResult } from './sysreqs/provide.js';
import { providedByStages } from './plan/recipe.js';
import { readExtraStages, withExtraStages } from './plan/extra-stages.js';
import { formatPartSizes, partSizes } from './output/part-sizes.js';
import type { CacheBackend } from '../cache/backend.js';
import {
  LAYER_FILES,
  LAYER_KINDS,
  LAYOUT,
  MANIFEST_FILE,
  LIBRARY_DIRS,
  type HostInfo,
  type HostLibraryRecord,
  type LayerKind,
  type Manifest,
  type StageRecord,
} from '../layers.js';

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
  /** The site-library's system requirements, resolved and installed before anything compiles. */
  system?: SystemRequirementsResult;
  /** --cran-repo, its index read once for the system requirements and the package stages' keys. */
  repository: Repository;
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
  const builtIn = deps.recipe ?? loadRecipe();
  const extras = options.extraStagesFile ? readExtraStages(options.extraStagesFile, builtIn) : [];
  const recipe = withExtraStages(builtIn, extras);
  const host = deps.host ?? detectHost();
  // This run's outputs replace the last ones: a failed run must not leave an older build's zips looking current.
  await removeOutputs(options.outDir);
  const prefix = new Prefix(options.prefix);
  const b: Build = {
    options,
    recipe,
    host,
    cache: deps.cache,
    log: deps.log,
    prefix,
    warnings: [],
    repository: repository(options.cranRepo),
  };
  const { log } = b;
  try {
    await log.group('Host and toolchain', () => prepareHost(b));
    b.system = await log.group('System requirements', () =>
      provideSystemRequirements({
        packages: options.packages,
        pins: options.pins,
        workDir: options.workDir,
        locked: options.lockfile !== undefined,
        repository: b.repository,
        recommendedInR: options.recommendedPackages,
        explicit: options.systemPackages,
        providedBy: providedByStages(recipe.stages),
        install: options.installToolchain,
        host,
        log,
      }),
    );
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

/** The exact R version, and every stage with its cache key. */
async function planBuild(b: Build): Promise<{ plan: PlannedStage[]; rVersion: string }> {
  const { options, log, recipe, host } = b;
  const rVersion =
    options.rVersion === 'release'
      ? await resolveReleaseFrom(options.cranRepo, (m) => log.info(m))
      : options.rVersion;
  if (options.rVersion === 'release') log.info(`R release: ${rVersion}`);
  const lockR = options.lockfile?.rVersion;
  if (lockR && lockR !== rVersion) {
    warn(
      b,
      `the lockfile was made with R ${lockR} and the layers hold R ${rVersion}; its package versions are installed as locked, but may not build or behave as they did (set r-version to ${lockR} to match).`,
    );
  }
  const fingerprints = await fingerprintInputs(recipe, options, b.repository, log);
  const plan = planStages({
    recipe,
    options,
    rVersion,
    host,
    ...fingerprints,
    systemPackages: b.system?.keyPart,
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
    let hit = await cache.restore(stage.key, dir).catch((error: unknown) => {
      log.warn(`cache restore of ${stage.name} failed (${(error as Error).message}); building it`);
      return false;
    });
    let stored = hit ? await readStageRecords(dir, stage.kind) : undefined;
    if (stored && 'problem' in stored) {
      // Without its record a hit cannot say what it holds, and the manifest and SBOM would silently lack it.
      warn(
        b,
        `stage ${stage.name}: the cached entry ${stage.key} has a damaged record: ${stored.file} is ${stored.problem}; treating it as a cache miss and building the stage again`,
      );
      hit = false;
      stored = undefined;
    }
    const { record, packages } = stored ?? (await buildStage(b, stage));
    if (record) done.records.push(record);
    if (stage.kind === 'r-packages') {
      for (const pkg of packages) done.packageSources[stage.library].set(pkg.name, pkg);
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
async function buildStage(b: Build, stage: PlannedStage): Promise<StageRecords> {
  const { options, recipe, log, prefix, cache } = b;
  const ctx = {
    prefix: options.prefix,
    environment: recipe.environment,
    jobs: options.jobs,
    destdir: stageDir(b, stage.name),
    buildDir: path.join(options.workDir, 'build'),
    logFile: path.join(logDir(b), `${stage.name}.log`),
    log,
    systemRequirements: stage.kind === 'r-packages' && stage.library === 'site' ? b.system?.lines : undefined,
  };
  await rm(ctx.logFile, { force: true });
  await prefix.reset();
  for (const dep of stage.allDependsOn) await prefix.add(stagedPrefix(b, dep));
  let record: StageRecord | undefined;
  let packages: InstalledPackage[] = [];
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
      if (stage.name === 'R')
        await checkRLinks(stagedPrefix(b, 'R'), path.join(options.prefix, LAYOUT.lib), log);
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
      packages = await runPackagesStage(stage, ctx);
    }
    // The records travel with the stage's files: a cache hit still knows its source and each package's tarball.
    await writeStageRecords(ctx.destdir, stage.kind, { record, packages });
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
  return { record, packages };
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
    ldLibraryPath: [path.join(tree, LAYOUT.lib), path.join(tree, LAYOUT.rLibDir)],
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
      sha256: await sha256File(path.join(tree, LAYOUT.lib, soname)),
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
  // Per package and per copied library below the layers' table: which one pushes toward the limits.
  const parts = formatPartSizes(await partSizes(tree, done.hostLibraries));
  const sizeTable = parts ? `${formatSizeTable(layers)}\n\n${parts}` : formatSizeTable(layers);
  log.info(sizeTable);
  for (const problem of limits.problems) log.warn(problem);

  const rPackages = [
    ...(await listInstalledPackages(path.join(tree, LIBRARY_DIRS.R), 'R', stages.packageSources.R)),
    ...(await listInstalledPackages(path.join(tree, LIBRARY_DIRS.site), 'site', stages.packageSources.site)),
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
    systemRequirements: b.system
      ? { platform: b.system.platform, osPackages: b.system.osPackages, packages: b.system.packages }
      : null,
    layers,
    host,
    glibcRequired: glibc.highest,
    lambdaCompatible: verdict.compatible,
    warnings,
  });
  const manifestPath = path.join(options.outDir, MANIFEST_FILE);
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
