/**
 * The stage plan: what each stage builds, from which source, and under which cache key. Pure: computed from the
 * recipe, the options and the host before anything runs, and tested as data.
 */
import { UserError } from '../../errors.js';
import { sha256 } from '../../util/hash.js';
import type { PackagePin } from './lockfile.js';
import type { BuildOptions } from './options.js';
import type { Recipe, StageRecipe } from './recipe.js';
import type { HostInfo, Sha256Source } from '../../layers.js';

/**
 * R's configure switch for its recommended packages, as data/stages.yml gives it and as the recommended-packages
 * option turns it off.
 */
export const RECOMMENDED_FLAGS = {
  on: '--with-recommended-packages',
  off: '--without-recommended-packages',
} as const;

/** Never build these: the xz releases that carried the CVE-2024-3094 backdoor. */
const REFUSED_VERSIONS: Record<string, string[]> = { xz: ['5.6.0', '5.6.1'] };

export interface SourceSpec {
  /** The upstream URL (recorded in the manifest; the mirror is searched for its file name). */
  upstreamUrl: string;
  fileName: string;
  /** A per-stage override's location, tried instead of mirror and upstream. */
  overrideLocation?: string;
  sha256?: string;
  sha256Source: Sha256Source;
}

interface PlannedBase {
  name: string;
  dependsOn: string[];
  /** All stages this one needs, transitively, in build order: what is in the prefix while it builds. */
  allDependsOn: string[];
  key: string;
}

export interface PlannedSourceStage extends PlannedBase {
  kind: 'source';
  version: string;
  source: SourceSpec;
  flags: string[];
  /** Command templates; {destdir} and {jobs} are filled in at run time (they don't change the output). */
  commands: string[];
}

export interface PlannedPackagesStage extends PlannedBase {
  kind: 'r-packages';
  library: 'R' | 'site';
  packages: string[];
  /** Package folders of data/, installed from source after `packages`. */
  localPackages: string[];
  /** Exact versions wanted (site library only). */
  pins: PackagePin[];
  /** True with a lockfile: every package, dependencies too, must come from the pins. */
  locked: boolean;
  repo: string;
}

export type PlannedStage = PlannedSourceStage | PlannedPackagesStage;

export interface PlanInputs {
  recipe: Recipe;
  options: Pick<
    BuildOptions,
    'rSha256' | 'packages' | 'pins' | 'lockfile' | 'cranRepo' | 'prefix' | 'overrides' | 'recommendedPackages'
  >;
  /** An exact R version (release already resolved). */
  rVersion: string;
  host: Pick<HostInfo, 'osId' | 'osVersion' | 'arch'>;
  /**
   * Per R-packages stage: the versions the repository offers for its packages and their dependencies, so a new
   * release of one of them reinstalls the stage (and nothing else does).
   */
  repoFingerprints?: Record<string, string>;
  /** sha256 of data/install-packages.R, which installs every R-packages stage. */
  installerSha256?: string;
  /** Per package folder of data/ (a stage's localPackages): the sha256 of its files, so an edit rebuilds the stage. */
  localPackageSums?: Record<string, string>;
  /** `name=version` of the OS packages installed for the site-library's SystemRequirements (and system-packages). */
  systemPackages?: string[];
}

/** Fill {prefix}, {version}, {major} and {flags}; leave run-time placeholders alone. */
export function fillTemplate(text: string, values: Record<string, string>): string {
  return text.replace(/\{([a-z]+)\}/g, (whole, name: string) => values[name] ?? whole);
}

export function fileNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
}

function versionOf(stage: StageRecipe & { kind: 'source' }, inputs: PlanInputs): string {
  const override = inputs.options.overrides[stage.name];
  if (stage.name === 'R') {
    if (override?.version && override.version !== inputs.rVersion) {
      throw new UserError(
        `source-overrides (R): version ${override.version} differs from r-version ${inputs.rVersion}; set r-version to ${override.version} or drop version= from the override.`,
      );
    }
    return inputs.rVersion;
  }
  return override?.version ?? stage.version;
}

function sourceSpec(
  stage: StageRecipe & { kind: 'source' },
  version: string,
  inputs: PlanInputs,
): SourceSpec {
  const override = inputs.options.overrides[stage.name];
  const upstreamUrl = fillTemplate(stage.url, { version, major: version.split('.')[0] ?? '' });
  const spec: SourceSpec = { upstreamUrl, fileName: fileNameOf(upstreamUrl), sha256Source: 'computed' };
  if (override) spec.overrideLocation = override.location;
  // A user-given sum wins; a pinned one applies only to the pinned (or known) version of the upstream file.
  const rSum = stage.name === 'R' ? inputs.options.rSha256 : undefined;
  const pinned =
    stage.name === 'R'
      ? inputs.recipe.rChecksums[version]
      : version === stage.version
        ? stage.sha256
        : undefined;
  if (override?.sha256) {
    spec.sha256 = override.sha256;
    spec.sha256Source = 'override';
  } else if (rSum) {
    spec.sha256 = rSum;
    spec.sha256Source = 'r-sha256';
  } else if (pinned && !override) {
    spec.sha256 = pinned;
    spec.sha256Source = 'pinned';
  }
  return spec;
}

