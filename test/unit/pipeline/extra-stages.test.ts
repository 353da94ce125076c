import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseExtraStages, withExtraStages } from '../../../src/pipeline/plan/extra-stages.js';
import { planStages } from '../../../src/pipeline/plan/plan.js';
import { loadRecipe, providedByStages } from '../../../src/pipeline/plan/recipe.js';

const recipe = loadRecipe();
const example = (name: string): string =>
  readFileSync(path.join(import.meta.dirname, '../../../examples/extra-stages', name), 'utf8');
const options = {
  rSha256: undefined,
  packages: ['sodium'],
  pins: [],
  cranRepo: 'https://cloud.r-project.org',
  prefix: '/opt',
  overrides: {},
  recommendedPackages: true,
};
const host = { osId: 'amzn', osVersion: '2023', arch: 'x86_64' as const };
const keys = (r = recipe, systemPackages?: string[]): Record<string, string> =>
  Object.fromEntries(
    planStages({ recipe: r, options, rVersion: '4.5.2', host, systemPackages }).map((s) => [s.name, s.key]),
  );

describe('extra stages', () => {
  it("reads the shipped examples: libsodium, and GEOS → PROJ → GDAL depending on the recipe's curl", () => {
    const sodium = parseExtraStages(example('libsodium.yml'), 'libsodium.yml', recipe);
    expect(sodium).toEqual([
      expect.objectContaining({
        kind: 'source',
        name: 'libsodium',
        version: '1.0.18',
        provides: ['libsodium'],
        license: 'ISC',
      }),
    ]);
    const geo = parseExtraStages(example('geospatial.yml'), 'geospatial.yml', recipe);
    expect(geo.map((s) => [s.name, s.dependsOn, s.provides])).toEqual([
      ['geos', [], ['geos']],
      ['proj', ['curl'], ['proj']],
      ['gdal', ['geos', 'proj', 'curl', 'libxml2', 'zlib', 'xz'], ['gdal']],
    ]);
  });

  it('builds them after R, before the packages, and only the site-library key takes them in', () => {
    const extras = parseExtraStages(example('libsodium.yml'), 'libsodium.yml', recipe);
    const merged = withExtraStages(recipe, extras);
    expect(merged.stages.map((s) => s.name)).toEqual([
      'zlib',
      'openssl',
      'curl',
      'bzip2',
      'xz',
      'pcre2',
      'libxml2',
      'R',
      'libsodium',
      'r-runtime-packages',
      'r-packages',
    ]);
    const plan = planStages({ recipe: merged, options, rVersion: '4.5.2', host });
    expect(plan.find((s) => s.name === 'r-packages')?.allDependsOn).toContain('libsodium');
    const libsodium = plan.find((s) => s.name === 'libsodium');
    expect(libsodium).toMatchObject({
      kind: 'source',
      source: { sha256Source: 'pinned', fileName: 'libsodium-1.0.18.tar.gz' },
    });
    const before = keys();
    const after = keys(merged);
    for (const name of Object.keys(before)) {
      if (name === 'r-packages') expect(after[name]).not.toBe(before[name]);
      else expect(after[name]).toBe(before[name]);
    }
    expect(providedByStages(merged.stages)).toMatchObject({
      libsodium: 'libsodium',
      libcurl: 'curl',
      openssl: 'openssl',
    });
  });

  it('refuses a stage without a pinned sum, a name the recipe has, and a dependency on nothing', () => {
    const stage = (extra: string): string =>
      `stages:\n  - name: libfoo\n    version: 1.0\n    url: https://example.org/libfoo-{version}.tar.gz\n${extra}    commands: [make]\n`;
    expect(() => parseExtraStages(stage(''), 'x.yml', recipe)).toThrow(
      /extra-stages \(--extra-stages\) x\.yml: stage libfoo has no pinned sha256/,
    );
    const sum = `    sha256: ${'a'.repeat(64)}\n`;
    expect(() => parseExtraStages(stage(sum).replace('libfoo\n', 'zlib\n'), 'x.yml', recipe)).toThrow(
      /stage zlib is a stage of the recipe already/,
    );
    expect(() => parseExtraStages(stage(`${sum}    dependsOn: [libbar]\n`), 'x.yml', recipe)).toThrow(
      /depends on 'libbar', which is not defined before it/,
    );
    expect(() => parseExtraStages('stages: []', 'x.yml', recipe)).toThrow(/no `stages:` list/);
  });
});

describe('the site-library key and OS packages', () => {
  it('changes with the OS packages and their versions, and with none keeps the key it always had', () => {
    const none = keys(recipe, []);
    expect(none).toEqual(keys());
    const png = keys(recipe, ['libpng-dev=1.6.39-2']);
    const newer = keys(recipe, ['libpng-dev=1.6.39-3']);
    expect(png['r-packages']).not.toBe(none['r-packages']);
    expect(newer['r-packages']).not.toBe(png['r-packages']);
    expect(png.R).toBe(none.R);
    expect(png['r-runtime-packages']).toBe(none['r-runtime-packages']);
  });
});
