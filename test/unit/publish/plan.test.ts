import { UserError } from '../../../src/errors.js';
import { LAMBDA_LIMITS, type LayerKind, type Manifest, type RPackageRecord } from '../../../src/layers.js';
import type { PublishInput } from '../../../src/publish/inputs.js';
import { parsePublishOptions } from '../../../src/publish/options.js';
import {
  formatPlan,
  layerDescription,
  layerLicense,
  layerNames,
  manifestShaFromDescription,
  planPublish,
} from '../../../src/publish/plan.js';

const sha = 'c0'.repeat(32);
const LIMIT = LAMBDA_LIMITS.directUploadZippedBytes;

/** A checked output folder as data: the plan never touches files. */
function input(
  sizes: Record<LayerKind, number>,
  architecture: 'x86_64' | 'arm64' = 'arm64',
  extra: Partial<Manifest> = {},
): PublishInput {
  const layers = (Object.keys(sizes) as LayerKind[]).map((name) => ({
    record: {
      name,
      file: `${name}.zip`,
      sha256: 'd'.repeat(64),
      zippedBytes: sizes[name],
      unzippedBytes: 0,
      files: 1,
    },
    path: `/out/${name}.zip`,
    bytes: sizes[name],
  }));
  const manifest = {
    schemaVersion: 1,
    rVersion: '4.4.1',
    architecture,
    compatibleRuntimes: ['provided.al2023'],
    rPackages: [{ name: 'aws.s3', version: '0.3.22', library: 'site' }],
    layers: layers.map((l) => l.record),
    lambdaCompatible: true,
    glibcRequired: '2.34',
    warnings: [],
    ...extra,
  } as unknown as Manifest;
  return { outDir: '/out', manifest, manifestSha256: sha, layers };
}

