/**
 * layer/bootstrap as Lambda runs it: shellcheck-clean, executable, relocatable (a copy of layer/
 * anywhere works), the environment it sets, the layer's own R (RHOME) and a clear failure without R.
 */
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BOOTSTRAP,
  REPO_ROOT,
  RSCRIPT,
  describeWithR,
  expectSuccess,
  startFunction,
  writeTaskRoot,
} from './runtime-harness.js';
import { localRuntimeLibrary } from '../../src/runtime/local-runtime.js';

jest.setTimeout(120_000);

const ENV_HANDLER = `handler <- function(event, context) {
  as.list(Sys.getenv(c("LD_LIBRARY_PATH", "R_LIBS_USER", "SSL_CERT_FILE", "CURL_CA_BUNDLE", "RHOME", "R_LAMBDA_RSCRIPT")))
}
`;

/** A copy of layer/ in a folder whose path has a space, far from the repository. */
function copyLayer(): string {
  const root = path.join(mkdtempSync(path.join(tmpdir(), 'r-lambda-opt-')), 'unpacked layer');
  cpSync(path.join(REPO_ROOT, 'layer'), root, { recursive: true });
  return root;
}

describe('layer/bootstrap', () => {
  test('is executable and shellcheck-clean', () => {
    expect(statSync(BOOTSTRAP).mode & 0o777).toBe(0o755);
    const check = spawnSync('shellcheck', [BOOTSTRAP], { encoding: 'utf8' });
    if (check.error)
      throw new Error(
        `shellcheck is needed for this test (apt-get install shellcheck): ${check.error.message}`,
      );
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  test('without R, says which Rscript is missing and what to do', () => {
    const layer = copyLayer();
    const run = spawnSync(path.join(layer, 'bootstrap'), [], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(run.status).toBe(127);
    expect(run.stderr).toContain(`no executable Rscript at ${path.join(layer, 'R', 'bin', 'Rscript')}`);
    expect(run.stderr).toContain('R_LAMBDA_RSCRIPT');
    const wrong = spawnSync(path.join(layer, 'bootstrap'), [], {
      encoding: 'utf8',
      env: { R_LAMBDA_RSCRIPT: '/nope/Rscript' },
    });
    expect(wrong.status).toBe(127);
    expect(wrong.stderr).toContain('no executable Rscript at /nope/Rscript (R_LAMBDA_RSCRIPT points at it)');
  });
});

describeWithR('layer/bootstrap with R', () => {
  test('runs from a copy anywhere and sets the library paths and certificates', async () => {
    const layer = copyLayer();
    const fn = await startFunction(writeTaskRoot({ 'env.R': ENV_HANDLER }), 'env.handler', {
      bootstrap: path.join(layer, 'bootstrap'),
    });
    try {
      const env = expectSuccess(await fn.invoke({}), fn) as Record<string, string>;
      // The layer's lib/ comes before the value Lambda set, which is kept (R adds its own lib/ in front).
      expect(env.LD_LIBRARY_PATH).toContain(
        `${path.join(layer, 'lib')}:${fn.config.taskRoot}:${fn.config.taskRoot}/lib`,
      );
      expect(env.R_LIBS_USER).toBe(path.join(layer, 'local', 'lib', 'R', 'site-library'));
      expect(env.SSL_CERT_FILE).toMatch(
        /^\/etc\/(pki\/tls\/certs\/ca-bundle\.crt|ssl\/certs\/ca-certificates\.crt)$/,
      );
      // Left unset: set, it would win over SSL_CERT_FILE and SSL_CERT_DIR in base R and the curl package.
      expect(env.CURL_CA_BUNDLE).toBe('');
      expect(env.R_LAMBDA_RSCRIPT).toBe(RSCRIPT);
      expect(env.RHOME).toBe('');
    } finally {
      await fn.close();
    }
  });

  test('keeps R_LIBS_USER and SSL_CERT_FILE the function sets', async () => {
    const fn = await startFunction(writeTaskRoot({ 'env.R': ENV_HANDLER }), 'env.handler', {
      extraEnv: { R_LIBS_USER: '/var/task/R/library', SSL_CERT_FILE: '/var/task/certs.pem' },
    });
    try {
      expect(expectSuccess(await fn.invoke({}), fn)).toMatchObject({
        R_LIBS_USER: '/var/task/R/library',
        SSL_CERT_FILE: '/var/task/certs.pem',
      });
    } finally {
      await fn.close();
    }
  });

  test("uses the layer tree's own R through RHOME when R_LAMBDA_RSCRIPT is unset", async () => {
    // A layer tree whose R is Debian's, linked in where the r layer puts it.
    const layer = copyLayer();
    mkdirSync(path.join(layer, 'R', 'bin'), { recursive: true });
    mkdirSync(path.join(layer, 'R', 'lib'), { recursive: true });
    symlinkSync(RSCRIPT, path.join(layer, 'R', 'bin', 'Rscript'));
    symlinkSync('/usr/lib/R', path.join(layer, 'R', 'lib', 'R'));
    // Debian's R library lacks the runtime package, which the r layer's has: it comes through R_LIBS here.
    const fn = await startFunction(writeTaskRoot({ 'env.R': ENV_HANDLER }), 'env.handler', {
      bootstrap: path.join(layer, 'bootstrap'),
      rscript: undefined,
      runtimeLibrary: await localRuntimeLibrary(RSCRIPT),
    });
    try {
      const env = expectSuccess(await fn.invoke({}), fn) as Record<string, string>;
      expect(env.RHOME).toBe(path.join(layer, 'R', 'lib', 'R'));
      expect(env.R_LAMBDA_RSCRIPT).toBe('');
    } finally {
      await fn.close();
    }
  });

  test("Lambda's LANG=en_US.UTF-8, absent from minimal images, falls back to C.UTF-8 without warnings", async () => {
    // The emulator sets LANG=en_US.UTF-8 as Lambda does; this Debian (like provided.al2023) has only C.UTF-8.
    const root = writeTaskRoot({
      'loc.R':
        'handler <- function(event) list(ctype = Sys.getlocale("LC_CTYPE"), utf8 = l10n_info()[["UTF-8"]], s = event$s)\n',
    });
    const fn = await startFunction(root, 'loc.handler');
    try {
      const out = expectSuccess(await fn.invoke({ s: 'Zoë ✓' }), fn);
      const enInstalled = spawnSync('locale', ['-a'], { encoding: 'utf8' }).stdout.includes('en_US.utf8');
      expect(out).toEqual({ ctype: enInstalled ? 'en_US.UTF-8' : 'C.UTF-8', utf8: true, s: 'Zoë ✓' });
      expect(fn.log()).not.toMatch(/Setting LC_\w+ failed/);
    } finally {
      await fn.close();
    }
  });

  test("a function's .Rprofile cannot break the runtime", async () => {
    const root = writeTaskRoot({ 'ok.R': 'handler <- function(event) "fine"\n' });
    writeFileSync(path.join(root, '.Rprofile'), 'stop("an .Rprofile the runtime must not run")\n');
    const fn = await startFunction(root, 'ok.handler');
    try {
      expect(expectSuccess(await fn.invoke({}), fn)).toBe('fine');
    } finally {
      await fn.close();
    }
  });
});
