import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { actionOutputs, OUTPUTS, summaryMarkdown, type ReportedBuild } from '../../../src/action/summary.js';
import type { Manifest } from '../../../src/layers.js';
import type { PublishResult } from '../../../src/publish/index.js';

const MB = 1024 * 1024;

function build(overrides: Partial<Manifest> = {}): ReportedBuild {
  const manifest: Manifest = {
    schemaVersion: 1,
    tool: { name: 'r-lambda-layer', version: '1.0.0' },
    rVersion: '4.5.2',
    architecture: 'x86_64',
    compatibleRuntimes: ['provided.al2023'],
    prefix: '/opt',
    stages: [],
    lockfile: null,
    hostLibraries: [],
    rPackages: [],
    layers: [
      {
        name: 'r',
        file: 'r.zip',
        sha256: 'a'.repeat(64),
        zippedBytes: 42 * MB,
        unzippedBytes: 140 * MB,
        files: 3000,
      },
      {
        name: 'r_lib',
        file: 'r_lib.zip',
        sha256: 'b'.repeat(64),
        zippedBytes: 2 * MB,
        unzippedBytes: 6 * MB,
        files: 200,
      },
      {
        name: 'subsystem',
        file: 'subsystem.zip',
        sha256: 'c'.repeat(64),
        zippedBytes: 9 * MB,
        unzippedBytes: 30 * MB,
        files: 400,
      },
    ],
    host: { osId: 'amzn', osVersion: '2023', arch: 'x86_64', glibc: '2.34' },
    glibcRequired: '2.34',
    lambdaCompatible: true,
    warnings: [],
    ...overrides,
  };
  return {
    rVersion: '4.5.2',
    zips: { r: '/w/layers/r.zip', r_lib: '/w/layers/r_lib.zip', subsystem: '/w/layers/subsystem.zip' },
    manifestPath: '/w/layers/manifest.json',
    sbomPath: '/w/layers/sbom.cdx.json',
    manifest,
    stages: [
      { name: 'openssl', key: 'k1', cacheHit: true, seconds: 1.24 },
      { name: 'R', key: 'k2', cacheHit: false, seconds: 401.5 },
    ],
    limits: { ok: true, problems: [] },
  };
}

const published: PublishResult = {
  'us-east-1': {
    r: {
      arn: 'arn:aws:lambda:us-east-1:111122223333:layer:r-lambda-r-4_5_2-x86_64:3',
      version: 3,
      layerArn: 'x',
      reused: false,
    },
    r_lib: {
      arn: 'arn:aws:lambda:us-east-1:111122223333:layer:r-lambda-r_lib-4_5_2-x86_64:1',
      version: 1,
      layerArn: 'y',
      reused: true,
    },
  },
};

describe('actionOutputs', () => {
  it('sets every output action.yml declares, and only those', () => {
    const actionYml = parse(readFileSync(path.join(process.cwd(), 'action.yml'), 'utf8')) as {
      outputs: Record<string, unknown>;
    };
    expect(Object.keys(actionYml.outputs).sort()).toEqual([...OUTPUTS].sort());
    const outputs = actionOutputs(build(), 'r-lambda-layers-4.5.2-x86_64', undefined);
    expect(Object.keys(outputs).sort()).toEqual([...OUTPUTS].sort());
  });

  it('gives paths, JSON sizes, cache hits and ARNs', () => {
    const outputs = actionOutputs(build(), 'art', published);
    expect(outputs['r-version']).toBe('4.5.2');
    expect(outputs['r-zip']).toBe('/w/layers/r.zip');
    expect(outputs['r-lib-zip']).toBe('/w/layers/r_lib.zip');
    expect(outputs['subsystem-zip']).toBe('/w/layers/subsystem.zip');
    expect(outputs.manifest).toBe('/w/layers/manifest.json');
    expect(outputs.sbom).toBe('/w/layers/sbom.cdx.json');
    expect(JSON.parse(outputs.sizes)).toMatchObject({
      r: { file: 'r.zip', zippedBytes: 42 * MB, unzippedBytes: 140 * MB },
    });
    expect(JSON.parse(outputs['cache-hits'])).toEqual({ openssl: true, R: false });
    expect(JSON.parse(outputs['layer-arns'])).toEqual(published);
    expect(outputs['lambda-compatible']).toBe('true');
    expect(outputs['artifact-name']).toBe('art');
    expect(actionOutputs(build(), 'art', undefined)['layer-arns']).toBe('{}');
  });
});

