import {
  DESCRIPTION_MAX_LENGTH,
  layerDescription,
  layerLicense,
  LICENSE_INFO_MAX_LENGTH,
  manifestShaFromDescription,
  R_LICENSE,
} from '../../../src/publish/description.js';
import type { RPackageRecord } from '../../../src/pipeline/types.js';

const sha = 'ab'.repeat(32);
const packages: RPackageRecord[] = [
  { name: 'jsonlite', version: '1.8.8', library: 'R' },
  { name: 'aws.s3', version: '0.3.22', library: 'site' },
  { name: 'dplyr', version: '1.1.4', library: 'site' },
];

describe('layerDescription', () => {
  it('says R version, architecture, the layer’s packages and the manifest sha', () => {
    const r = layerDescription({
      kind: 'r',
      rVersion: '4.4.1',
      architecture: 'arm64',
      rPackages: packages,
      manifestSha256: sha,
    });
    expect(r).toBe(`R 4.4.1 for provided.al2023 arm64; jsonlite 1.8.8; manifest sha256:${sha}`);
    const lib = layerDescription({
      kind: 'r_lib',
      rVersion: '4.4.1',
      architecture: 'arm64',
      rPackages: packages,
      manifestSha256: sha,
    });
    expect(lib).toBe(
      `R 4.4.1 packages for provided.al2023 arm64; aws.s3 0.3.22, dplyr 1.1.4; manifest sha256:${sha}`,
    );
    const sub = layerDescription({
      kind: 'subsystem',
      rVersion: '4.4.1',
      architecture: 'arm64',
      rPackages: packages,
      manifestSha256: sha,
    });
    expect(sub).toContain('System libraries');
    expect(sub).not.toContain('jsonlite');
    expect(sub.endsWith(`manifest sha256:${sha}`)).toBe(true);
  });

  it('stays within 256 characters with many packages, keeps the sha and counts what it left out', () => {
    const many: RPackageRecord[] = Array.from({ length: 200 }, (_, i) => ({
      name: `package${String(i).padStart(3, '0')}`,
      version: '10.20.30',
      library: 'site',
    }));
    const text = layerDescription({
      kind: 'r_lib',
      rVersion: '4.4.1',
      architecture: 'x86_64',
      rPackages: many,
      manifestSha256: sha,
    });
    expect(text.length).toBeLessThanOrEqual(DESCRIPTION_MAX_LENGTH);
    expect(text).toMatch(/package000 10\.20\.30, .* \+\d+ more; manifest sha256:/);
    const shown = (text.match(/package\d{3}/g) ?? []).length;
    expect(text).toContain(`+${200 - shown} more`);
    expect(manifestShaFromDescription(text)).toBe(sha);
  });

  it('keeps the sha even for an absurdly long R version', () => {
    const text = layerDescription({
      kind: 'r_lib',
      rVersion: 'x'.repeat(400),
      architecture: 'x86_64',
      rPackages: packages,
      manifestSha256: sha,
    });
    expect(text.length).toBeLessThanOrEqual(DESCRIPTION_MAX_LENGTH);
    expect(manifestShaFromDescription(text)).toBe(sha);
  });

  it('says so when a layer holds no packages', () => {
    const text = layerDescription({
      kind: 'r_lib',
      rVersion: '4.4.1',
      architecture: 'x86_64',
      rPackages: [],
      manifestSha256: sha,
    });
    expect(text).toContain('; no packages; ');
  });
});

describe('manifestShaFromDescription', () => {
  it('finds nothing in descriptions written by someone else', () => {
    expect(manifestShaFromDescription('R layer by hand')).toBeUndefined();
    expect(manifestShaFromDescription(undefined)).toBeUndefined();
    expect(manifestShaFromDescription(`manifest sha256:${'a'.repeat(63)}`)).toBeUndefined();
  });
});

describe('layerLicense', () => {
  it('gives R’s license to the r layer and fits Lambda’s limit for all', () => {
    expect(layerLicense('r')).toBe(R_LICENSE);
    expect(R_LICENSE).toBe('GPL-2.0-only OR GPL-3.0-only');
    for (const kind of ['r', 'r_lib', 'subsystem'] as const)
      expect(layerLicense(kind).length).toBeLessThanOrEqual(LICENSE_INFO_MAX_LENGTH);
  });
});
