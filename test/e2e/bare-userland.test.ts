/**
 * The layers as users run them, in a bare userland: the three zips unpacked into the /opt of a minimal root file
 * system (scripts/make-rootfs.sh: glibc and little else, like Lambda's provided.al2023), the runtime started there
 * with chroot behind the project's Lambda emulator on 127.0.0.1. Handlers use jsonlite, xml2, the curl package and
 * base R's libcurl, and fetch https from a loopback TLS server whose CA is known only to what the test hands in:
 * SSL_CERT_FILE, SSL_CERT_DIR, or Amazon Linux's bundle path. No library of the build host can stand in for one the
 * layers lack, and no CA bundle of the host can make https pass.
 */
import { jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { localMirror, mirrorBuildArgs, runCli } from '../support/mirror.js';
import { bareRoot, testCertificates, unresolvedLibraries, type BareRoot } from '../support/bare-root.js';
import { parsed, startFunction } from './runtime-harness.js';

jest.setTimeout(10 * 60_000);

const mirror = localMirror();

const HANDLER = `# checks.R: one check per event, each using a part of the layers.
helper <- function(x) {
  if (x > 1) stop("too big: ", x)
  x
}
handler <- function(event, context) {
  switch(event$check,
    fail = helper(event$n),
    echo = event$payload,
    frame = data.frame(x = c(0.1 + 0.2, 1e-7), y = c(1 / 3, 2^60), f = factor(c("a", NA)), d = as.Date(c("2024-01-02", NA))),
    codec = list(loaded = isNamespaceLoaded("lambdaruntime"), path = if (isNamespaceLoaded("lambdaruntime")) getNamespaceInfo("lambdaruntime", "path") else ""),
    env = list(
      locale = Sys.getlocale("LC_CTYPE"),
      r = paste(R.version$major, R.version$minor, sep = "."),
      libpaths = .libPaths(),
      ssl_cert_file = Sys.getenv("SSL_CERT_FILE"),
      curl_ca_bundle = Sys.getenv("CURL_CA_BUNDLE")
    ),
    jsonlite = list(
      json = as.character(jsonlite::toJSON(list(a = 1:3, b = "x"), auto_unbox = TRUE)),
      parsed = jsonlite::fromJSON('{"n": [1, 2.5]}')$n
    ),
    xml2 = {
      doc <- xml2::read_xml("<r><item id='1'>one</item><item id='2'>zwei</item></r>")
      list(items = xml2::xml_text(xml2::xml_find_all(doc, "//item")), libxml2 = as.character(xml2:::libxml2_version()))
    },
    curl = {
      r <- curl::curl_fetch_memory(event$url)
      v <- curl::curl_version()
      list(status = r$status_code, body = rawToChar(r$content), libcurl = v$version, ssl = v$ssl_version)
    },
    base = {
      f <- tempfile()
      status <- download.file(event$url, f, method = "libcurl", quiet = TRUE)
      list(status = status, body = readLines(f, warn = FALSE), libcurl = as.character(libcurlVersion()))
    },
    stop("unknown check: ", event$check)
  )
}
`;

let out: string;
let url: string;
let server: https.Server;
let certs: Awaited<ReturnType<typeof testCertificates>>;
const roots: BareRoot[] = [];

beforeAll(async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'rll-bare-out-'));
  out = path.join(base, 'out');
  // The same inputs as npm test's warm-up build: every stage is a cache hit here.
  const build = await runCli([
    'build',
    ...mirrorBuildArgs(mirror),
    '--packages',
    'xml2,curl',
    '--no-toolchain',
    '--out',
    out,
  ]);
  if (build.code !== 0) throw new Error(`build failed:\n${build.stderr.slice(-5000)}`);
  certs = await testCertificates();
  server = https.createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`hello over tls ${req.url ?? ''}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/from-r`;
}, 30 * 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  for (const root of roots) await root.remove();
});

async function newRoot(): Promise<BareRoot> {
  const root = await bareRoot(out, { 'checks.R': HANDLER });
  roots.push(root);
  await root.put('/etc/test-ca/ca.pem', certs.caPem);
  await root.put(`/etc/test-ca/dir/${certs.caHash}.0`, certs.caPem);
  return root;
}