describe('planPublish', () => {
  it('publishes small zips directly with runtimes, architecture, license and description', () => {
    const plan = planPublish(
      input({ r: 1000, r_lib: 2000, subsystem: LIMIT }),
      parsePublishOptions({ regions: 'us-east-1' }),
    );
    expect(plan.regions).toHaveLength(1);
    const [r, lib, sub] = plan.regions[0]!.layers;
    expect(r).toMatchObject({
      kind: 'r',
      layerName: 'r-lambda-r-4_4_1-arm64',
      upload: { method: 'direct' },
      compatibleRuntimes: ['provided.al2023'],
      compatibleArchitectures: ['arm64'],
      licenseInfo: 'GPL-2.0-only OR GPL-3.0-only',
    });
    expect(lib!.description).toContain('aws.s3 0.3.22');
    // Exactly at the limit still goes directly.
    expect(sub!.upload).toEqual({ method: 'direct' });
    for (const layer of [r!, lib!, sub!]) expect(layer.description).toContain(`manifest sha256:${sha}`);
  });

  it('sends a zip over the limit through S3 under a key naming the build', () => {
    const plan = planPublish(
      input({ r: 1000, r_lib: LIMIT + 1, subsystem: 1000 }),
      parsePublishOptions({ regions: 'eu-west-1', 's3-bucket': 'bucket', 's3-prefix': 'builds' }),
    );
    expect(plan.regions[0]!.layers[1]!.upload).toEqual({
      method: 's3',
      bucket: 'bucket',
      key: `builds/r-lambda-r_lib-4_4_1-arm64/${sha}/r_lib.zip`,
    });
    expect(plan.regions[0]!.layers[0]!.upload).toEqual({ method: 'direct' });
  });

  it('refuses a zip over the limit without a bucket, naming the file, the limit and the input', () => {
    const run = (): unknown =>
      planPublish(
        input({ r: LIMIT + 1, r_lib: 10, subsystem: 10 }),
        parsePublishOptions({ regions: 'us-east-1' }),
      );
    expect(run).toThrow(UserError);
    expect(run).toThrow(
      `r.zip (${LIMIT + 1} bytes) is over Lambda's 50.0 MB (${LIMIT} bytes) limit for a direct upload`,
    );
    expect(run).toThrow(/ s3-bucket \(--s3-bucket\) /);
  });

  it('needs a bucket per region when a big zip goes to several regions', () => {
    const sizes = { r: LIMIT + 1, r_lib: 10, subsystem: 10 };
    expect(() =>
      planPublish(
        input(sizes),
        parsePublishOptions({ regions: 'us-east-1,eu-west-1', 's3-bucket': 'one-bucket' }),
      ),
    ).toThrow(/Put \{region\} in s3-bucket \(--s3-bucket\), e\.g\. one-bucket-\{region\}/);
    const plan = planPublish(
      input(sizes),
      parsePublishOptions({ regions: 'us-east-1,eu-west-1', 's3-bucket': 'layers-{region}' }),
    );
    expect(plan.regions.map((r) => (r.layers[0]!.upload as { bucket: string }).bucket)).toEqual([
      'layers-us-east-1',
      'layers-eu-west-1',
    ]);
  });

  it('allows one bucket for several regions when nothing needs S3', () => {
    const plan = planPublish(
      input({ r: 10, r_lib: 10, subsystem: 10 }),
      parsePublishOptions({ regions: 'us-east-1,eu-west-1', 's3-bucket': 'one' }),
    );
    expect(plan.regions).toHaveLength(2);
  });

  it('formats a plan a person can read: region, name, size, method', () => {
    const plan = planPublish(
      input({ r: 2048, r_lib: LIMIT + 1, subsystem: 10 }),
      parsePublishOptions({ regions: 'us-east-1', 's3-bucket': 'bkt', sharing: 'public' }),
    );
    const lines = formatPlan(plan);
    expect(lines[1]).toBe('regions: us-east-1; sharing: public');
    expect(lines).toContain('  us-east-1  r-lambda-r-4_4_1-arm64  2.0 KB  direct upload');
    expect(lines).toContain(
      `  us-east-1  r-lambda-r_lib-4_4_1-arm64  50.0 MB  via s3://bkt/r-lambda-layer/r-lambda-r_lib-4_4_1-arm64/${sha}/r_lib.zip`,
    );
  });

  it('gives Lambda the compatible runtimes the manifest records', () => {
    const plan = planPublish(
      input({ r: 1000, r_lib: 2000, subsystem: 3000 }, 'arm64', {
        compatibleRuntimes: ['provided.al2023', 'provided.al2'],
      }),
      parsePublishOptions({ regions: 'us-east-1' }),
    );
    for (const layer of plan.regions[0]!.layers)
      expect(layer.compatibleRuntimes).toEqual(['provided.al2023', 'provided.al2']);
  });

  it('carries the build’s warning when the manifest says the layers will not load on Lambda', () => {
    const options = parsePublishOptions({ regions: 'us-east-1' });
    expect(planPublish(input({ r: 1, r_lib: 1, subsystem: 1 }), options).warnings).toEqual([]);
    const plan = planPublish(
      input({ r: 1, r_lib: 1, subsystem: 1 }, 'x86_64', {
        lambdaCompatible: false,
        glibcRequired: '2.36',
        warnings: ['libR.so needs GLIBC_2.36'],
      }),
      options,
    );
    expect(plan.warnings).toEqual([
      'manifest.json says these layers will not load on Lambda (they need glibc 2.36; Lambda has 2.34); build them in amazonlinux:2023. Publishing anyway.',
      'libR.so needs GLIBC_2.36',
    ]);
  });
});

