import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../../src/errors.js';
import { packagesWithLock, parsePackageList, parseRenvLock } from '../../../src/pipeline/plan/lockfile.js';
import { parseBuildOptions } from '../../../src/pipeline/plan/options.js';

/** The shape renv::snapshot() writes (renv 1.x), trimmed to what the parser reads plus a few fields it ignores. */
const LOCK = {
  R: {
    Version: '4.4.1',
    Repositories: [{ Name: 'CRAN', URL: 'https://packagemanager.posit.co/cran/2024-06-01/' }],
  },
  Packages: {
    R6: {
      Package: 'R6',
      Version: '2.5.1',
      Source: 'Repository',
      Repository: 'CRAN',
      Hash: 'x',
      Requirements: ['R'],
    },
    jsonlite: { Package: 'jsonlite', Version: '1.8.8', Source: 'Repository', Repository: 'CRAN' },
    curl: {
      Package: 'curl',
      Version: '5.2.1',
      Source: 'Repository',
      Repository: 'https://cran.example.org/',
    },
    glue: { Package: 'glue', Version: '1.4.2', Source: 'CRAN' },
  },
};

describe('renv lockfiles', () => {
  it("reads every CRAN-like record with the lock's repository URL", () => {
    const lock = parseRenvLock(JSON.stringify(LOCK), 'renv.lock');
    expect(lock.rVersion).toBe('4.4.1');
    expect(lock.pins).toEqual([
      { name: 'curl', version: '5.2.1', repos: ['https://cran.example.org'] },
      { name: 'glue', version: '1.4.2', repos: ['https://packagemanager.posit.co/cran/2024-06-01'] },
      { name: 'jsonlite', version: '1.8.8', repos: ['https://packagemanager.posit.co/cran/2024-06-01'] },
      { name: 'R6', version: '2.5.1', repos: ['https://packagemanager.posit.co/cran/2024-06-01'] },
    ]);
  });

  it('refuses GitHub and Bioconductor records, naming each, and says what is supported', () => {
    const lock = {
      ...LOCK,
      Packages: {
        ...LOCK.Packages,
        mypkg: { Package: 'mypkg', Version: '0.1.0', Source: 'GitHub', RemoteRepo: 'mypkg' },
        Biobase: { Package: 'Biobase', Version: '2.62.0', Source: 'Bioconductor' },
      },
    };
    expect(() => parseRenvLock(JSON.stringify(lock), 'renv.lock')).toThrow(
      /renv\.lock has packages from sources this tool cannot install: mypkg 0\.1\.0 \(Source: GitHub\), Biobase 2\.62\.0 \(Source: Bioconductor\)\. Only CRAN-like/,
    );
  });

  it.each([
    ['{', /is not JSON/],
    ['{"R": {}}', /has no "Packages" object/],
    [
      '{"Packages": {"x": {"Package": "x y", "Version": "1.0", "Source": "Repository"}}}',
      /without a valid package name/,
    ],
    [
      '{"Packages": {"abc": {"Package": "abc", "Version": "latest", "Source": "Repository"}}}',
      /abc \(Package "abc", Version "latest"\)/,
    ],
  ])('rejects %s clearly', (text, message) => {
    expect(() => parseRenvLock(text, 'renv.lock')).toThrow(UserError);
    expect(() => parseRenvLock(text, 'renv.lock')).toThrow(message);
  });
});

describe('package lists', () => {
  it('reads names and name@version, separated by commas, spaces or lines', () => {
    expect(parsePackageList('aws.s3, xml2\ncurl  jsonlite@1.8.4,xml2')).toEqual({
      names: ['aws.s3', 'xml2', 'curl', 'jsonlite'],
      pins: [{ name: 'jsonlite', version: '1.8.4', repos: [] }],
    });
    expect(parsePackageList('none')).toEqual({ names: [], pins: [] });
  });

  it.each([
    [
      'aws.s3, 2bad',
      /^packages \(--packages\): "2bad" is not a valid R package name; use R package names \(letters, digits and dots/,
    ],
    ['pkg;rm -rf', /not a valid R package name/],
    ['jsonlite@', /"jsonlite@" has no valid version after @/],
    ['jsonlite@1.x', /has no valid version/],
    ['a@1.0@2', /not a valid R package name/],
    ['jsonlite@1.8.4 jsonlite@1.9.1', /jsonlite is asked for at two versions, 1\.8\.4 and 1\.9\.1/],
  ])('rejects %s', (text, message) => {
    expect(() => parsePackageList(text)).toThrow(message);
  });

  it('with a lock: takes the lock, allows its own entries, refuses others and other versions', () => {
    const lock = parseRenvLock(JSON.stringify(LOCK), 'renv.lock');
    expect(packagesWithLock(parsePackageList(''), lock, 'renv.lock').names).toEqual([
      'curl',
      'glue',
      'jsonlite',
      'R6',
    ]);
    expect(packagesWithLock(parsePackageList('R6@2.5.1, glue'), lock, 'renv.lock').pins).toHaveLength(4);
    expect(() => packagesWithLock(parsePackageList('dplyr, R6'), lock, 'renv.lock')).toThrow(
      /^packages \(--packages\): dplyr is not in renv\.lock; with a lockfile every package comes from the lock; use /,
    );
    expect(() => packagesWithLock(parsePackageList('R6@2.6.1'), lock, 'renv.lock')).toThrow(
      /R6@2\.6\.1 \(the lock has 2\.5\.1\)/,
    );
  });

  it('reads the lockfile named by the option, with its sum, and no default packages', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lock-'));
    writeFileSync(path.join(dir, 'renv.lock'), JSON.stringify(LOCK));
    const o = parseBuildOptions({ lockfile: 'renv.lock' }, [], dir);
    expect(o.packages).toEqual(['curl', 'glue', 'jsonlite', 'R6']);
    expect(o.lockfile).toMatchObject({ path: path.join(dir, 'renv.lock'), rVersion: '4.4.1' });
    expect(o.lockfile?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(() => parseBuildOptions({ lockfile: 'missing.lock' }, [], dir)).toThrow(
      /^lockfile \(--lockfile\): cannot read .*missing\.lock \(ENOENT\); use the path of an renv\.lock/,
    );
  });
});
