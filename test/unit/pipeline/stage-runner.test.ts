import {
  buildEnv,
  diagnoseMissingLibrary,
  parsePackageResults,
} from '../../../src/pipeline/stages/stage-runner.js';
import { loadRecipe } from '../../../src/pipeline/plan/recipe.js';

describe('R package failures', () => {
  it('reads the result file of install-packages.R', () => {
    const text =
      'installed\txml2\t1.3.3\nsource\txml2\t1.3.3\tfile:///r/src/contrib/xml2_1.3.3.tar.gz\t/r/src/contrib/xml2_1.3.3.tar.gz\n' +
      'unknown\tnotapkg\nfailed\tcurl\tinstallation had a non-zero exit status\n' +
      'unavailable\tR6\t0.1\tfile:///r/src/contrib/R6_0.1.tar.gz file:///r/src/contrib/Archive/R6/R6_0.1.tar.gz\n';
    expect(parsePackageResults(text)).toEqual([
      { status: 'installed', name: 'xml2', fields: ['1.3.3'] },
      {
        status: 'source',
        name: 'xml2',
        fields: ['1.3.3', 'file:///r/src/contrib/xml2_1.3.3.tar.gz', '/r/src/contrib/xml2_1.3.3.tar.gz'],
      },
      { status: 'unknown', name: 'notapkg', fields: [] },
      { status: 'failed', name: 'curl', fields: ['installation had a non-zero exit status'] },
      {
        status: 'unavailable',
        name: 'R6',
        fields: ['0.1', 'file:///r/src/contrib/R6_0.1.tar.gz file:///r/src/contrib/Archive/R6/R6_0.1.tar.gz'],
      },
    ]);
  });

  it('names the missing system library from an anticonf message (as xml2, curl, openssl print it)', () => {
    const log = [
      '------------------------- ANTICONF ERROR ---------------------------',
      'Configuration failed because libxml-2.0 was not found. Try installing:',
      ' * deb: libxml2-dev (Debian, Ubuntu, etc)',
      ' * rpm: libxml2-devel (Fedora, CentOS, RHEL)',
      "If libxml-2.0 is already installed, check that 'pkg-config' is in your",
    ].join('\n');
    expect(diagnoseMissingLibrary(log)).toBe(
      'the system library libxml-2.0 was not found (deb: libxml2-dev (Debian, Ubuntu, etc); rpm: libxml2-devel (Fedora, CentOS, RHEL))',
    );
  });

  it.each([
    [
      "Package 'libsodium', required by 'virtual:world', not found",
      /the system library libsodium was not found by pkg-config/,
    ],
    ['src/init.c:3:10: fatal error: sodium.h: No such file or directory', /the header sodium\.h is missing/],
    [
      '/usr/bin/ld: cannot find -lgit2: No such file or directory',
      /the library libgit2 is missing at link time/,
    ],
    [
      "unable to load shared object '/x/y.so':\n  libgdal.so.32: cannot open shared object file: No such file or directory",
      /the shared library libgdal\.so\.32 is missing at load time/,
    ],
  ])('diagnoses %j', (log, expected) => {
    expect(diagnoseMissingLibrary(log)).toMatch(expected);
  });

  it('does not blame a missing R header on a system library (R 4.6 removed R_ext/PrtUtil.h)', () => {
    const log = 'xml.c:12:10: fatal error: R_ext/PrtUtil.h: No such file or directory';
    expect(diagnoseMissingLibrary(log)).toMatch(
      /^R's header R_ext\/PrtUtil\.h is missing: the package does not compile against this R's headers/,
    );
    expect(diagnoseMissingLibrary(log)).not.toMatch(/development package/);
  });

  it('says nothing when the log shows no missing library', () => {
    expect(diagnoseMissingLibrary('Error in f(): object x not found\nExecution halted')).toBeUndefined();
  });
});

describe('build environment', () => {
  it('puts the prefix first for headers, libraries, pkg-config and tools, with a RUNPATH', () => {
    const env = buildEnv('/opt', loadRecipe().environment, {
      PATH: '/usr/bin',
      CPPFLAGS: '-DX',
      LDFLAGS: '',
      R_LIBS_USER: '/home/me/R',
    });
    expect(env.PATH).toBe('/opt/bin:/usr/bin');
    expect(env.CPPFLAGS).toBe('-I/opt/include -DX');
    expect(env.LDFLAGS).toBe('-L/opt/lib -Wl,-rpath,/opt/lib -Wl,--enable-new-dtags');
    expect(env.PKG_CONFIG_PATH).toBe('/opt/lib/pkgconfig');
    expect(env.R_LIBS_USER).toBe('');
  });

  it('drops the separator an unset variable leaves', () => {
    const env = buildEnv(
      '/opt',
      { PKG_CONFIG_PATH: '{prefix}/lib/pkgconfig:$PKG_CONFIG_PATH', CFLAGS: '-O2 $CFLAGS' },
      { PATH: '/bin' },
    );
    expect(env.PKG_CONFIG_PATH).toBe('/opt/lib/pkgconfig');
    expect(env.CFLAGS).toBe('-O2');
  });
});