/**
 * A stage's configure flags: the recipe's, with R's recommended packages switched off when the options say so. The
 * flags are part of the stage's cache key, so R without them is another R stage (and every stage after it is keyed
 * anew through its dependencies' keys).
 */
function flagsOf(stage: StageRecipe & { kind: 'source' }, inputs: PlanInputs): string[] {
  if (stage.name !== 'R' || inputs.options.recommendedPackages) return stage.flags;
  if (!stage.flags.includes(RECOMMENDED_FLAGS.on)) {
    // The recipe and this switch must agree: without the flag there is nothing to turn off, and R's configure default
    // (with them) would ship them while the build believes they are absent.
    throw new Error(
      `data/stages.yml: the R stage has no ${RECOMMENDED_FLAGS.on} flag for recommended-packages: false to replace; add it back to the R stage's flags.`,
    );
  }
  return stage.flags.map((f) => (f === RECOMMENDED_FLAGS.on ? RECOMMENDED_FLAGS.off : f));
}

/** Order the recipe's stages and compute each one's cache key from its recipe and its dependencies' keys. */
export function planStages(inputs: PlanInputs): PlannedStage[] {
  const { recipe, options, host } = inputs;
  const planned = new Map<string, PlannedStage>();
  const hostPart = { os: host.osId, osVersion: host.osVersion, arch: host.arch };
  // What every stage builds with: the compiler flags and paths of data/stages.yml.
  const environment = recipe.environment;

  for (const stage of recipe.stages) {
    const base = {
      name: stage.name,
      dependsOn: stage.dependsOn,
      allDependsOn: transitiveDeps(stage.name, recipe),
    };
    const depKeys = stage.dependsOn.map((d) => [d, planned.get(d)?.key]);
    // A stage's key: where it runs, what it builds with, its own recipe, and what it was built against.
    const keyOf = (recipePart: object): string =>
      cacheKey(stage.name, {
        host: hostPart,
        prefix: options.prefix,
        environment,
        recipe: recipePart,
        deps: depKeys,
      });
    if (stage.kind === 'source') {
      const version = versionOf(stage, inputs);
      if (REFUSED_VERSIONS[stage.name]?.includes(version)) {
        throw new UserError(
          `${stage.name} ${version} is refused: it is a release with a known backdoor (CVE-2024-3094). Use 5.4.x, 5.6.2 or later.`,
        );
      }
      const source = sourceSpec(stage, version, inputs);
      const values = { prefix: options.prefix, version, major: version.split('.')[0] ?? '' };
      const flags = flagsOf(stage, inputs).map((f) => fillTemplate(f, values));
      const commands = stage.commands.map((c) => fillTemplate(c, { ...values, flags: flags.join(' ') }));
      const recipePart = {
        name: stage.name,
        version,
        // The content identifies the source: the same tarball from a mirror or upstream is the same build.
        source: source.sha256 ?? `${source.overrideLocation ?? source.upstreamUrl} (unverified)`,
        flags,
        commands,
      };
      planned.set(stage.name, {
        kind: 'source',
        ...base,
        key: keyOf(recipePart),
        version,
        source,
        flags,
        commands,
      });
    } else {
      const site = stage.library === 'site';
      const packages = site ? options.packages : stage.packages;
      const pins = site ? options.pins : [];
      const locked = site && options.lockfile !== undefined;
      const recipePart = {
        name: stage.name,
        library: stage.library,
        packages: [...packages].sort(),
        pins: pins.map((p) => [p.name, p.version, ...p.repos].join(' ')).sort(),
        // The lock's whole content: another lock is another build, even where the pins read the same.
        lockfile: site ? (options.lockfile?.sha256 ?? null) : null,
        repo: options.cranRepo,
        repoIndex: inputs.repoFingerprints?.[stage.name] ?? null,
        installer: inputs.installerSha256 ?? null,
        local: stage.localPackages.map((folder) => [folder, inputs.localPackageSums?.[folder] ?? null]),
        // Only when there are any, so a build that needs no OS package keeps the key it always had.
        ...(site && inputs.systemPackages?.length
          ? { systemPackages: [...inputs.systemPackages].sort() }
          : {}),
      };
      planned.set(stage.name, {
        kind: 'r-packages',
        ...base,
        key: keyOf(recipePart),
        library: stage.library,
        packages,
        localPackages: stage.localPackages,
        pins,
        locked,
        repo: options.cranRepo,
      });
    }
  }
  return [...planned.values()];
}

function transitiveDeps(name: string, recipe: Recipe): string[] {
  const byName = new Map(recipe.stages.map((s) => [s.name, s]));
  const found = new Set<string>();
  const visit = (n: string): void => {
    for (const dep of byName.get(n)?.dependsOn ?? []) {
      if (!found.has(dep)) {
        found.add(dep);
        visit(dep);
      }
    }
  };
  visit(name);
  // Build order is recipe order.
  return recipe.stages.map((s) => s.name).filter((n) => found.has(n));
}

/** Readable and unique: `r-lambda-layer-<stage>-<hash>`. Keys are GitHub cache keys too (≤ 512 chars, no commas). */
export function cacheKey(stage: string, parts: unknown): string {
  return `r-lambda-layer-v1-${stage}-${sha256(JSON.stringify(parts)).slice(0, 32)}`;
}
