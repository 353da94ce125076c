import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../../../src/errors.js';
import { memoryLogger } from '../../../src/log.js';
import {
  addMissingLibraries,
  loadAllowlist,
  parseAllowlist,
  parseLdd,
  planCopies,
  splitLddByFile,
} from '../../../src/pipeline/tree/closure.js';

// Real ldd output on Debian 12 (amd64) for /usr/lib/R/lib/libR.so, shortened, plus the odd lines ldd prints.
const LDD_LIBR = `\tlinux-vdso.so.1 (0x00007fd6444ec000)
\tlibblas.so.3 => /lib/x86_64-linux-gnu/libblas.so.3 (0x00007fd643f92000)
\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007fd643eb2000)
\tlibgomp.so.1 => /lib/x86_64-linux-gnu/libgomp.so.1 (0x00007fd6437b8000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fd6435d6000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007fd6444ee000)
\tlibgfortran.so.5 => not found
\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007fd641200000)
`;

describe('parseLdd', () => {
  test('reads found, not found, the vDSO and the loader', () => {
    expect(parseLdd(LDD_LIBR)).toEqual([
      { soname: 'linux-vdso.so.1', path: null },
      { soname: 'libblas.so.3', path: '/lib/x86_64-linux-gnu/libblas.so.3' },
      { soname: 'libm.so.6', path: '/lib/x86_64-linux-gnu/libm.so.6' },
      { soname: 'libgomp.so.1', path: '/lib/x86_64-linux-gnu/libgomp.so.1' },
      { soname: 'libc.so.6', path: '/lib/x86_64-linux-gnu/libc.so.6' },
      { soname: 'ld-linux-x86-64.so.2', path: '/lib64/ld-linux-x86-64.so.2' },
      { soname: 'libgfortran.so.5', path: null },
      { soname: 'libstdc++.so.6', path: '/lib/x86_64-linux-gnu/libstdc++.so.6' },
    ]);
  });

  test('skips statically linked files and messages', () => {
    expect(parseLdd('\tstatically linked\n')).toEqual([]);
    expect(parseLdd('\tnot a dynamic executable\n')).toEqual([]);
    expect(parseLdd('')).toEqual([]);
  });

  test('the aarch64 loader and old-style vDSO lines', () => {
    expect(
      parseLdd('\t/lib/ld-linux-aarch64.so.1 (0x0000ffff9a1b0000)\n\tlinux-vdso.so.1 =>  (0x00007ffd)\n'),
    ).toEqual([
      { soname: 'ld-linux-aarch64.so.1', path: '/lib/ld-linux-aarch64.so.1' },
      { soname: 'linux-vdso.so.1', path: null },
    ]);
  });

  test('live ldd output of a real library parses to real files', () => {
    const out = execFileSync('ldd', ['/usr/lib/x86_64-linux-gnu/libstdc++.so.6'], { encoding: 'utf8' });
    const entries = parseLdd(out);
    expect(entries.map((e) => e.soname)).toEqual(
      expect.arrayContaining(['libc.so.6', 'libm.so.6', 'libgcc_s.so.1']),
    );
    for (const e of entries) if (e.soname !== 'linux-vdso.so.1') expect(e.path).toMatch(/^\//);
  });

  test('splitLddByFile splits a batch on its headers', () => {
    const parts = splitLddByFile(`/a/x.so:\n${LDD_LIBR}/b/y:\n\tnot a dynamic executable\n`, [
      '/a/x.so',
      '/b/y',
    ]);
    expect(parseLdd(parts.get('/a/x.so') ?? '')).toHaveLength(8);
    expect(parseLdd(parts.get('/b/y') ?? '')).toEqual([]);
  });
});

describe('allowlist and planCopies', () => {
  test('the data file holds the glibc family and nothing a layer must carry', async () => {
    const allow = await loadAllowlist();
    for (const soname of [
      'libc.so.6',
      'libm.so.6',
      'ld-linux-x86-64.so.2',
      'ld-linux-aarch64.so.1',
      'linux-vdso.so.1',
      'libpthread.so.0',
      'libdl.so.2',
      'librt.so.1',
      'libnss_files.so.2',
    ]) {
      expect(allow.matches(soname)).toBe(true);
    }
    for (const soname of [
      'libgfortran.so.5',
      'libquadmath.so.0',
      'libgomp.so.1',
      'libstdc++.so.6',
      'libgcc_s.so.1',
      'libz.so.1',
      'libtinfo.so.6',
      'libicuuc.so.72',
      'libnss_systemd.so.2',
      'libcrypt.so.1',
    ]) {
      expect(allow.matches(soname)).toBe(false);
    }
  });

  test('libraries under the installed prefix of a staging tree are not copied', () => {
    const allow = parseAllowlist('libc.so.6\n');
    const needs = new Map<string, string | null>([
      ['libR.so', '/opt/R/lib/R/lib/libR.so'], // found through a RUNPATH into the installed prefix
      ['libssl.so.3', '/work/tree/lib/libssl.so.3'],
      ['libz.so.1', '/usr/lib/x86_64-linux-gnu/libz.so.1'],
    ]);
    expect(planCopies(needs, ['/work/tree', '/opt'], allow).copy).toEqual([
      { soname: 'libz.so.1', from: '/usr/lib/x86_64-linux-gnu/libz.so.1' },
    ]);
    expect(planCopies(needs, '/work/tree', allow).copy.map((c) => c.soname)).toEqual([
      'libR.so',
      'libz.so.1',
    ]);
  });

  test('globs and comments', () => {
    const allow = parseAllowlist('# comment\nlibc.so.6  # trailing\n\nlibnss_*.so.2\nlib?.so\n');
    expect(allow.patterns).toEqual(['libc.so.6', 'libnss_*.so.2', 'lib?.so']);
    expect(allow.matches('libnss_dns.so.2')).toBe(true);
    expect(allow.matches('libnss_dns.so.3')).toBe(false);
    expect(allow.matches('libz.so')).toBe(true);
    expect(allow.matches('libzz.so')).toBe(false);
    expect(allow.matches('libcXso.6')).toBe(false); // dots are literal
  });

  test('copies what is outside the prefix and not allowed; reports what is nowhere', () => {
    const allow = parseAllowlist('libc.so.6\nlinux-vdso.so.1\nld-linux-x86-64.so.2\n');
    const needs = new Map<string, string | null>([
      ['libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6'],
      ['linux-vdso.so.1', null],
      ['ld-linux-x86-64.so.2', '/lib64/ld-linux-x86-64.so.2'],
      ['libssl.so.3', '/opt/lib/libssl.so.3'],
      ['libR.so', '/opt/R/lib/R/lib/libR.so'],
      ['libgfortran.so.5', '/lib/x86_64-linux-gnu/libgfortran.so.5'],
      ['libquadmath.so.0', '/usr/lib/x86_64-linux-gnu/libquadmath.so.0'],
      ['libmissing.so.1', null],
      ['liboptish.so', '/optional/lib/liboptish.so'], // /opt is a prefix of the string, not of the path
      ['libdots.so', '/opt/..odd/libdots.so'], // a name starting with '..' is still inside
      ['libup.so', '/opt/../usr/lib/libup.so'], // but '..' itself leaves
    ]);
    expect(planCopies(needs, '/opt', allow)).toEqual({
      copy: [
        { soname: 'libgfortran.so.5', from: '/lib/x86_64-linux-gnu/libgfortran.so.5' },
        { soname: 'liboptish.so', from: '/optional/lib/liboptish.so' },
        { soname: 'libquadmath.so.0', from: '/usr/lib/x86_64-linux-gnu/libquadmath.so.0' },
        { soname: 'libup.so', from: '/opt/../usr/lib/libup.so' },
      ],
      missing: ['libmissing.so.1'],
    });
  });
});

describe('addMissingLibraries on real ELF files', () => {
  let work: string;
  let prefix: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'closure-test-'));
    prefix = path.join(work, 'opt');
    await mkdir(path.join(prefix, 'lib'), { recursive: true });
    await mkdir(path.join(prefix, 'R/lib/R/lib'), { recursive: true });
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const compile = async (
    compiler: string,
    name: string,
    source: string,
    out: string,
    extra: string[] = [],
  ): Promise<void> => {
    const src = path.join(work, name);
    await writeFile(src, source);
    execFileSync(compiler, ['-shared', '-fPIC', '-o', out, src, ...extra]);
  };

  test('copies libstdc++, libgfortran and what they need (libquadmath, libgcc_s), never glibc', async () => {
    // A C++ library in R's lib folder, a Fortran one beside it, and a prefix library both use.
    await compile('gcc', 'own.c', 'int own(void) { return 1; }\n', path.join(prefix, 'lib/libown.so'));
    await compile(
      'g++',
      'cxx.cpp',
      '#include <string>\nextern "C" int own(void);\nextern "C" int cxx(const char* s) { return std::string(s).size() + own(); }\n',
      path.join(prefix, 'R/lib/R/lib/libcxx.so'),
      ['-L', path.join(prefix, 'lib'), '-lown'],
    );
    await compile(
      'gfortran',
      'f.f90',
      'subroutine hello()\n  print *, "hello"\nend subroutine\n',
      path.join(prefix, 'R/lib/R/lib/libf.so'),
    );
    const log = memoryLogger();

    const { copied } = await addMissingLibraries(prefix, {
      ldLibraryPath: [path.join(prefix, 'lib'), path.join(prefix, 'R/lib/R/lib')],
      log,
    });

    const names = copied.map((c) => c.soname);
    expect(names).toEqual(
      expect.arrayContaining(['libstdc++.so.6', 'libgfortran.so.5', 'libquadmath.so.0', 'libgcc_s.so.1']),
    );
    for (const glibc of ['libc.so.6', 'libm.so.6', 'ld-linux-x86-64.so.2', 'linux-vdso.so.1'])
      expect(names).not.toContain(glibc);
    expect(names).not.toContain('libown.so'); // already in the prefix

    const libDir = await readdir(path.join(prefix, 'lib'));
    expect(libDir).toEqual(
      expect.arrayContaining(['libown.so', 'libstdc++.so.6', 'libgfortran.so.5', 'libquadmath.so.0']),
    );
    expect(libDir).not.toContain('libc.so.6');
    // Real files (the host's libstdc++.so.6 is a symlink), with the bytes reported.
    const stdcxx = path.join(prefix, 'lib/libstdc++.so.6');
    expect((await lstat(stdcxx)).isSymbolicLink()).toBe(false);
    expect(copied.find((c) => c.soname === 'libstdc++.so.6')?.bytes).toBe((await lstat(stdcxx)).size);
    expect(log.lines.some((l) => l.includes('copied libstdc++.so.6'))).toBe(true);

    // Now ldd resolves everything from the prefix; a second run copies nothing.
    const out = execFileSync('ldd', [path.join(prefix, 'R/lib/R/lib/libf.so')], {
      encoding: 'utf8',
      env: { ...process.env, LD_LIBRARY_PATH: path.join(prefix, 'lib') },
    });
    expect(out).toContain(`${path.join(prefix, 'lib/libquadmath.so.0')}`);
    expect(
      (await addMissingLibraries(prefix, { ldLibraryPath: [path.join(prefix, 'lib')], log })).copied,
    ).toEqual([]);
  }, 60_000);

  test('a library found nowhere is a UserError naming the soname and the file that needs it', async () => {
    const elsewhere = path.join(work, 'elsewhere');
    await mkdir(elsewhere);
    await compile('gcc', 'gone.c', 'int gone(void) { return 2; }\n', path.join(elsewhere, 'libgone.so'));
    const needer = path.join(prefix, 'lib/libneeder.so');
    await compile(
      'gcc',
      'needer.c',
      'extern int gone(void);\nint needer(void) { return gone(); }\n',
      needer,
      ['-L', elsewhere, '-lgone'],
    );
    await rm(elsewhere, { recursive: true });

    const run = addMissingLibraries(prefix, {
      ldLibraryPath: [path.join(prefix, 'lib')],
      log: memoryLogger(),
    });
    await expect(run).rejects.toBeInstanceOf(UserError);
    await expect(run).rejects.toThrow(/libgone\.so \(needed by .*libneeder\.so\)/);
  }, 30_000);
});
