/**
 * Every input of the action, named once (the keys of INPUTS are exactly action.yml's input names) and read and
 * validated in one place, before anything runs. Build inputs go through the pipeline's parseBuildOptions and
 * publishing inputs through the publisher's parsePublishOptions, so the CLI and the action accept and refuse the
 * same things with the same messages; only the action's own inputs are checked here.
 */
import * as core from '@actions/core';
import { UserError } from '../errors.js';
import {
  BUILD_OPTION_NAMES,
  DEFAULTS,
  parseBoolean,
  parseBuildOptions,
  type BuildOptionName,
  type BuildOptions,
  type RawBuildOptions,
} from '../pipeline/options.js';
import { loadRecipe } from '../pipeline/recipe.js';
import {
  parsePublishOptions,
  PUBLISH_INPUTS,
  type PublishOptions,
  type RawPublishOptions,
} from '../publish/index.js';

/** Inputs only the action has (the CLI has no artifacts, no GitHub cache and no host policy). */
export const ACTION_ONLY_INPUTS = [
  'cache',
  'artifact-name',
  'retention-days',
  'allow-any-host',
  'publish',
] as const;
export type ActionOnlyInputName = (typeof ACTION_ONLY_INPUTS)[number];

type PublishKey = Exclude<keyof typeof PUBLISH_INPUTS, 'out'>;
/**
 * The publisher's inputs as the action exposes them: all but `out`, which in the action is the build's own
 * `out-dir` (publishing what this run built, never another folder).
 */
export const ACTION_PUBLISH_INPUTS = Object.fromEntries(
  Object.entries(PUBLISH_INPUTS).filter(([key]) => key !== 'out'),
) as { [K in PublishKey]: (typeof PUBLISH_INPUTS)[K] };
export type PublishInputName = (typeof ACTION_PUBLISH_INPUTS)[PublishKey];

export type InputName = BuildOptionName | ActionOnlyInputName | PublishInputName;
export type InputKind = 'build' | 'action' | 'publish';

/** Every action input, keyed by its action.yml name (a unit test checks the two agree). */
export const INPUTS: Readonly<Record<InputName, InputKind>> = Object.freeze({
  ...(Object.fromEntries(BUILD_OPTION_NAMES.map((name) => [name, 'build'])) as Record<
    BuildOptionName,
    'build'
  >),
  ...(Object.fromEntries(ACTION_ONLY_INPUTS.map((name) => [name, 'action'])) as Record<
    ActionOnlyInputName,
    'action'
  >),
  ...(Object.fromEntries(Object.values(ACTION_PUBLISH_INPUTS).map((name) => [name, 'publish'])) as Record<
    PublishInputName,
    'publish'
  >),
});

/** Defaults of the action's own inputs (the build and publish defaults live with their parsers). */
export const ACTION_DEFAULTS = {
  cache: 'true',
  'allow-any-host': 'false',
  publish: 'false',
} as const satisfies Partial<Record<ActionOnlyInputName, string>>;

export interface ActionInputs {
  build: BuildOptions;
  /** Stage cache on (GitHub's cache in Actions, the cache directory elsewhere). */
  cache: boolean;
  /** True when `cache-dir` was given: the stage cache then lives in that directory, also in Actions. */
  cacheDirGiven: boolean;
  /** Undefined: the default, named after the R version and architecture (known after the build). */
  artifactName: string | undefined;
  /** Undefined: the repository's retention setting. */
  retentionDays: number | undefined;
  allowAnyHost: boolean;
  /** Present only when `publish: true`. */
  publish: PublishOptions | undefined;
}

export type InputReader = (name: string) => string;
export type Warn = (message: string) => void;

export interface GetInputsOptions {
  /** Names of the recipe's source stages (what `source-overrides` may name); read from data/stages.yml by default. */
  sourceStages?: readonly string[];
  cwd?: string;
  warn?: Warn;
}

