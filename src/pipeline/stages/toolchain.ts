/** The build toolchain, as data per package manager, and the one command that installs it. */
import { UserError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { HostInfo } from '../../layers.js';
import { run } from '../../util/exec.js';

export const TOOLCHAIN = {
  // Amazon Linux 2023. `perl` (not perl-interpreter) brings the core modules OpenSSL's Configure uses;
  // tar and gzip are also what @actions/cache needs, and the bare amazonlinux:2023 image lacks them.
  dnf: [
    'gcc',
    'gcc-c++',
    'gcc-gfortran',
    'make',
    'perl',
    'perl-IPC-Cmd',
    'perl-Time-Piece',
    'tar',
    'gzip',
    'bzip2',
    'xz',
    'zip',
    'unzip',
    'findutils',
    'which',
    'file',
    'patch',
    'binutils',
    'diffutils',
    'glibc-devel',
    'pkgconf-pkg-config',
  ],
  'apt-get': [
    'build-essential',
    'gfortran',
    'perl',
    'tar',
    'gzip',
    'bzip2',
    'xz-utils',
    'zip',
    'unzip',
    'findutils',
    'debianutils',
    'file',
    'patch',
    'binutils',
    'pkg-config',
  ],
} as const;

export type PackageManager = keyof typeof TOOLCHAIN;

export function packageManagerFor(host: Pick<HostInfo, 'osId'>, idLike = ''): PackageManager | undefined {
  const ids = `${host.osId} ${idLike}`;
  if (/\b(amzn|fedora|rhel|centos|rocky|almalinux)\b/.test(ids)) return 'dnf';
  if (/\b(debian|ubuntu)\b/.test(ids)) return 'apt-get';
  return undefined;
}

/** Pure: the command that installs OS packages (the toolchain's, or the packages' system requirements). */
export function installCommand(
  manager: PackageManager,
  asRoot: boolean,
  packages: readonly string[],
): string[] {
  const sudo = asRoot ? [] : ['sudo'];
  if (manager === 'dnf')
    return [...sudo, 'dnf', 'install', '-y', '--setopt=install_weak_deps=False', ...packages];
  return [
    ...sudo,
    ...[
      'env',
      'DEBIAN_FRONTEND=noninteractive',
      'apt-get',
      'install',
      '-y',
      '-qq',
      '--no-install-recommends',
    ],
    ...packages,
  ];
}

/** Pure: the commands that install the toolchain. */
export function toolchainCommands(manager: PackageManager, asRoot: boolean): string[][] {
  const install = installCommand(manager, asRoot, TOOLCHAIN[manager]);
  if (manager === 'dnf') return [install];
  return [[...(asRoot ? [] : ['sudo']), 'apt-get', 'update', '-qq'], install];
}

export async function installToolchain(host: HostInfo, log: Logger, logFile: string): Promise<void> {
  const manager = packageManagerFor(host);
  if (!manager) {
    throw new UserError(
      `Cannot install the build toolchain on ${host.osId}: only dnf (Amazon Linux) and apt-get (Debian, Ubuntu) are known. ` +
        `Install ${TOOLCHAIN.dnf.join(' ')} (or equivalents) yourself and pass --no-toolchain.`,
    );
  }
  const asRoot = process.getuid?.() === 0;
  for (const [command = '', ...args] of toolchainCommands(manager, asRoot)) {
    log.info(`$ ${command} ${args.join(' ')}`);
    const result = await run(command, args, { logFile });
    if (result.code !== 0) {
      throw new UserError(
        `Installing the toolchain failed (${command} exited ${result.code}); see ${logFile}, or install it yourself and pass --no-toolchain.`,
      );
    }
  }
}
