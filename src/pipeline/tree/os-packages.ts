/**
 * Which OS package owns a file on the build host: rpm on Amazon Linux, dpkg on Debian and Ubuntu. The SBOM names the
 * package (and its version) of every shared library copied from the host into the layers.
 */
import { realpath } from 'node:fs/promises';
import { run } from '../../util/exec.js';

export interface OwningPackage {
  type: 'deb' | 'rpm';
  name: string;
  version: string;
  arch: string;
}

/** Pure: `rpm -qf --qf '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\n'` output (first line). */
export function parseRpmOwner(stdout: string): OwningPackage | undefined {
  const [name, version, arch] = (stdout.split('\n')[0] ?? '').split('\t');
  if (!name || !version || !arch || /not owned|is not/.test(name)) return undefined;
  // Epoch 0 is the common case and not part of how the version is usually written.
  return { type: 'rpm', name, version: version.replace(/^0:/, ''), arch };
}

/** Pure: `dpkg-query -S FILE` output: `libgfortran5:amd64: /usr/lib/x86_64-linux-gnu/libgfortran.so.5`. */
export function parseDpkgSearch(stdout: string): string | undefined {
  const pkg = '[a-z0-9][a-z0-9.+-]*(:[a-z0-9-]+)?';
  const line = stdout.split('\n').find((l) => new RegExp(`^${pkg}(, ${pkg})*: /`).test(l));
  // "diversion by …" lines and multi-package answers: take the first package named.
  return line?.split(': ')[0]?.split(', ')[0];
}

/** Pure: `dpkg-query -W -f '${Package}\t${Version}\t${Architecture}'` output. */
export function parseDpkgShow(stdout: string): OwningPackage | undefined {
  const [name, version, arch] = stdout.trim().split('\t');
  if (!name || !version || !arch) return undefined;
  return { type: 'deb', name, version, arch };
}

/**
 * The package that owns `file`, trying the path ldd gave and then its real path (merged /usr and the soname's
 * symlinks mean the package database may list either). Undefined when no package manager claims it.
 */
export async function owningPackage(file: string): Promise<OwningPackage | undefined> {
  const candidates = [...new Set([file, await realpath(file).catch(() => file)])];
  for (const candidate of candidates) {
    const rpm = await run('rpm', [
      '-qf',
      '--qf',
      '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\n',
      candidate,
    ]).catch(() => undefined);
    const fromRpm = rpm?.code === 0 ? parseRpmOwner(rpm.stdout) : undefined;
    if (fromRpm) return fromRpm;
    const search = await run('dpkg-query', ['-S', candidate]).catch(() => undefined);
    const pkg = search?.code === 0 ? parseDpkgSearch(search.stdout) : undefined;
    if (!pkg) continue;
    const show = await run('dpkg-query', ['-W', '-f', '${Package}\t${Version}\t${Architecture}', pkg]).catch(
      () => undefined,
    );
    const fromDpkg = show?.code === 0 ? parseDpkgShow(show.stdout) : undefined;
    if (fromDpkg) return fromDpkg;
  }
  return undefined;
}