/** GitHub's artifact names may not hold these (actions/toolkit's upload validation). */
const ARTIFACT_NAME_FORBIDDEN = /["':<>|*?\\/\r\n]/;

function parseArtifactName(value: string): string | undefined {
  if (value === '') return undefined;
  if (ARTIFACT_NAME_FORBIDDEN.test(value) || value.length > 256) {
    throw new UserError(
      `artifact-name: "${value}" is not a valid artifact name; use up to 256 characters without " : < > | * ? \\ / ' or line breaks, ` +
        'or leave it empty for the default (r-lambda-layers-<R version>-<architecture>).',
    );
  }
  return value;
}

function parseRetentionDays(value: string): number | undefined {
  if (value === '') return undefined;
  const days = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(days) || days < 1 || days > 90) {
    throw new UserError(
      `retention-days: "${value}" is not a number of days; use a whole number from 1 to 90, or leave it empty for the repository's setting.`,
    );
  }
  return days;
}

/**
 * Read and check every input. `read` is core.getInput in the action; tests pass a plain map. An input that is
 * not given reads as '' (as core.getInput returns it), and '' means "the default" everywhere.
 */
export function getInputs(
  read: InputReader = (name) => core.getInput(name),
  options: GetInputsOptions = {},
): ActionInputs {
  const warn = options.warn ?? ((message: string) => core.warning(message));
  const value = (name: InputName): string => (read(name) ?? '').trim();
  const given = (name: InputName): boolean => value(name) !== '';

  const raw: RawBuildOptions = {};
  for (const name of BUILD_OPTION_NAMES) {
    // Multi-line inputs (source-overrides) keep their lines; '' is "not given" so parseBuildOptions' defaults apply.
    if (given(name)) raw[name] = read(name);
  }
  const sourceStages =
    options.sourceStages ??
    loadRecipe()
      .stages.filter((s) => s.kind === 'source')
      .map((s) => s.name);
  const build = parseBuildOptions(raw, sourceStages, options.cwd);

  const cache = parseBoolean('cache', value('cache'), true);
  const allowAnyHost = parseBoolean('allow-any-host', value('allow-any-host'), false);
  const publishWanted = parseBoolean('publish', value('publish'), false);
  const artifactName = parseArtifactName(value('artifact-name'));
  const retentionDays = parseRetentionDays(value('retention-days'));

  const publishGiven = Object.values(ACTION_PUBLISH_INPUTS).filter(given);
  let publish: PublishOptions | undefined;
  if (publishWanted) {
    const rawPublish: RawPublishOptions = {
      out: build.outDir,
      regions: value(ACTION_PUBLISH_INPUTS.regions),
      sharing: value(ACTION_PUBLISH_INPUTS.sharing),
      layerPrefix: value(ACTION_PUBLISH_INPUTS.layerPrefix),
      layerNames: value(ACTION_PUBLISH_INPUTS.layerNames),
      s3Bucket: value(ACTION_PUBLISH_INPUTS.s3Bucket),
      s3Prefix: value(ACTION_PUBLISH_INPUTS.s3Prefix),
      dryRun: value(ACTION_PUBLISH_INPUTS.dryRun),
    };
    publish = parsePublishOptions(rawPublish);
    if (build.prefix !== DEFAULTS.prefix) {
      warn(
        `prefix is ${build.prefix} and publish is true: Lambda unpacks layers in /opt, so the published layers will not find R. ` +
          'The build goes on as asked; leave prefix at /opt for layers you deploy.',
      );
    }
  } else if (publishGiven.length > 0) {
    warn(
      `publish is false, so ${publishGiven.join(', ')} ${publishGiven.length === 1 ? 'is' : 'are'} ignored; set publish: true to publish the layers.`,
    );
  }

  const cacheDirGiven = given('cache-dir');
  if (!cache && cacheDirGiven) {
    warn('cache is false, so cache-dir is ignored: every stage is built from source and nothing is cached.');
  }

  return {
    build,
    cache,
    cacheDirGiven: cache && cacheDirGiven,
    artifactName,
    retentionDays,
    allowAnyHost,
    publish,
  };
}