describe('layerNames', () => {
  const kinds = ['r', 'r_lib', 'subsystem'] as const;
  const kindNames = { r: 'r', r_lib: 'r_lib', subsystem: 'subsystem' };
  const names = (layerPrefix: string, rVersion = '4.4.1', renamed = kindNames) =>
    layerNames(kinds, { layerPrefix, kindNames: renamed }, rVersion, 'x86_64');

  it('joins prefix, kind, R version and architecture within Lambda rules', () => {
    expect(names('team', '4.3.2')).toEqual({
      r: 'team-r-4_3_2-x86_64',
      r_lib: 'team-r_lib-4_3_2-x86_64',
      subsystem: 'team-subsystem-4_3_2-x86_64',
    });
  });

  it('turns dots and other characters Lambda refuses in the R version into underscores', () => {
    expect(names('p', '4.5.0-patched').r).toBe('p-r-4_5_0-patched-x86_64');
    expect(names('p', 'devel (r87000)').r).toBe('p-r-devel_r87000-x86_64');
    expect(names('p', '...').r).toBe('p-r-unknown-x86_64');
  });

  it('accepts 64 characters and refuses more, naming the input to shorten', () => {
    // "-subsystem-4_4_1-x86_64" is 23 characters.
    expect(names('p'.repeat(41)).subsystem).toHaveLength(64);
    expect(() => names('p'.repeat(42))).toThrow(UserError);
    expect(() => names('p'.repeat(42))).toThrow(/65 characters; Lambda allows 64\. Shorten layer-prefix/);
  });

  it('refuses two kinds renamed to the same name', () => {
    expect(() => names('p', '4.4.1', { r: 'same', r_lib: 'same', subsystem: 'subsystem' })).toThrow(
      /r and r_lib layers would both be named "p-same-4_4_1-x86_64"/,
    );
  });
});

describe('layerDescription', () => {
  const packages: RPackageRecord[] = [
    { name: 'jsonlite', version: '1.8.8', library: 'R' },
    { name: 'dplyr', version: '1.1.4', library: 'site' },
    { name: 'aws.s3', version: '0.3.22', library: 'site' },
  ];
  const describeLayer = (kind: LayerKind, rPackages = packages, rVersion = '4.4.1') =>
    layerDescription(kind, { rVersion, architecture: 'arm64', rPackages }, sha);

  it('says R version, architecture, the layer’s own packages (sorted) and the manifest sha', () => {
    expect(describeLayer('r')).toBe(
      `R 4.4.1 for provided.al2023 arm64; jsonlite 1.8.8; manifest sha256:${sha}`,
    );
    expect(describeLayer('r_lib')).toBe(
      `R 4.4.1 packages for provided.al2023 arm64; aws.s3 0.3.22, dplyr 1.1.4; manifest sha256:${sha}`,
    );
    expect(describeLayer('subsystem')).toBe(
      `System libraries and bootstrap for R 4.4.1 on provided.al2023 arm64; manifest sha256:${sha}`,
    );
    expect(describeLayer('r_lib', [])).toContain('; no packages; ');
  });

  it('stays within 256 characters, keeps the sha and counts the packages it left out', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({
      name: `package${String(i).padStart(3, '0')}`,
      version: '10.20.30',
      library: 'site' as const,
    }));
    const text = describeLayer('r_lib', many);
    expect(text.length).toBeLessThanOrEqual(256);
    const shown = (text.match(/package\d{3}/g) ?? []).length;
    expect(text).toMatch(new RegExp(`package000 10\\.20\\.30, .* \\+${200 - shown} more; manifest sha256:`));
    expect(manifestShaFromDescription(text)).toBe(sha);
    const absurd = describeLayer('r_lib', packages, 'x'.repeat(400));
    expect(absurd.length).toBeLessThanOrEqual(256);
    expect(manifestShaFromDescription(absurd)).toBe(sha);
  });

  it('finds no sha in descriptions written by someone else', () => {
    expect(manifestShaFromDescription('R layer by hand')).toBeUndefined();
    expect(manifestShaFromDescription(undefined)).toBeUndefined();
    expect(manifestShaFromDescription(`manifest sha256:${'a'.repeat(63)}`)).toBeUndefined();
  });
});

describe('layerLicense', () => {
  it('gives R’s license to the r layer and fits Lambda’s 512-character limit for all', () => {
    expect(layerLicense('r')).toBe('GPL-2.0-only OR GPL-3.0-only');
    for (const kind of ['r', 'r_lib', 'subsystem'] as const)
      expect(layerLicense(kind).length).toBeLessThanOrEqual(512);
  });
});
