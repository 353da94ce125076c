/**
 * The host's package manager, behind one small interface: what is installed (and at which version), why a package
 * cannot be installed, and installing a set. apt-get on Debian and Ubuntu, dnf on Amazon Linux; tests use the real
 * apt on this Debian host.
 */
import { run, type RunResult } from '../../util/exec.js';
import { installCommand, type PackageManager } from '../stages/toolchain.js';

export interface InstalledOsPackage {
  name: string;
  version: string;
  arch: string;
  type: 'deb' | 'rpm';
}

export interface SystemPackageManager {
  readonly name: PackageManager;
  /** The installed package, or undefined when it is not installed. */
  installed(name: string): Promise<InstalledOsPackage | undefined>;
  /** Why the package cannot be installed (not in the distribution, no candidate), or undefined when it can. */
  unavailable(name: string): Promise<string | undefined>;
  install(names: readonly string[], logFile: string): Promise<RunResult>;
  /** The command a person would run, for messages. */
  command(names: readonly string[]): string;
}

/** Install with the same command the toolchain uses. */
function install(manager: PackageManager, names: readonly string[], logFile: string): Promise<RunResult> {
  const [command = manager, ...args] = installCommand(manager, process.getuid?.() === 0, names);
  return run(command, args, { logFile });
}

/** Pure: the `E:` lines of apt's answer, or its last line. */
export function aptReason(output: string): string {
  const errors = output
    .split('\n')
    .filter((l) => l.startsWith('E: '))
    .map((l) => l.slice(3).trim());
  return errors.join('; ') || output.trim().split('\n').pop() || 'apt-get could not plan its install';
}

/**
 * Pure: the installed package that provides a virtual name (`Provides:`), from lines of
 * `dpkg-query -W -f '${Package}\t${Version}\t${Architecture}\t${Status}\t${Provides}\n'`.
 */
export function debProvider(name: string, listing: string): InstalledOsPackage | undefined {
  for (const line of listing.split('\n')) {
    const [pkg = '', version = '', arch = '', status = '', provides = ''] = line.split('\t');
    const names = provides.split(',').map((p) => p.trim().split(/[\s(]/)[0]);
    if (status.endsWith(' installed') && names.includes(name))
      return { name: pkg, version, arch, type: 'deb' };
  }
  return undefined;
}

export const apt: SystemPackageManager = {
  name: 'apt-get',
  async installed(name) {
    const r = await run('dpkg-query', ['-W', '-f', '${Status}\t${Version}\t${Architecture}', name]);
    const [status = '', version = '', arch = ''] = r.stdout.split('\t');
    if (r.code === 0 && status.endsWith(' installed')) return { name, version, arch, type: 'deb' };
    // A virtual package (a rule may name one): recorded as the real package that provides it.
    const all = await run('dpkg-query', [
      '-W',
      '-f',
      '${Package}\t${Version}\t${Architecture}\t${Status}\t${Provides}\n',
    ]);
    return debProvider(name, all.stdout);
  },
  async unavailable(name) {
    // A dry run answers both "no such package" and "no installation candidate", in apt's own words.
    const r = await run('apt-get', ['install', '-s', '-qq', '--no-install-recommends', name], {
      env: { ...process.env, LC_ALL: 'C' },
    });
    return r.code === 0 ? undefined : aptReason(`${r.stdout}\n${r.stderr}`);
  },
  install: (names, logFile) => install('apt-get', names, logFile),
  command: (names) => `apt-get install --no-install-recommends ${names.join(' ')}`,
};

export const dnf: SystemPackageManager = {
  name: 'dnf',
  async installed(name) {
    const r = await run('rpm', ['-q', '--qf', '%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\n', name]);
    const [version = '', arch = ''] = (r.stdout.split('\n')[0] ?? '').split('\t');
    return r.code === 0 && version
      ? { name, version: version.replace(/^0:/, ''), arch, type: 'rpm' }
      : undefined;
  },
  async unavailable(name) {
    const r = await run('dnf', ['-q', 'list', '--available', name]);
    return r.code === 0 ? undefined : `no package ${name} in this host's enabled dnf repositories`;
  },
  install: (names, logFile) => install('dnf', names, logFile),
  command: (names) => `dnf install -y ${names.join(' ')}`,
};

export function systemPackageManager(name: PackageManager): SystemPackageManager {
  return name === 'dnf' ? dnf : apt;
}
