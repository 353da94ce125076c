import { chooseBackends, CONTAINER_LINE, hostProblem, runContext } from '../../../src/action/environment.js';
import type { HostInfo } from '../../../src/layers.js';
import { hostWarning } from '../../../src/pipeline/plan/host.js';

const amazon: HostInfo = { osId: 'amzn', osVersion: '2023', arch: 'x86_64', glibc: '2.34' };
const ubuntu: HostInfo = { osId: 'ubuntu', osVersion: '24.04', arch: 'x86_64', glibc: '2.39' };
const inActions = runContext({ GITHUB_ACTIONS: 'true', ACTIONS_RUNTIME_TOKEN: 't' });
const outside = runContext({});

describe('runContext', () => {
  it('reads GITHUB_ACTIONS and the runtime token', () => {
    expect(inActions).toEqual({ inActions: true, hasRuntimeToken: true });
    expect(outside).toEqual({ inActions: false, hasRuntimeToken: false });
    expect(runContext({ GITHUB_ACTIONS: 'false' }).inActions).toBe(false);
  });
});

describe('hostProblem', () => {
  it('stops an Actions job outside Amazon Linux 2023 with the container line to add', () => {
    const message = hostProblem(ubuntu, inActions, false);
    expect(message).toContain('ubuntu 24.04 (glibc 2.39)');
    expect(message).toContain(`    ${CONTAINER_LINE}`);
    expect(CONTAINER_LINE).toBe('container: amazonlinux:2023');
    expect(message).toContain('allow-any-host: true');
  });

  it("starts with the pipeline's own host warning, so the host is described once, one way", () => {
    expect(hostProblem(ubuntu, inActions, false)?.startsWith(hostWarning(ubuntu) ?? '-')).toBe(true);
  });

  it('lets the build go on in amazonlinux:2023, with allow-any-host, or outside Actions', () => {
    expect(hostProblem(amazon, inActions, false)).toBeUndefined();
    expect(hostProblem(ubuntu, inActions, true)).toBeUndefined();
    expect(hostProblem(ubuntu, outside, false)).toBeUndefined();
  });
});

describe('chooseBackends', () => {
  const base = { cache: true, cacheDirGiven: false, cacheDir: '/c', outDir: '/o' };

  it("uses GitHub's cache and artifacts in Actions", () => {
    expect(chooseBackends(inActions, true, base)).toEqual({
      cache: 'github',
      artifacts: 'github',
      notices: [],
      warnings: [],
    });
  });

  it('falls back to the cache folder with a warning when the cache service is unavailable', () => {
    const choice = chooseBackends(inActions, false, base);
    expect(choice.cache).toBe('local');
    expect(choice.artifacts).toBe('github');
    expect(choice.warnings[0]).toMatch(
      /GitHub's cache service is not available to this job, so stages are cached in \/c/,
    );
  });

  it('keeps everything local outside Actions and says so', () => {
    const choice = chooseBackends(outside, false, base);
    expect(choice).toMatchObject({ cache: 'local', artifacts: 'local', warnings: [] });
    expect(choice.notices).toEqual([
      'Not running in GitHub Actions (no ACTIONS_RUNTIME_TOKEN): stages are cached in /c, and the layers stay in /o instead of being uploaded as an artifact.',
    ]);
  });

  it('caches nothing with cache: false, and prefers an explicit cache-dir', () => {
    expect(chooseBackends(inActions, true, { ...base, cache: false }).cache).toBe('none');
    const explicit = chooseBackends(inActions, true, { ...base, cacheDirGiven: true });
    expect(explicit.cache).toBe('local');
    expect(explicit.notices[0]).toContain(
      "cache-dir is set, so stages are cached in /c instead of GitHub's cache",
    );
  });
});