/** Start the runtime inside `root` (chroot) behind the emulator; run `fn` with it; stop it. */
async function withFunction(
  root: BareRoot,
  env: Record<string, string>,
  fn: (
    invoke: (event: unknown) => Promise<{ kind: string; body: unknown }>,
    log: () => string,
  ) => Promise<void>,
): Promise<void> {
  const f = await startFunction(path.join(root.dir, 'var/task'), 'checks.handler', {
    bootstrap: root.bootstrap,
    rscript: undefined,
    timeoutMs: 30_000,
    extraEnv: env,
  });
  try {
    await fn(async (event) => {
      const outcome = await f.invoke(event);
      return { kind: outcome.kind, body: parsed(outcome) };
    }, f.log);
  } finally {
    await f.close();
  }
}

describe('the layers in a bare userland (chroot into a minimal root)', () => {
  it('the root lacks what the layers bring: no libcurl, libxml2, libgfortran, openssl, krb5 or CA bundle', async () => {
    const root = await newRoot();
    const found: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory() && full !== path.join(root.dir, 'opt')) await walk(full);
        else if (/^lib(curl|xml2|gfortran|quadmath|ssl|crypto|krb5|gssapi_krb5|tirpc)\.so/.test(entry.name))
          found.push(full);
      }
    };
    for (const dir of ['usr', 'lib', 'etc'])
      if (existsSync(path.join(root.dir, dir))) await walk(path.join(root.dir, dir));
    expect(found).toEqual([]);
    for (const bundle of ['/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/certs/ca-certificates.crt']) {
      expect({ bundle, present: existsSync(path.join(root.dir, bundle)) }).toEqual({
        bundle,
        present: false,
      });
    }
  });

  it('every ELF file in the layers resolves all its libraries inside the root, under the runtime library path', async () => {
    const root = await newRoot();
    const { files, missing } = await unresolvedLibraries(root.dir);
    expect(files).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it('the same check finds a library taken out of the layers (so it can fail)', async () => {
    const root = await newRoot();
    await rm(path.join(root.dir, 'opt/lib/libgfortran.so.5'));
    const { missing } = await unresolvedLibraries(root.dir);
    expect(missing).toContain('/opt/R/lib/R/library/stats/libs/stats.so: libgfortran.so.5');
  });

  it('runs R from /opt with jsonlite and xml2, in C.UTF-8 when Lambda asks for a locale the root lacks', async () => {
    const root = await newRoot();
    await withFunction(root, { SSL_CERT_FILE: '/etc/test-ca/ca.pem' }, async (invoke, log) => {
      const env = await invoke({ check: 'env' });
      expect(env).toMatchObject({
        kind: 'success',
        body: {
          locale: 'C.UTF-8',
          r: mirror.rVersion,
          libpaths: expect.arrayContaining(['/opt/local/lib/R/site-library']),
        },
      });
      expect(await invoke({ check: 'jsonlite' })).toEqual({
        kind: 'success',
        body: { json: '{"a":[1,2,3],"b":"x"}', parsed: [1, 2.5] },
      });
      expect(await invoke({ check: 'xml2' })).toEqual({
        kind: 'success',
        body: { items: ['one', 'zwei'], libxml2: mirror.versions.libxml2 },
      });
      expect(log()).not.toMatch(/Setting LC_|cannot change locale/);
    });
  });

  it('https with a private CA given only in SSL_CERT_FILE: the curl package and base R', async () => {
    const root = await newRoot();
    await withFunction(root, { SSL_CERT_FILE: '/etc/test-ca/ca.pem' }, async (invoke) => {
      expect(await invoke({ check: 'curl', url })).toEqual({
        kind: 'success',
        body: {
          status: 200,
          body: 'hello over tls /from-r',
          libcurl: mirror.versions.curl,
          ssl: `OpenSSL/${mirror.versions.openssl}`,
        },
      });
      expect(await invoke({ check: 'base', url })).toEqual({
        kind: 'success',
        body: { status: 0, body: 'hello over tls /from-r', libcurl: mirror.versions.curl },
      });
    });
  });

  it('https with a private CA given only in SSL_CERT_DIR', async () => {
    const root = await newRoot();
    await withFunction(root, { SSL_CERT_DIR: '/etc/test-ca/dir' }, async (invoke) => {
      expect(await invoke({ check: 'curl', url })).toMatchObject({ kind: 'success', body: { status: 200 } });
      expect(await invoke({ check: 'base', url })).toMatchObject({ kind: 'success', body: { status: 0 } });
    });
  });

  it("https trusts Amazon Linux's bundle (/etc/pki/tls/certs/ca-bundle.crt) by default", async () => {
    const root = await newRoot();
    await root.put('/etc/pki/tls/certs/ca-bundle.crt', certs.caPem);
    await withFunction(root, {}, async (invoke) => {
      expect(await invoke({ check: 'env' })).toMatchObject({
        body: { ssl_cert_file: '/etc/pki/tls/certs/ca-bundle.crt' },
      });
      expect(await invoke({ check: 'curl', url })).toMatchObject({ kind: 'success', body: { status: 200 } });
      expect(await invoke({ check: 'base', url })).toMatchObject({ kind: 'success', body: { status: 0 } });
    });
  });

  it("with the built R, a stack trace starts at the handler's code and an event echoes losslessly", async () => {
    const root = await newRoot();
    // The line of the handler's source that holds `text`, as the stack trace numbers it.
    const line = (text: string): number => HANDLER.split('\n').findIndex((l) => l.includes(text)) + 1;
    await withFunction(root, {}, async (invoke) => {
      expect(await invoke({ check: 'fail', n: 5 })).toEqual({
        kind: 'function-error',
        body: {
          errorMessage: 'too big: 5',
          errorType: 'simpleError',
          stackTrace: [
            `checks.R:${line('stop("too big')} stop("too big: ", x)`,
            `checks.R:${line('switch(event$check')} helper(event$n)`, // the statement's line: the switch()
            'handler(event, context)',
          ],
        },
      });
      const payload = {
        a: [1, 2.5, 'x', true, null, {}, [], ['one']],
        b: { '': [[1]] },
        c: 0.1 + 0.2,
        d: 'h\u00e9\n',
      };
      expect(await invoke({ check: 'echo', payload })).toEqual({ kind: 'success', body: payload });
    });
  });

  it("the runtime runs from the r layer's R library (lambdaruntime) and writes JSON losslessly, data frames too", async () => {
    const root = await newRoot();
    // About 1.5 MB of records, an SQS-like batch: over the runtime's separate-write size for the response too.
    const records = Array.from({ length: 15_000 }, (_, i) => ({
      id: i,
      body: `message ${i} \u00e9 "quoted"`,
      price: i / 7,
      tags: [i % 3 === 0, null, 'x'],
    }));
    await withFunction(root, {}, async (invoke) => {
      expect(await invoke({ check: 'codec' })).toEqual({
        kind: 'success',
        body: { loaded: true, path: '/opt/R/lib/R/library/lambdaruntime' },
      });
      const echo = await invoke({ check: 'echo', payload: { records } });
      expect(echo).toEqual({ kind: 'success', body: { records } });
      // The example: jsonlite's 15 digits would give 0.3 and 0.333333333333333.
      expect(await invoke({ check: 'frame' })).toEqual({
        kind: 'success',
        body: [
          { x: 0.1 + 0.2, y: 1 / 3, f: 'a', d: '2024-01-02' },
          { x: 1e-7, y: 2 ** 60, f: null, d: null },
        ],
      });
    });
  });

  it('without the runtime package, or with an r layer of another build, init fails naming the layer to rebuild', async () => {
    const noCodec = await newRoot();
    await rm(path.join(noCodec.dir, 'opt/R/lib/R/library/lambdaruntime'), { recursive: true });
    await withFunction(noCodec, {}, async (invoke) => {
      const outcome = await invoke({ check: 'echo', payload: 1 });
      expect(outcome.kind).toBe('init-error');
      expect(JSON.stringify(outcome.body)).toMatch(
        /the R package lambdaruntime\) cannot load.*rebuild the r layer/,
      );
    });
    const otherBuild = await newRoot();
    await otherBuild.put('/opt/R/BUILD-ID', 'from-another-build\n');
    await withFunction(otherBuild, {}, async (invoke) => {
      const outcome = await invoke({ check: 'echo', payload: 1 });
      expect(outcome.kind).toBe('init-error');
      expect(JSON.stringify(outcome.body)).toMatch(
        /The r layer \(R and the runtime, build from-another-build\) and the subsystem layer \(bootstrap and libraries, build [0-9a-f]{64}\) come from different builds/,
      );
    });
  });

  it('with no CA that knows the server, https fails as a certificate error: verification is never off', async () => {
    const root = await newRoot();
    await withFunction(root, {}, async (invoke) => {
      const curl = await invoke({ check: 'curl', url });
      expect(curl.kind).toBe('function-error');
      expect(JSON.stringify(curl.body)).toMatch(/certificate.*unable to get local issuer certificate/);
      const base = await invoke({ check: 'base', url });
      expect(base.kind).toBe('function-error');
      expect(JSON.stringify(base.body)).toMatch(/cannot open URL|SSL certificate problem/);
    });
  });
});