describe('summaryMarkdown', () => {
  it('shows the R version, glibc verdict, stages with hit or miss and time, and sizes against the limits', () => {
    const md = summaryMarkdown({ build: build(), artifactName: 'a', artifactWhere: 'artifact `a`' });
    expect(md).toContain('## R 4.5.2 for AWS Lambda (x86_64)');
    expect(md).toContain("- **glibc required:** 2.34 — ✅ loads on Lambda's provided.al2023 (glibc 2.34)");
    expect(md).toContain('### Stages (1 of 2 from cache)');
    expect(md).toContain('| openssl | hit | 1.2 s |');
    expect(md).toContain('| R | miss | 401.5 s |');
    expect(md).toContain('| r (`r.zip`) | 42.0 MB | 84% ✅ | 140.0 MB |');
    expect(md).toContain('176.0 MB (70% of 250.0 MB ✅)');
    expect(md).not.toContain('Published layers');
  });

  it('lists the OS packages installed for the packages, and what each requirement resolved to', () => {
    const md = summaryMarkdown({
      build: build({
        systemRequirements: {
          platform: 'debian 12',
          osPackages: [
            {
              name: 'libpng-dev',
              version: '1.6.39-2',
              arch: 'amd64',
              type: 'deb',
              for: ['png'],
              rules: ['libpng'],
            },
          ],
          packages: [
            { package: 'png', version: '0.1-8', text: 'libpng', met: ['libpng → libpng-dev'], unmatched: [] },
            { package: 'hdr', version: '2.0', text: 'C++17', met: [], unmatched: ['C++17'] },
          ],
        },
      }),
      artifactName: 'a',
      artifactWhere: 'artifact `a`',
    });
    expect(md).toContain('### System requirements (debian 12)');
    expect(md).toContain('| libpng-dev | 1.6.39-2 (amd64) | png |');
    expect(md).toContain('- png 0.1-8: libpng → libpng-dev');
    expect(md).toContain('- hdr 2.0: nothing needed; no rule for "C++17"');
    expect(summaryMarkdown({ build: build(), artifactName: 'a', artifactWhere: 'a' })).not.toContain(
      'System requirements',
    );
  });

  it('lists the exact package versions, their tarballs, and the lockfile they came from', () => {
    const md = summaryMarkdown({
      build: build({
        rPackages: [
          { name: 'jsonlite', version: '1.9.1', library: 'R' },
          { name: 'stats', version: '4.5.2', library: 'R', priority: 'base' },
          {
            name: 'R6',
            version: '2.5.1',
            library: 'site',
            url: 'https://cran.example/src/contrib/Archive/R6/R6_2.5.1.tar.gz',
            sha256: 'd'.repeat(64),
          },
        ],
        lockfile: { sha256: 'e'.repeat(64), rVersion: '4.5.2' },
      }),
      artifactName: 'a',
      artifactWhere: 'here',
    });
    expect(md).toContain(`### Packages in r_lib (1) from renv.lock (sha256 ${'e'.repeat(12)}…)`);
    expect(md).toContain(`| R6 | 2.5.1 | R6_2.5.1.tar.gz (sha256 ${'d'.repeat(12)}…) |`);
    expect(md).toContain("R's own library also holds jsonlite 1.9.1;");
    expect(md).not.toContain('stats 4.5.2');
    expect(summaryMarkdown({ build: build(), artifactName: 'a', artifactWhere: 'here' })).toContain(
      '### Packages in r_lib (0)\n\nNo packages.',
    );
  });

  it('says plainly when the layers will not load on Lambda, and which layer needs S3', () => {
    const b = build({ glibcRequired: '2.39', lambdaCompatible: false });
    b.manifest.layers[0]!.zippedBytes = 60 * MB;
    b.limits = { ok: false, problems: ['layer r (r.zip) is 60.0 MB zipped, over the 50.0 MB limit'] };
    const md = summaryMarkdown({ build: b, artifactName: 'a', artifactWhere: 'x' });
    expect(md).toContain("2.39 — ❌ will **not** load on Lambda's provided.al2023 (glibc 2.34)");
    expect(md).toContain('`container: amazonlinux:2023`');
    expect(md).toContain('| r (`r.zip`) | 60.0 MB | 120% ❌ needs S3 |');
    expect(md).toContain('> ⚠️ layer r (r.zip) is 60.0 MB zipped');
  });

  it('lists the ARNs when published, and says when a dry run published nothing', () => {
    const md = summaryMarkdown({ build: build(), artifactName: 'a', artifactWhere: 'x', published });
    expect(md).toContain('### Published layers');
    expect(md).toContain(
      '| us-east-1 | r | `arn:aws:lambda:us-east-1:111122223333:layer:r-lambda-r-4_5_2-x86_64:3` | new |',
    );
    expect(md).toContain(
      '| us-east-1 | r_lib | `arn:aws:lambda:us-east-1:111122223333:layer:r-lambda-r_lib-4_5_2-x86_64:1` | reused |',
    );
    const dry = summaryMarkdown({ build: build(), artifactName: 'a', artifactWhere: 'x', dryRun: true });
    expect(dry).toContain('Dry run: nothing was published');
  });
});
