import {
  repository,
  versionsWithDependencies,
  parsePackagesIndex,
} from '../../../src/pipeline/plan/cran-index.js';

// The shape of CRAN's src/contrib/PACKAGES (fields as tools::write_PACKAGES writes them).
const INDEX = `Package: aws.s3
Version: 0.3.22
Imports: utils, tools, curl, httr, xml2 (> 1.0.0), base64enc, digest,
        aws.signature (>= 0.3.7)
License: GPL (>= 2)
NeedsCompilation: no

Package: aws.signature
Version: 0.6.0
Imports: digest, base64enc

Package: httr
Version: 1.4.7
Depends: R (>= 3.5)
Imports: curl (>= 5.0.2), jsonlite, mime, openssl (>= 0.8), R6

Package: xml2
Version: 1.3.6
Depends: R (>= 3.6.0)
Imports: cli, methods, rlang (>= 1.1.0)
LinkingTo: cpp11

Package: jsonlite
Version: 1.8.8
Imports: methods
`;

describe('CRAN package index', () => {
  it('reads versions and the dependencies install.packages follows, across continuation lines', () => {
    const index = parsePackagesIndex(INDEX);
    expect(index.get('aws.s3')).toEqual({
      version: '0.3.22',
      deps: ['utils', 'tools', 'curl', 'httr', 'xml2', 'base64enc', 'digest', 'aws.signature'],
    });
    expect(index.get('xml2')?.deps).toEqual(['cli', 'methods', 'rlang', 'cpp11']);
    expect(index.get('httr')?.deps).not.toContain('R');
  });

  it('fingerprints the wanted packages with all their dependencies', () => {
    const index = parsePackagesIndex(INDEX);
    expect(versionsWithDependencies(['jsonlite'], index)).toEqual(['jsonlite 1.8.8', 'methods -']);
    const versions = versionsWithDependencies(['aws.s3'], index);
    expect(versions).toContain('httr 1.4.7');
    expect(versions).toContain('jsonlite 1.8.8'); // through httr
    expect(versions).toContain('aws.signature 0.6.0');
  });

  it('a new release of a dependency changes the fingerprint; an unrelated package does not', () => {
    const before = versionsWithDependencies(['aws.s3'], parsePackagesIndex(INDEX));
    const bumped = versionsWithDependencies(
      ['aws.s3'],
      parsePackagesIndex(INDEX.replace('Version: 1.8.8', 'Version: 1.9.0')),
    );
    const unrelated = versionsWithDependencies(
      ['aws.s3'],
      parsePackagesIndex(`${INDEX}\nPackage: ggplot2\nVersion: 3.5.0\n`),
    );
    expect(bumped).not.toEqual(before);
    expect(unrelated).toEqual(before);
  });
});

describe('a repository read once per build', () => {
  it('reads its index once for every caller, from src/contrib/PACKAGES', async () => {
    const asked: string[] = [];
    const repo = repository('file:///mirror/cran', async (url) => {
      asked.push(url);
      return 'Package: R6\nVersion: 2.6.1\n';
    });
    const [first, second] = await Promise.all([repo.index(), repo.index()]);
    expect((await repo.index()).get('R6')?.version).toBe('2.6.1');
    expect(first).toBe(second);
    expect(asked).toEqual(['file:///mirror/cran/src/contrib/PACKAGES']);
    expect(repo.indexUrl).toBe('file:///mirror/cran/src/contrib/PACKAGES');
  });

  it('an index that cannot be read fails every caller with the same error, without asking again', async () => {
    let asks = 0;
    const repo = repository('https://cran.invalid', async () => {
      asks++;
      throw new Error('getaddrinfo ENOTFOUND cran.invalid');
    });
    await expect(repo.index()).rejects.toThrow('ENOTFOUND');
    await expect(repo.index()).rejects.toThrow('ENOTFOUND');
    expect(asks).toBe(1);
  });
});
