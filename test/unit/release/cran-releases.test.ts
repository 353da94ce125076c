import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fetchCranReleases, parseCranListing } from '../../../src/release/cran-releases.js';

const listing = readFileSync(path.join(process.cwd(), 'test', 'fixtures', 'cran', 'R-4.html'), 'utf8');

describe('parseCranListing', () => {
  it("finds every R-x.y.z.tar.gz in CRAN's directory index, oldest first, with dates", () => {
    const releases = parseCranListing(listing);
    expect(releases).toHaveLength(25);
    expect(releases[0]).toEqual({ version: '4.0.0', date: '2020-04-24' });
    expect(releases.at(-1)).toEqual({ version: '4.5.2', date: '2025-10-31' });
    expect(releases.map((r) => r.version)).toContain('4.5.1');
  });

  it('skips R-latest, sort links and other files, and sorts by version, not text', () => {
    const html =
      '<a href="?C=N;O=D">Name</a> <a href="R-latest.tar.gz">R-latest.tar.gz</a>\n' +
      '<a href="R-4.10.0.tar.gz">R-4.10.0.tar.gz</a> 2030-01-01 00:00 40M\n' +
      '<a href="R-4.9.1.tar.gz">R-4.9.1.tar.gz</a> 2029-01-01 00:00 40M\n' +
      '<a href="R-4.9.1.tar.gz.asc">R-4.9.1.tar.gz.asc</a>\n';
    expect(parseCranListing(html).map((r) => r.version)).toEqual(['4.9.1', '4.10.0']);
    expect(parseCranListing('<html>nothing</html>')).toEqual([]);
  });
});

describe('fetchCranReleases', () => {
  it('reads the listing through the given fetch', async () => {
    const fake = (async () => new Response(listing, { status: 200 })) as unknown as typeof fetch;
    expect((await fetchCranReleases('https://cran.example/R-4/', fake)).at(-1)?.version).toBe('4.5.2');
  });

  it('says what went wrong when CRAN is unreachable or the page changed', async () => {
    const down = (async () => new Response('', { status: 404 })) as unknown as typeof fetch;
    await expect(fetchCranReleases('https://cran.example/R-4/', down)).rejects.toThrow(
      "Cannot read CRAN's list of R releases at https://cran.example/R-4/: HTTP 404.",
    );
    const changed = (async () => new Response('<p>moved</p>', { status: 200 })) as unknown as typeof fetch;
    await expect(fetchCranReleases('https://cran.example/R-4/', changed)).rejects.toThrow(
      /lists no R-x\.y\.z\.tar\.gz/,
    );
  });
});
