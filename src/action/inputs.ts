/**
 * The action's inputs, read and validated in one place, before anything runs. Which inputs there are, with their
 * descriptions and defaults, is declared in src/options/declarations.ts (a unit test checks action.yml lists exactly
 * those). Build inputs go through the pipeline's parseBuildOptions and publishing inputs through the publisher's
 * parsePublishOptions, so the CLI and the action accept and refuse the same things with the same messages; only the
 * action's own inputs are checked here.
 */
import * as core from '@actions/core';
import { declaration, optionsIn, type OptionIn, type Scope } from '../options/declarations.js';
import { booleanOption, givenText, optionError, textOption, type RawOptions } from '../options/parse.js';
import { parseBuildOptions, type BuildOptions } from '../pipeline/plan/options.js';
import { loadRecipe, sourceStageNames } from '../pipeline/plan/recipe.js';
import { parsePublishOptions, type PublishOptions } from '../publish/index.js';

export type InputName = OptionIn<'action'>;

/** Every action input, in action.yml's order. */
export const ACTION_INPUTS: readonly InputName[] = optionsIn('action');

const readBy = (name: InputName, scope: Scope): boolean =>
  (declaration(name).scope as readonly Scope[]).includes(scope);

/** Inputs only publishing reads (out-dir is the build's too): ignored, with a warning, unless publish is true. */
export const PUBLISH_ONLY_INPUTS = ACTION_INPUTS.filter(
  (name) => readBy(name, 'publish') && !readBy(name, 'build'),
);

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
    throw optionError('artifact-name', `"${value}" is not a valid artifact name`);
  }
  return value;
}

function parseRetentionDays(value: string): number | undefined {
  if (value === '') return undefined;
  const days = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(days) || days < 1 || days > 90) {
    throw optionError('retention-days', `"${value}" is not a number of days`);
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
  // Multi-line inputs (source-overrides) keep their lines; '' is "not given" so the parsers' defaults apply.
  const raw: RawOptions = Object.fromEntries(ACTION_INPUTS.map((name) => [name, read(name) ?? '']));
  const given = (name: InputName): boolean => givenText(raw, name) !== undefined;

  const sourceStages = options.sourceStages ?? sourceStageNames(loadRecipe());
  const build = parseBuildOptions(raw, sourceStages, options.cwd);

  const cache = booleanOption(raw, 'cache');
  const allowAnyHost = booleanOption(raw, 'allow-any-host');
  const publishWanted = booleanOption(raw, 'publish');
  const artifactName = parseArtifactName(textOption(raw, 'artifact-name'));
  const retentionDays = parseRetentionDays(textOption(raw, 'retention-days'));

  const publishGiven = PUBLISH_ONLY_INPUTS.filter(given);
  let publish: PublishOptions | undefined;
  if (publishWanted) {
    // Publish what this run built: the publisher reads the build's out-dir, resolved.
    publish = parsePublishOptions({ ...raw, 'out-dir': build.outDir });
    if (build.prefix !== declaration('prefix').default) {
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
