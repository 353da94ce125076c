import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCranListing } from '../../../src/release/cran-releases.js';
import { newReleases } from '../../../src/release/new-releases.js';

const releases = parseCranListing(
  readFileSync(path.join(process.cwd(), 'test', 'fixtures', 'cran', 'R-4.html'), 'utf8'),
).map((r) => r.version);

describe('newReleases against the saved CRAN listing', () => {
  it('returns the releases not built yet, at or above the minimum, sorted by version', () => {
    expect(newReleases({ releases, built: [], minimumVersion: '4.5.0' })).toEqual([
      '4.5.0',
      '4.5.1',
      '4.5.2',
    ]);
    expect(newReleases({ releases, built: ['4.5.0', '4.5.1'], minimumVersion: '4.5.0' })).toEqual(['4.5.2']);
    expect(newReleases({ releases, built: ['4.4.3'], minimumVersion: '4.4.2' })).toEqual([
      '4.4.2',
      '4.5.0',
      '4.5.1',
      '4.5.2',
    ]);
  });

  it('finds nothing when everything is built (idempotent reruns)', () => {
    expect(newReleases({ releases, built: ['4.5.0', '4.5.1', '4.5.2'], minimumVersion: '4.5.0' })).toEqual(
      [],
    );
  });

  it('without a minimum, considers every release', () => {
    expect(newReleases({ releases, built: releases.slice(1) })).toEqual(['4.0.0']);
  });

  it('builds exactly the forced versions, even when built before', () => {
    expect(newReleases({ releases, built: ['4.5.2'], force: ['4.5.2'] })).toEqual(['4.5.2']);
    expect(newReleases({ releases, built: [], minimumVersion: '4.5.0', force: ['4.4.1', '4.2.2'] })).toEqual([
      '4.2.2',
      '4.4.1',
    ]);
  });

  it('refuses to force a version CRAN does not list', () => {
    expect(() => newReleases({ releases, built: [], force: ['4.9.9'] })).toThrow(
      "force-version: R 4.9.9 is not among CRAN's releases (newest: 4.5.2); give a released version such as 4.5.2.",
    );
  });
});
