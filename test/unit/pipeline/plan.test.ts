import { loadRecipe } from '../../../src/pipeline/recipe.js';
import { planStages, type PlanInputs, type PlannedStage } from '../../../src/pipeline/plan.js';
import type { BuildOptions } from '../../../src/pipeline/options.js';

const recipe = loadRecipe();
const host = { osId: 'amzn', osVersion: '2023', arch: 'x86_64' as const };
const options: PlanInputs['options'] = {
  rSha256: undefined,
  packages: ['aws.s3'],
  pins: [],
  cranRepo: 'https://cloud.r-project.org',
  prefix: '/opt',
  overrides: {},
};
const plan = (over: Partial<PlanInputs> = {}): PlannedStage[] =>
  planStages({ recipe, options, rVersion: '4.4.1', host, ...over });
const keys = (stages: PlannedStage[]): Record<string, string> =>
  Object.fromEntries(stages.map((s) => [s.name, s.key]));

describe('stage plan', () => {
  it('orders the stages as the recipe does, R after every native library and packages last', () => {
    expect(plan().map((s) => s.name)).toEqual([
      'zlib',
      'openssl',
      'curl',
      'bzip2',
      'xz',
      'pcre2',
      'libxml2',
      'R',
      'r-runtime-packages',
      'r-packages',
    ]);
  });

  it('gives R every native library as a dependency, in build order', () => {
    const r = plan().find((s) => s.name === 'R');
    expect(r?.allDependsOn).toEqual(['zlib', 'openssl', 'curl', 'bzip2', 'xz', 'pcre2', 'libxml2']);
  });

  it('is stable: the same inputs give the same keys', () => {
    expect(keys(plan())).toEqual(keys(plan()));
  });

  it("changing openssl's flags changes the keys of openssl, curl, R and the packages, not bzip2's", () => {
    const changed = {
      ...recipe,
      stages: recipe.stages.map((s) =>
        s.name === 'openssl' && s.kind === 'source' ? { ...s, flags: [...s.flags, 'no-ssl3'] } : s,
      ),
    };
    const before = keys(plan());
    const after = keys(planStages({ recipe: changed, options, rVersion: '4.4.1', host }));
    const differing = Object.keys(before).filter((n) => before[n] !== after[n]);
    expect(differing.sort()).toEqual(['R', 'curl', 'openssl', 'r-packages', 'r-runtime-packages'].sort());
  });

  it('changing the user packages rebuilds only the site-library stage', () => {
    const before = keys(plan());
    const after = keys(plan({ options: { ...options, packages: ['jsonlite', 'xml2'] } }));
    expect(Object.keys(before).filter((n) => before[n] !== after[n])).toEqual(['r-packages']);
  });

  it('pins and the lockfile change only the site-library stage, and a lock makes it a locked install', () => {
    const before = keys(plan());
    const pinned = plan({
      options: { ...options, pins: [{ name: 'aws.s3', version: '0.3.21', repos: [] }] },
    });
    const locked = plan({
      options: {
        ...options,
        pins: [{ name: 'aws.s3', version: '0.3.21', repos: [] }],
        lockfile: { path: '/w/renv.lock', sha256: 'a'.repeat(64) },
      },
    });
    const otherLock = plan({
      options: {
        ...options,
        pins: [{ name: 'aws.s3', version: '0.3.21', repos: [] }],
        lockfile: { path: '/w/renv.lock', sha256: 'b'.repeat(64) },
      },
    });
    for (const variant of [pinned, locked, otherLock]) {
      const after = keys(variant);
      for (const name of Object.keys(before)) {
        if (name === 'r-packages') expect(after[name]).not.toBe(before[name]);
        else expect(after[name]).toBe(before[name]);
      }
    }
    expect(keys(locked)['r-packages']).not.toBe(keys(otherLock)['r-packages']);
    const site = (stages: PlannedStage[]) => stages.find((s) => s.name === 'r-packages');
    expect(site(pinned)).toMatchObject({ locked: false, pins: [{ name: 'aws.s3', version: '0.3.21' }] });
    expect(site(locked)).toMatchObject({ locked: true });
    expect(plan().find((s) => s.name === 'r-runtime-packages')).toMatchObject({ pins: [], locked: false });
  });

  it('keys depend on the build host and the prefix', () => {
    const base = keys(plan());
    expect(keys(plan({ host: { ...host, arch: 'arm64' } })).zlib).not.toBe(base.zlib);
    expect(keys(plan({ host: { ...host, osId: 'debian', osVersion: '12' } })).zlib).not.toBe(base.zlib);
    expect(keys(plan({ options: { ...options, prefix: '/srv/opt' } })).zlib).not.toBe(base.zlib);
  });

  it('a new CRAN index reinstalls the packages but rebuilds nothing native', () => {
    const a = keys(plan({ repoFingerprints: { 'r-runtime-packages': 'aaaa', 'r-packages': 'aaaa' } }));
    const b = keys(plan({ repoFingerprints: { 'r-runtime-packages': 'bbbb', 'r-packages': 'bbbb' } }));
    expect(
      Object.keys(a)
        .filter((n) => a[n] !== b[n])
        .sort(),
    ).toEqual(['r-packages', 'r-runtime-packages']);
  });

  it('an edit of the runtime package (data/lambdaruntime) reinstalls the runtime packages and the site library only', () => {
    const a = keys(plan({ localPackageSums: { lambdaruntime: 'aaaa' } }));
    const b = keys(plan({ localPackageSums: { lambdaruntime: 'bbbb' } }));
    const changed = Object.keys(a).filter((name) => a[name] !== b[name]);
    expect(changed).toEqual(['r-runtime-packages', 'r-packages']);
    const runtime = plan({}).find((s) => s.name === 'r-runtime-packages');
    expect(runtime?.kind === 'r-packages' && runtime.localPackages).toEqual(['lambdaruntime']);
  });

  it('fills {prefix} and {flags} into commands but leaves {destdir} and {jobs} for run time', () => {
    const openssl = plan().find((s) => s.name === 'openssl');
    if (openssl?.kind !== 'source') throw new Error('openssl is a source stage');
    expect(openssl.commands[0]).toBe(
      './config --prefix=/opt shared --libdir=lib --openssldir=/opt/ssl no-tests',
    );
    expect(openssl.commands).toContain('make -j{jobs}');
    expect(openssl.commands.some((c) => c.includes('DESTDIR={destdir}'))).toBe(true);
  });

  it('takes pinned sums for the pinned versions, the R table for R, and user sums for overrides', () => {
    const stages = plan();
    const zlib = stages.find((s) => s.name === 'zlib');
    const r = stages.find((s) => s.name === 'R');
    if (zlib?.kind !== 'source' || r?.kind !== 'source') throw new Error('source stages expected');
    expect(zlib.source).toMatchObject({ sha256Source: 'pinned', fileName: 'zlib-1.3.2.tar.gz' });
    expect(r.source).toMatchObject({
      sha256: recipe.rChecksums['4.4.1'],
      sha256Source: 'pinned',
      upstreamUrl: 'https://cloud.r-project.org/src/base/R-4/R-4.4.1.tar.gz',
    });
    const sum = 'a'.repeat(64);
    const overridden = planStages({
      recipe,
      host,
      rVersion: '4.4.1',
      options: {
        ...options,
        overrides: { zlib: { location: '/m/zlib.tgz', sha256: sum, version: '1.2.13' } },
      },
    }).find((s) => s.name === 'zlib');
    if (overridden?.kind !== 'source') throw new Error('source stage expected');
    expect(overridden).toMatchObject({
      version: '1.2.13',
      source: { sha256: sum, sha256Source: 'override', overrideLocation: '/m/zlib.tgz' },
    });
  });

  it('an R version with no pinned sum is planned unverified (sum computed and recorded at fetch)', () => {
    const r = plan({ rVersion: '4.9.9' }).find((s) => s.name === 'R');
    expect(r?.kind === 'source' && r.source.sha256Source).toBe('computed');
    const given = planStages({
      recipe,
      host,
      rVersion: '4.9.9',
      options: { ...options, rSha256: 'b'.repeat(64) },
    });
    const rGiven = given.find((s) => s.name === 'R');
    expect(rGiven?.kind === 'source' && rGiven.source).toMatchObject({
      sha256: 'b'.repeat(64),
      sha256Source: 'r-sha256',
    });
  });

  it('refuses the backdoored xz releases', () => {
    const o: BuildOptions['overrides'] = { xz: { location: '/m/xz.tgz', version: '5.6.1' } };
    expect(() => plan({ options: { ...options, overrides: o } })).toThrow(/CVE-2024-3094/);
  });

  it('refuses an R override whose version disagrees with r-version', () => {
    const o: BuildOptions['overrides'] = { R: { location: '/m/R.tgz', version: '4.2.2' } };
    expect(() => plan({ options: { ...options, overrides: o } })).toThrow(/differs from r-version 4.4.1/);
  });
});
