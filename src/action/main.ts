/**
 * The action: inputs → host check → the pipeline (toolchain, stages restored or built, layers) → artifact →
 * publishing when asked → outputs and job summary. A thin front over buildLayers() and publishLayers(); the
 * decisions it makes are pure functions in environment.ts, inputs.ts and summary.ts.
 */
import path from 'node:path';
import * as core from '@actions/core';
import { errorMessage, failureReport, UserError } from '../errors.js';
import { buildLayers } from '../pipeline/build.js';
import { NoCache, type CacheBackend } from '../cache/backend.js';
import { GitHubCache } from '../cache/github.js';
import { LocalDirectoryCache } from '../cache/local-directory.js';
import { detectHost, hostLine } from '../pipeline/plan/host.js';
import { loadRecipe, sourceStageNames } from '../pipeline/plan/recipe.js';
import { defaultArtifactName, LAYER_KINDS } from '../layers.js';
import { publishLayers, type PublishResult } from '../publish/index.js';
import { coreLogger } from './core-logger.js';
import { chooseBackends, hostProblem, runContext, type BackendChoice } from './environment.js';
import { GitHubArtifactSink } from './github-artifacts.js';
import { getInputs } from './inputs.js';
import { LocalArtifactSink, type ArtifactSink } from './artifacts.js';
import { actionOutputs, OUTPUTS, summaryMarkdown } from './summary.js';
import type { Logger } from '../log.js';

function cacheBackend(choice: BackendChoice, cacheDir: string, log: Logger): CacheBackend {
  if (choice.cache === 'github') return new GitHubCache(log);
  if (choice.cache === 'local') return new LocalDirectoryCache(cacheDir);
  return new NoCache();
}

function artifactSink(choice: BackendChoice, log: Logger): ArtifactSink {
  return choice.artifacts === 'github' ? new GitHubArtifactSink(log) : new LocalArtifactSink(log);
}

export async function run(): Promise<void> {
  try {
    const log = coreLogger();
    const recipe = loadRecipe();
    const inputs = getInputs((name) => core.getInput(name), {
      sourceStages: sourceStageNames(recipe),
    });
    const context = runContext(process.env);

    const { backends, host } = await core.group('Host and backends', async () => {
      const host = detectHost();
      core.info(hostLine(host));
      const problem = hostProblem(host, context, inputs.allowAnyHost);
      if (problem) throw new UserError(problem);
      const backends = chooseBackends(
        context,
        context.hasRuntimeToken && inputs.cache && GitHubCache.isAvailable(),
        {
          cache: inputs.cache,
          cacheDirGiven: inputs.cacheDirGiven,
          cacheDir: inputs.build.cacheDir,
          outDir: inputs.build.outDir,
        },
      );
      for (const notice of backends.notices) core.notice(notice);
      for (const warning of backends.warnings) core.warning(warning);
      core.info(`stage cache: ${backends.cache}; artifacts: ${backends.artifacts}`);
      core.debug(
        JSON.stringify({ inputs: { ...inputs, publish: inputs.publish && { ...inputs.publish } }, context }),
      );
      return { backends, host };
    });

    // The pipeline's first phase installs the toolchain (dnf on Amazon Linux; install-toolchain: true), before any
    // stage is restored: the bare amazonlinux:2023 image lacks the tar and gzip that GitHub's cache needs.
    const result = await buildLayers(inputs.build, {
      cache: cacheBackend(backends, inputs.build.cacheDir, log),
      log,
      recipe,
      host,
    });

    const artifactName =
      inputs.artifactName ?? defaultArtifactName(result.rVersion, result.manifest.architecture);
    const files = [...LAYER_KINDS.map((name) => result.zips[name]), result.manifestPath, result.sbomPath];
    const sink = artifactSink(backends, log);
    await core.group(`Artifact ${artifactName}`, async () => {
      await sink.upload(artifactName, files, result.outDir, inputs.retentionDays);
    });

    const published: PublishResult | undefined = inputs.publish
      ? (await publishLayers(inputs.publish, { log })).published
      : undefined;

    await core.group('Outputs and summary', async () => {
      const outputs = actionOutputs(result, artifactName, published);
      for (const name of OUTPUTS) {
        core.setOutput(name, outputs[name]);
        core.info(`${name}: ${outputs[name]}`);
      }
      if (!process.env.GITHUB_STEP_SUMMARY) {
        core.info('no job summary (GITHUB_STEP_SUMMARY is not set)');
        return;
      }
      const markdown = summaryMarkdown({
        build: result,
        artifactName,
        artifactWhere:
          backends.artifacts === 'github'
            ? `artifact \`${artifactName}\` (r.zip, r_lib.zip, subsystem.zip, manifest.json)`
            : `in ${path.resolve(result.outDir)}`,
        published,
        dryRun: inputs.publish?.dryRun,
      });
      try {
        await core.summary.addRaw(markdown, true).write();
      } catch (error) {
        core.warning(`could not write the job summary: ${errorMessage(error)}`);
      }
    });
  } catch (error) {
    // A user error as it is; an unexpected one named as such, with its stack and causes in the debug log.
    const report = failureReport(error);
    core.debug(report.detail);
    core.setFailed(report.message);
  }
}
