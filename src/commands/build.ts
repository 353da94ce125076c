import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { UserError } from '../errors.js';
import { consoleLogger } from '../log.js';
import { buildLayers } from '../pipeline/build.js';
import { LocalDirectoryCache } from '../cache/local-directory.js';
import {
  DEFAULTS,
  parseBuildOptions,
  PRUNE_INPUTS,
  toolHome,
  type RawBuildOptions,
} from '../pipeline/options.js';
import { loadRecipe } from '../pipeline/recipe.js';

interface BuildFlags {
  rVersion?: string;
  rSha256?: string;
  packages?: string;
  lockfile?: string;
  cranRepo?: string;
  prefix?: string;
  out?: string;
  cacheDir?: string;
  workDir?: string;
  sourceMirror?: string;
  override: string[];
  overridesFile?: string;
  jobs?: string;
  toolchain: boolean;
  verbose?: boolean;
  [pruneFlag: string]: unknown;
}

const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** CLI flags → the raw option record the action fills too; parseBuildOptions validates both the same way. */
export function rawOptionsFromFlags(flags: BuildFlags): RawBuildOptions {
  const overrides = [...flags.override];
  if (flags.overridesFile) {
    try {
      overrides.push(readFileSync(flags.overridesFile, 'utf8'));
    } catch (error) {
      throw new UserError(
        `--overrides-file: cannot read ${flags.overridesFile} (${(error as Error).message}).`,
      );
    }
  }
  const raw: RawBuildOptions = {
    'r-version': flags.rVersion,
    'r-sha256': flags.rSha256,
    packages: flags.packages,
    lockfile: flags.lockfile,
    'cran-repo': flags.cranRepo,
    prefix: flags.prefix,
    'out-dir': flags.out,
    'cache-dir': flags.cacheDir,
    'work-dir': flags.workDir,
    'source-mirror': flags.sourceMirror,
    'source-overrides': overrides.join('\n'),
    jobs: flags.jobs,
    'install-toolchain': String(flags.toolchain),
  };
  for (const input of Object.keys(PRUNE_INPUTS) as (keyof typeof PRUNE_INPUTS)[]) {
    raw[input] = String(flags[camel(input)]);
  }
  return raw;
}

export function buildCommand(): Command {
  const home = toolHome();
  const command = new Command('build')
    .description(
      'Build native libraries and R from source into the prefix, then write r.zip, r_lib.zip, subsystem.zip and manifest.json.',
    )
    .option(
      '--r-version <version>',
      'R version: exact x.y.z, or "release" (asks CRAN)',
      DEFAULTS['r-version'],
    )
    .option('--r-sha256 <hex>', "SHA-256 of R's tarball, for a version with no pinned sum")
    .option(
      '--packages <names>',
      `R packages for the site-library layer, comma-separated; NAME@VERSION for an exact version; "none" for none (default: ${DEFAULTS.packages}, or none with --lockfile)`,
    )
    .option(
      '--lockfile <file>',
      "an renv.lock: install exactly its packages at their versions (from cran-repo, its Archive/, or the lock's repository)",
    )
    .option('--cran-repo <url>', 'CRAN-like repository (https:// or file://)', DEFAULTS['cran-repo'])
    .option('--prefix <dir>', 'where the layers live at run time', DEFAULTS.prefix)
    .option('--out <dir>', 'output folder for the zips and manifest.json', DEFAULTS['out-dir'])
    .option('--cache-dir <dir>', 'stage cache folder', `${home}/cache`)
    .option('--work-dir <dir>', 'scratch folder: sources, staging, logs', `${home}/work`)
    .option(
      '--source-mirror <dir|url>',
      'look up source tarballs here by their upstream file name instead of downloading',
    )
    .option(
      '--override <spec>',
      'per-stage source: NAME=PATH_OR_URL,sha256=HEX[,version=X.Y.Z] (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--overrides-file <file>',
      'a file of overrides, one per line (as written by scripts/fill-mirror.sh)',
    )
    .option('--jobs <n>', 'parallel make jobs (default: number of cores)')
    .option('--no-toolchain', 'do not install the build toolchain with dnf/apt-get')
    .option('--verbose', 'print every command and the plan');
  for (const [input, key] of Object.entries(PRUNE_INPUTS)) {
    command.addOption(new Option(`--no-${input}`, `keep what the "${key}" prune step removes`));
  }
  return command.action(async (flags: BuildFlags) => {
    const recipe = loadRecipe();
    const sourceStages = recipe.stages.filter((s) => s.kind === 'source').map((s) => s.name);
    const options = parseBuildOptions(rawOptionsFromFlags(flags), sourceStages);
    const log = consoleLogger({ verbose: Boolean(flags.verbose) });
    const result = await buildLayers(options, {
      cache: new LocalDirectoryCache(options.cacheDir),
      log,
      recipe,
    });
    const hits = result.stages.filter((s) => s.cacheHit).length;
    log.info(
      `done: R ${result.rVersion}, ${hits}/${result.stages.length} stages from cache; layers in ${result.outDir}`,
    );
    process.stdout.write(
      JSON.stringify(
        {
          rVersion: result.rVersion,
          zips: result.zips,
          manifest: result.manifestPath,
          stages: result.stages,
        },
        null,
        2,
      ) + '\n',
    );
  });
}
