/**
 * A bare userland for the layers: the minimal root file system of scripts/make-rootfs.sh (glibc, coreutils, a shell;
 * no libcurl, libxml2, libgfortran, CA certificates or locales beyond C.UTF-8), with the three zips unpacked into its
 * /opt and a function's code in /var/task, as Lambda's provided.al2023 lays them out. The runtime runs in it through
 * chroot, so every library must come from the layers: the build host's cannot stand in for a missing one.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../src/util/exec.js';
import { batches, findElfFiles } from '../../src/pipeline/tree/elf.js';
import { splitLddByFile } from '../../src/pipeline/tree/closure.js';
import { repoRoot } from './mirror.js';

/** The library path the runtime runs with inside: the bootstrap's (/opt/lib) and R's own (etc/ldpaths). */
export const RUNTIME_LIBRARY_PATH = '/opt/lib:/opt/R/lib/R/lib';

/** The cached minimal root (made once per machine by scripts/make-rootfs.sh, which this calls). */
export function minimalRoot(): string {
  return execFileSync('bash', [path.join(repoRoot, 'scripts', 'make-rootfs.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export interface BareRoot {
  /** The root folder on the host. */
  dir: string;
  /** A bootstrap on the host that runs /opt/bootstrap inside the root (for the emulator's `bootstrap`). */
  bootstrap: string;
  /** Write a file inside the root (`where` is its path there, e.g. /etc/pki/tls/certs/ca-bundle.crt). */
  put(where: string, text: string | Buffer): Promise<void>;
  remove(): Promise<void>;
}

/**
 * A private copy of the minimal root (hard links: instant, and nothing in the cached root is written to), with the
 * zips of `outDir` unpacked into /opt and `taskFiles` in /var/task.
 */
export async function bareRoot(outDir: string, taskFiles: Record<string, string>): Promise<BareRoot> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'rll-bare-'));
  const dir = path.join(base, 'root');
  execFileSync('cp', ['-al', minimalRoot(), dir]);
  await mkdir(path.join(dir, 'opt'), { recursive: true });
  for (const zip of ['r.zip', 'r_lib.zip', 'subsystem.zip']) {
    execFileSync('unzip', ['-q', '-o', path.join(outDir, zip), '-d', path.join(dir, 'opt')]);
  }
  const put = async (where: string, text: string | Buffer): Promise<void> => {
    const file = path.join(dir, where);
    await mkdir(path.dirname(file), { recursive: true });
    // A new file (never one of the hard-linked originals): remove first, then write.
    await rm(file, { force: true });
    await writeFile(file, text);
  };
  for (const [name, text] of Object.entries(taskFiles)) await put(path.join('/var/task', name), text);
  // The emulator runs `bootstrap` on the host; this one enters the root with Lambda's paths (the emulator's own
  // values for them are host paths) and runs the layers' bootstrap from /opt, in /var/task as Lambda does.
  const chroot = execFileSync('sh', ['-c', 'command -v chroot || echo /usr/sbin/chroot'], {
    encoding: 'utf8',
  }).trim();
  const bootstrap = path.join(base, 'host', 'bootstrap');
  await mkdir(path.dirname(bootstrap), { recursive: true });
  await writeFile(
    bootstrap,
    [
      '#!/bin/sh',
      `exec ${chroot} '${dir}' /usr/bin/env LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/opt \\`,
      '  PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin LD_LIBRARY_PATH=/var/task:/var/task/lib:/opt/lib \\',
      "  /bin/sh -c 'cd /var/task && exec /opt/bootstrap'",
      '',
    ].join('\n'),
  );
  await chmod(bootstrap, 0o755);
  return { dir, bootstrap, put, remove: () => rm(base, { recursive: true, force: true }) };
}

/**
 * Every ELF file under the root's /opt, each with the libraries ldd inside the root cannot find under
 * RUNTIME_LIBRARY_PATH. Returns the number of files checked and the failures (`file: soname`, paths as inside).
 */
export async function unresolvedLibraries(root: string): Promise<{ files: number; missing: string[] }> {
  const inside = (file: string): string => `/${path.relative(root, file)}`;
  const files = (await findElfFiles(path.join(root, 'opt'))).map(inside);
  const missing: string[] = [];
  for (const batch of batches(files, 100)) {
    const { stdout, stderr } = await run('chroot', [
      root,
      '/usr/bin/env',
      `LD_LIBRARY_PATH=${RUNTIME_LIBRARY_PATH}`,
      '/usr/bin/ldd',
      ...batch,
    ]);
    const parts = splitLddByFile(stdout, batch);
    for (const file of batch) {
      const text = parts.get(file);
      if (text === undefined) {
        missing.push(`${file}: no ldd output (${stderr.trim().split('\n').slice(-1)[0] ?? ''})`);
        continue;
      }
      // ldd's own words for a library it cannot find in that root (the vDSO, which has no file, is not one).
      for (const match of text.matchAll(/^\s+(\S+)\s+=>\s+not found/gm)) missing.push(`${file}: ${match[1]}`);
    }
  }
  return { files: files.length, missing };
}

/** A CA and a server certificate for 127.0.0.1 signed by it (openssl's command line), in a fresh folder. */
export async function testCertificates(): Promise<{
  caPem: string;
  key: string;
  cert: string;
  caHash: string;
}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rll-ca-'));
  const openssl = (...args: string[]): string =>
    execFileSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  try {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=r-lambda-layer test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    );
    await writeFile(
      path.join(dir, 'ext.cnf'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
      '-out',
      'server.pem',
    );
    const read = (name: string): Promise<string> => readFile(path.join(dir, name), 'utf8');
    return {
      caPem: await read('ca.pem'),
      key: await read('server.key'),
      cert: await read('server.pem'),
      // OpenSSL finds a CA in a folder (SSL_CERT_DIR) by this hash: the file must be named HASH.0.
      caHash: openssl('x509', '-hash', '-noout', '-in', 'ca.pem').trim(),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
