import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CRAN_BASE, resolveReleaseFrom } from '../../../src/pipeline/plan/r-versions.js';

/** A fetch that answers only CRAN's own version file, and records what was asked. */
function cranOnly(asked: string[]): typeof fetch {
  return (async (url: string | URL) => {
    asked.push(String(url));
    return String(url) === `${CRAN_BASE}/src/base/VERSION-INFO.dcf`
      ? new Response('Release: 4.5.2\nDevel: 4.6.0\n')
      : new Response('', { status: 404 });
  }) as unknown as typeof fetch;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'r-versions-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('"release" honours --cran-repo', () => {
  it('a repository with R version info answers, and CRAN is not asked', async () => {
    await mkdir(path.join(dir, 'src/base'), { recursive: true });
    await writeFile(path.join(dir, 'src/base/VERSION-INFO.dcf'), 'Release: 4.4.3\n');
    const asked: string[] = [];
    const said: string[] = [];
    expect(await resolveReleaseFrom(`file://${dir}`, (m) => said.push(m), cranOnly(asked))).toBe('4.4.3');
    expect(asked).toEqual([]);
    expect(said).toEqual([]);
  });

  it('a repository without it (packages only): CRAN is asked, with a log line saying why', async () => {
    const asked: string[] = [];
    const said: string[] = [];
    expect(await resolveReleaseFrom(`file://${dir}`, (m) => said.push(m), cranOnly(asked))).toBe('4.5.2');
    expect(asked).toEqual([`${CRAN_BASE}/src/base/VERSION-INFO.dcf`]);
    expect(said).toEqual([
      expect.stringMatching(
        /^r-version "release": file:\/\/.*\/src\/base\/VERSION-INFO\.dcf cannot be read: .*; asking CRAN \(https:\/\/cloud\.r-project\.org\)/,
      ),
    ]);
  });

  it('an http repository that answers 404 falls back the same way', async () => {
    const asked: string[] = [];
    const said: string[] = [];
    const version = await resolveReleaseFrom(
      'https://packagemanager.example/cran/latest',
      (m) => said.push(m),
      cranOnly(asked),
    );
    expect(version).toBe('4.5.2');
    expect(asked[0]).toBe('https://packagemanager.example/cran/latest/src/base/VERSION-INFO.dcf');
    expect(said[0]).toMatch(/cannot be read: HTTP 404/);
  });
});
