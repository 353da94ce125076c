/**
 * The whole chain, from real sources (the Debian-filled mirror) into /opt, twice: the second run must come
 * entirely from the cache and give byte-identical zips. Then the built R, the zips and the manifest are checked
 * the way Lambda would use them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, stat, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cycloneDxErrors } from '../support/cyclonedx.js';
import { localMirror, mirrorBuildArgs, runCli, type CliRun } from '../support/mirror.js';
import { loadRecipe } from '../../src/pipeline/recipe.js';
import type { CycloneDxBom } from '../../src/pipeline/sbom.js';
import type { Manifest } from '../../src/layers.js';

const PREFIX = '/opt';
const mirror = localMirror();
const recipe = loadRecipe();
const packages = 'xml2,curl';
/** The recipe's stages (data/stages.yml), in build order. */
const SOURCE_STAGES = recipe.stages.filter((s) => s.kind === 'source').map((s) => s.name);
const PACKAGE_STAGES = recipe.stages.filter((s) => s.kind === 'r-packages').map((s) => s.name);

interface BuildSummary {
  rVersion: string;
  zips: Record<string, string>;
  manifest: string;
  stages: { name: string; cacheHit: boolean; seconds: number }[];
}

const sh = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string =>
  execFileSync(cmd, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

/** R from the prefix, as a user would start it: no R_LIBS_USER, so the Renviron line must find the site-library. */
const rscript = (expr: string): string => {
  const env = { ...process.env };
  delete env.R_LIBS_USER;
  delete env.R_LIBS_SITE;
  return execFileSync(`${PREFIX}/R/bin/Rscript`, ['-e', expr], { encoding: 'utf8', env });
};

describe('build from the local mirror', () => {
  let out1: string;
  let out2: string;
  let first: CliRun;
  let second: CliRun;
  let summary1: BuildSummary;
  let summary2: BuildSummary;

  beforeAll(async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'rll-e2e-'));
    out1 = path.join(base, 'out1');
    out2 = path.join(base, 'out2');
    const args = (out: string): string[] => [
      'build',
      ...mirrorBuildArgs(mirror),
      '--packages',
      packages,
      '--prefix',
      PREFIX,
      '--out',
      out,
      '--no-toolchain',
    ];
    first = await runCli(args(out1));
    if (first.code !== 0) throw new Error(`first build failed:\n${first.stderr.slice(-5000)}`);
    second = await runCli(args(out2));
    if (second.code !== 0) throw new Error(`second build failed:\n${second.stderr.slice(-5000)}`);
    summary1 = JSON.parse(first.stdout) as BuildSummary;
    summary2 = JSON.parse(second.stdout) as BuildSummary;
    const built = summary1.stages.filter((s) => !s.cacheHit).map((s) => s.name);
    console.log(
      `first run ${first.seconds.toFixed(1)} s (built: ${built.join(', ') || "nothing, all from an earlier run's cache"}), ` +
        `second run ${second.seconds.toFixed(1)} s (all cached): ratio ${(first.seconds / second.seconds).toFixed(1)}x`,
    );
  }, 90 * 60_000);

  it('prints one line per stage with hit or miss and time, then the size table', () => {
    // Source stages also say their version and what the file's sum was checked against when it was built.
    for (const stage of SOURCE_STAGES) {
      const how = mirror.sources.find((s) => s.stage === stage)?.how;
      expect(second.stderr).toMatch(
        new RegExp(`^${stage}\\s+hit\\s+[0-9.]+ s  ${mirror.versions[stage]} \\(sha256: ${how}\\)$`, 'm'),
      );
    }
    for (const stage of PACKAGE_STAGES) {
      expect(second.stderr).toMatch(new RegExp(`^${stage}\\s+hit\\s+[0-9.]+ s$`, 'm'));
    }
    expect(second.stderr).toMatch(/r\.zip/);
    expect(second.stderr).toMatch(/subsystem\.zip/);
  });

  it('openssl, curl, bzip2, xz and pcre2 are the pinned upstream files, verified by the pinned sums with no override', () => {
    // Debian's orig files of these releases are byte for byte the upstream ones (shared/upstream-in-debian.tsv), so
    // the mirror holds them under their upstream names. Should the archive drop a pinned release, fill-mirror falls
    // back to another one as an override and says so in its note: then that stage is overridden, loudly.
    const expected = ['openssl', 'curl', 'bzip2', 'xz', 'pcre2'].map((stage) => {
      const source = mirror.sources.find((s) => s.stage === stage);
      if (source?.note) console.warn(`mirror: ${stage}: ${source.note} (move the pin in data/stages.yml)`);
      return { stage, how: source?.note ? 'override' : 'pinned' };
    });
    expect(
      mirror.sources
        .filter((s) => expected.some((e) => e.stage === s.stage))
        .map((s) => ({ stage: s.stage, how: s.how })),
    ).toEqual(expected);
    expect(mirror.overrides).not.toMatch(
      new RegExp(
        `^(${expected
          .filter((e) => e.how === 'pinned')
          .map((e) => e.stage)
          .join('|')})=`,
        'm',
      ),
    );
    expect(mirror.sources.filter((s) => s.how === 'pinned').length).toBeGreaterThan(0);
  });

  it('the second run builds nothing: every stage is a cache hit', () => {
    expect(summary2.stages.map((s) => s.cacheHit)).toEqual(summary2.stages.map(() => true));
  });

  it('the same inputs give byte-identical zips and manifest', async () => {
    for (const file of ['r.zip', 'r_lib.zip', 'subsystem.zip', 'manifest.json', 'sbom.cdx.json']) {
      const [a, b] = await Promise.all([readFile(path.join(out1, file)), readFile(path.join(out2, file))]);
      expect({ file, same: a.equals(b) }).toEqual({ file, same: true });
    }
  });

  it('Rscript runs, with libcurl, and reports the /opt builds of every library', () => {
    const text = rscript(
      'cat(capabilities("libcurl"), "\\n"); v <- c(extSoftVersion(), libcurl = libcurlVersion(), ' +
        'ssl = attr(libcurlVersion(), "ssl_version")); cat(paste(names(v), v, sep = "=", collapse = "\\n"))',
    );
    expect(text).toMatch(/^TRUE/);
    const versions = Object.fromEntries(
      text
        .split('\n')
        .slice(1)
        .map((l) => l.split('=') as [string, string]),
    );
    const expected = mirror.versions;
    expect(versions.zlib).toBe(expected.zlib);
    expect(versions.bzlib).toMatch(new RegExp(`^${expected.bzip2}`));
    expect(versions.xz).toBe(expected.xz);
    expect(versions.PCRE).toMatch(new RegExp(`^${expected.pcre2}`));
    expect(versions.libcurl).toBe(expected.curl);
    expect(versions.ssl).toBe(`OpenSSL/${expected.openssl}`);
  });

  it('libR.so, the R binary and its internet module resolve pcre2, lzma, bz2, zlib, curl and ssl from /opt/lib (by RUNPATH)', () => {
    // Only what R itself sets (etc/ldpaths: R's own lib/, for libR.so): /opt/lib must come from the RUNPATH.
    const env = { ...process.env, LD_LIBRARY_PATH: `${PREFIX}/R/lib/R/lib` };
    const links: Record<string, string[]> = {
      [`${PREFIX}/R/lib/R/lib/libR.so`]: ['libpcre2-8.so', 'liblzma.so', 'libbz2.so', 'libz.so'],
      [`${PREFIX}/R/lib/R/bin/exec/R`]: ['libpcre2-8.so', 'liblzma.so', 'libbz2.so', 'libz.so'],
      // R 4 loads libcurl through its internet module, not libR.so.
      [`${PREFIX}/R/lib/R/modules/internet.so`]: ['libcurl.so', 'libssl.so', 'libcrypto.so'],
    };
    for (const [file, libs] of Object.entries(links)) {
      const ldd = execFileSync('ldd', [file], { encoding: 'utf8', env });
      for (const lib of libs) {
        expect({
          file,
          lib,
          line: ldd
            .split('\n')
            .find((l) => l.includes(lib))
            ?.trim(),
        }).toEqual({
          file,
          lib,
          line: expect.stringMatching(new RegExp(`=> ${PREFIX}/lib/${lib.replace('.', '\\.')}`)),
        });
      }
    }
  });

  it("jsonlite loads from R's own library; site-library packages load through the Renviron line", () => {
    const text = rscript(
      'cat(dirname(find.package("jsonlite")), "\\n"); cat(.libPaths()[1], "\\n");' +
        'library(xml2); cat(xml_text(read_xml("<a><b>hi</b></a>")), "\\n");' +
        'cat(curl::curl_version()$ssl_version, "\\n")',
    );
    const [jsonliteLib, firstLib, xml, ssl] = text
      .trim()
      .split('\n')
      .map((s) => s.trim());
    expect(jsonliteLib).toBe(`${PREFIX}/R/lib/R/library`);
    expect(firstLib).toBe(`${PREFIX}/local/lib/R/site-library`);
    expect(xml).toBe('hi');
    expect(ssl).toMatch(/^OpenSSL\/3\./);
  });

  it('the three zips unpack into a fresh folder with the expected entries and executable bits, and that R runs', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rll-unpacked-'));
    for (const zip of ['r.zip', 'r_lib.zip', 'subsystem.zip'])
      sh('unzip', ['-q', path.join(out1, zip), '-d', dir]);
    const top = (await readdir(dir)).sort();
    expect(top).toEqual(
      expect.arrayContaining(['R', 'local', 'bootstrap', 'runtime.R', 'BUILD-ID', 'lib', 'bin', 'ssl']),
    );
    expect(
      sh('unzip', ['-Z1', path.join(out1, 'r.zip')])
        .split('\n')
        .filter(Boolean)
        .every((e) => e.startsWith('R/')),
    ).toBe(true);
    expect(
      sh('unzip', ['-Z1', path.join(out1, 'r_lib.zip')])
        .split('\n')
        .filter(Boolean)
        .every((e) => e.startsWith('local/')),
    ).toBe(true);
    for (const exe of ['bootstrap', 'R/bin/Rscript', 'R/lib/R/bin/exec/R', 'bin/curl']) {
      expect({ exe, executable: ((await stat(path.join(dir, exe))).mode & 0o111) !== 0 }).toEqual({
        exe,
        executable: true,
      });
    }
    // Relocated: this R must run from the unpacked folder, not from /opt.
    const out = sh(path.join(dir, 'R/bin/Rscript'), ['-e', 'cat(R.home(), capabilities("libcurl"))'], {
      RHOME: path.join(dir, 'R/lib/R'),
      LD_LIBRARY_PATH: path.join(dir, 'lib'),
    });
    expect(out).toBe(`${dir}/R/lib/R TRUE`);
  });

  it('the runtime serves events from the unpacked layers (invoke --opt), with the r_lib packages', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rll-layers-'));
    for (const zip of ['r.zip', 'r_lib.zip', 'subsystem.zip'])
      sh('unzip', ['-q', path.join(out1, zip), '-d', dir]);
    const task = await mkdtemp(path.join(os.tmpdir(), 'rll-task-'));
    await writeFile(
      path.join(task, 'check.R'),
      [
        'handler <- function(event, context) {',
        '  if (isTRUE(event$fail)) stop("asked to fail")',
        '  list(home = R.home(), libcurl = capabilities("libcurl")[[1]],',
        '       xml = xml2::xml_text(xml2::read_xml("<a>ok</a>")), echo = event$value)',
        '}',
      ].join('\n'),
    );
    const event = path.join(task, 'event.json');
    await writeFile(event, JSON.stringify({ value: [1.5, 'x'] }));
    const args = [
      'invoke',
      '--opt',
      dir,
      '--task-root',
      task,
      '--handler',
      'check.handler',
      '--timeout',
      '60',
    ];
    const ok = await runCli([...args, '--event', event]);
    expect({ code: ok.code, stderr: ok.code === 0 ? '' : ok.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(ok.stdout)).toEqual({
      home: `${dir}/R/lib/R`,
      libcurl: true,
      xml: 'ok',
      echo: [1.5, 'x'],
    });
    await writeFile(event, JSON.stringify({ fail: true }));
    const failed = await runCli([...args, '--event', event]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({
      errorMessage: 'asked to fail',
      errorType: 'simpleError',
    });
  });

  it('manifest.json records stages, packages, zips and the glibc verdict', async () => {
    const manifest = JSON.parse(await readFile(path.join(out1, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.rVersion).toBe(mirror.rVersion);
    expect(manifest.stages.map((s) => s.name)).toEqual(SOURCE_STAGES);
    for (const stage of manifest.stages) {
      expect(stage.url).toMatch(/^file:\/\//);
      expect(stage.sha256).toMatch(/^[0-9a-f]{64}$/);
      // What the mirror holds under the upstream name is checked against data/stages.yml's sum; the rest (Debian's
      // repacks) against the override's.
      const source = mirror.sources.find((s) => s.stage === stage.name);
      expect({ stage: stage.name, checked: stage.sha256Source, version: stage.version }).toEqual({
        stage: stage.name,
        checked: source?.how,
        version: source?.version,
      });
      if (source?.how === 'pinned') {
        const pinned = recipe.stages.find((s) => s.name === stage.name);
        expect(stage.sha256).toBe(pinned?.kind === 'source' ? pinned.sha256 : 'a source stage');
        expect(stage.url).toBe(`file://${path.join(mirror.sourceMirror, source.file)}`);
      }
    }
    expect(manifest.stages.find((s) => s.name === 'R')?.flags).toContain('--enable-R-shlib');
    expect(manifest.rPackages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'jsonlite', library: 'R' }),
        expect.objectContaining({ name: 'xml2', library: 'site' }),
        expect.objectContaining({ name: 'curl', library: 'site' }),
      ]),
    );
    for (const layer of manifest.layers) {
      const bytes = await readFile(path.join(out1, layer.file));
      expect(layer.zippedBytes).toBe(bytes.length);
      expect(layer.sha256).toBe(sh('sha256sum', [path.join(out1, layer.file)]).split(' ')[0]);
    }
    expect(manifest.host).toMatchObject({ osId: 'debian', arch: 'x86_64' });
    // Built on Debian 12: glibc 2.36 symbols, so the manifest must say these layers will not load on Lambda.
    expect(manifest.glibcRequired).toMatch(/^2\.3[5-9]/);
    expect(manifest.lambdaCompatible).toBe(false);
    expect(manifest.warnings.join('\n')).toMatch(/will not load on Lambda/);
  });

  it('sbom.cdx.json: valid CycloneDX 1.6, with every stage, R package and copied library, sums that match', async () => {
    const bom = JSON.parse(await readFile(path.join(out1, 'sbom.cdx.json'), 'utf8')) as CycloneDxBom;
    const manifest = JSON.parse(await readFile(path.join(out1, 'manifest.json'), 'utf8')) as Manifest;
    expect(cycloneDxErrors(bom)).toEqual([]);
    const byRef = new Map(bom.components.map((c) => [c['bom-ref'], c]));
    for (const stage of manifest.stages) {
      const component = byRef.get(`stage:${stage.name}`);
      const license = recipe.stages.find((s) => s.name === stage.name);
      expect(component).toMatchObject({
        version: stage.version,
        licenses: [{ expression: license?.kind === 'source' ? license.license : '?' }],
        externalReferences: [{ url: stage.url, hashes: [{ alg: 'SHA-256', content: stage.sha256 }] }],
      });
    }
    // Every package in r.zip and r_lib.zip, read back from the zips themselves.
    const inZip = (zip: string, dir: string): string[] =>
      sh('unzip', ['-Z1', path.join(out1, zip)])
        .split('\n')
        .map((l) => new RegExp(`^${dir}/([^/]+)/DESCRIPTION$`).exec(l)?.[1])
        .filter((n): n is string => Boolean(n))
        .sort();
    const refs = (prefix: string): string[] =>
      bom.components
        .filter((c) => c['bom-ref'].startsWith(prefix))
        .map((c) => c.name)
        .sort();
    expect(refs('r-package:R:')).toEqual(inZip('r.zip', 'R/lib/R/library'));
    expect(refs('r-package:site:')).toEqual(inZip('r_lib.zip', 'local/lib/R/site-library'));
    // The packages the build installed: the tarball in the mirror, with its real sum.
    for (const name of ['xml2', 'curl', 'cli', 'rlang']) {
      const component = byRef.get(`r-package:site:${name}`);
      const url = component?.externalReferences?.[0]?.url ?? '';
      expect(url).toMatch(new RegExp(`^${mirror.cranRepo}/src/contrib/${name}_[0-9.-]+\\.tar\\.gz$`));
      expect(component?.externalReferences?.[0]?.hashes?.[0]?.content).toBe(
        sh('sha256sum', [new URL(url).pathname]).split(' ')[0],
      );
      expect(component?.purl).toBe(`pkg:cran/${name}@${component?.version}`);
      expect(component?.licenses?.[0]).toHaveProperty('license.name');
    }
    expect(byRef.get('r-package:R:jsonlite')?.externalReferences?.[0]?.url).toContain(
      '/src/contrib/jsonlite_',
    );
    // The runtime package, built from the project's data/lambdaruntime: in r.zip, on no package repository.
    expect(byRef.get('r-package:R:lambdaruntime')).toMatchObject({
      version: '1.0.0',
      description: 'Part of r-lambda-layer, built from its data/lambdaruntime folder',
    });
    expect(byRef.get('r-package:R:lambdaruntime')?.purl).toBeUndefined();
    // Libraries copied from this Debian host: the dpkg package that owns each, and the sum of the copy in the zip.
    const copied = bom.components.filter((c) => c['bom-ref'].startsWith('host-library:'));
    expect(copied.map((c) => c.name)).toEqual(
      expect.arrayContaining(['libgfortran.so.5', 'libquadmath.so.0']),
    );
    const zipped = await mkdtemp(path.join(os.tmpdir(), 'rll-sbom-'));
    sh('unzip', ['-q', path.join(out1, 'subsystem.zip'), 'lib/*', '-d', zipped]);
    for (const c of copied) {
      // The package the SBOM names really holds that library: its file list has the soname (or the file it links to).
      const from = String(c.properties?.find((p) => p.name === 'r-lambda-layer:copied-from')?.value);
      const pkg = /^pkg:deb\/debian\/([^@]+)@/.exec(c.purl ?? '')?.[1] ?? '(none)';
      const files = sh('dpkg-query', ['-L', pkg]).split('\n');
      const real = sh('readlink', ['-f', from]).trim();
      expect({
        lib: c.name,
        owned: files.some((f) => [from, real].map((x) => path.basename(x)).includes(path.basename(f))),
      }).toEqual({ lib: c.name, owned: true });
      expect(c.version).toBe(sh('dpkg-query', ['-W', '-f', '${Version}', pkg]));
      expect(c.hashes?.[0]?.content).toBe(sh('sha256sum', [path.join(zipped, 'lib', c.name)]).split(' ')[0]);
    }
    const layerDeps = bom.dependencies.find((d) => d.ref === 'layer:subsystem.zip')?.dependsOn ?? [];
    expect(layerDeps).toEqual(expect.arrayContaining(['stage:openssl', 'host-library:libgfortran.so.5']));
  });
});
