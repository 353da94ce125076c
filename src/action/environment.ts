/**
 * Where the action runs, and what follows from it: pure decisions over the environment, the host and the inputs,
 * so they can be tested as data. main.ts acts on them.
 */
import type { HostInfo } from '../layers.js';
import { hostWarning } from '../pipeline/plan/host.js';

export interface RunContext {
  /** GITHUB_ACTIONS=true: a GitHub Actions job (hosted or self-hosted). */
  inActions: boolean;
  /** ACTIONS_RUNTIME_TOKEN present: the artifact and cache services can be used. */
  hasRuntimeToken: boolean;
}

export function runContext(env: NodeJS.ProcessEnv): RunContext {
  return { inActions: env.GITHUB_ACTIONS === 'true', hasRuntimeToken: Boolean(env.ACTIONS_RUNTIME_TOKEN) };
}

/** The line a workflow needs so the job runs in Lambda's own OS. */
export const CONTAINER_LINE = 'container: amazonlinux:2023';

/**
 * In Actions, layers must be built in Amazon Linux 2023 (Lambda's provided.al2023): what is built elsewhere may not
 * load there. The message to stop with (the pipeline's host warning, then the line to add), or undefined when the
 * build may go on.
 */
export function hostProblem(host: HostInfo, context: RunContext, allowAnyHost: boolean): string | undefined {
  if (!context.inActions || allowAnyHost) return undefined;
  const warning = hostWarning(host);
  if (warning === undefined) return undefined;
  return [
    warning,
    "Run the job in Lambda's own OS: add this line to the job, beside runs-on:",
    '',
    `    ${CONTAINER_LINE}`,
    '',
    'or set allow-any-host: true to build on this host anyway (for testing; do not deploy those layers).',
  ].join('\n');
}

export type CacheChoice = 'github' | 'local' | 'none';
export type ArtifactChoice = 'github' | 'local';

export interface BackendChoice {
  cache: CacheChoice;
  artifacts: ArtifactChoice;
  /** Said once with core.notice. */
  notices: string[];
  /** Said with core.warning. */
  warnings: string[];
}

export interface BackendInputs {
  cache: boolean;
  cacheDirGiven: boolean;
  cacheDir: string;
  outDir: string;
}

/** Which cache and artifact backends to use. `cacheServiceAvailable` is @actions/cache's isFeatureAvailable(). */
export function chooseBackends(
  context: RunContext,
  cacheServiceAvailable: boolean,
  inputs: BackendInputs,
): BackendChoice {
  const notices: string[] = [];
  const warnings: string[] = [];
  const artifacts: ArtifactChoice = context.hasRuntimeToken ? 'github' : 'local';
  let cache: CacheChoice;
  if (!inputs.cache) {
    cache = 'none';
  } else if (inputs.cacheDirGiven) {
    // An explicit folder wins over GitHub's cache: on a self-hosted runner it outlives the job.
    cache = 'local';
    if (context.hasRuntimeToken)
      notices.push(`cache-dir is set, so stages are cached in ${inputs.cacheDir} instead of GitHub's cache.`);
  } else if (context.hasRuntimeToken && cacheServiceAvailable) {
    cache = 'github';
  } else {
    cache = 'local';
    if (context.hasRuntimeToken) {
      warnings.push(
        `GitHub's cache service is not available to this job, so stages are cached in ${inputs.cacheDir}, which lasts only as long as this runner.`,
      );
    }
  }
  if (!context.hasRuntimeToken) {
    notices.push(
      'Not running in GitHub Actions (no ACTIONS_RUNTIME_TOKEN): ' +
        (cache === 'local'
          ? `stages are cached in ${inputs.cacheDir}, `
          : cache === 'none'
            ? 'nothing is cached, '
            : '') +
        `and the layers stay in ${inputs.outDir} instead of being uploaded as an artifact.`,
    );
  }
  return { cache, artifacts, notices, warnings };
}
