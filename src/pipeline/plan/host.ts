import { readFileSync } from 'node:fs';
import { compareVersions } from '../tree/glibc.js';
import { LAMBDA_LIMITS, LAMBDA_RUNTIME, type Architecture, type HostInfo } from '../../layers.js';
import { UserError } from '../../errors.js';
import { runSync } from '../../util/exec.js';

/** Pure: the fields of /etc/os-release. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m && m[1]) fields[m[1]] = (m[2] ?? '').replace(/^["']|["']$/g, '');
  }
  return fields;
}

export function lambdaArchitecture(nodeArch: string = process.arch): Architecture {
  if (nodeArch === 'x64') return 'x86_64';
  if (nodeArch === 'arm64') return 'arm64';
  throw new UserError(
    `This machine's architecture (${nodeArch}) has no Lambda runtime; build on x86_64 or arm64.`,
  );
}

/** Pure: "ldd (Debian GLIBC 2.36-9+deb12u4) 2.36" → "2.36". */
export function parseGlibcVersion(lddVersionOutput: string): string {
  const m = /(\d+\.\d+)\s*$/m.exec(lddVersionOutput.split('\n')[0] ?? '');
  return m?.[1] ?? 'unknown';
}

export function detectHost(): HostInfo {
  let os: Record<string, string> = {};
  try {
    os = parseOsRelease(readFileSync('/etc/os-release', 'utf8'));
  } catch {
    // not Linux, or a very bare container: reported as unknown below
  }
  let glibc = 'unknown';
  try {
    glibc = parseGlibcVersion(runSync('ldd', ['--version']));
  } catch {
    // musl or no ldd: unknown
  }
  return {
    osId: os.ID ?? 'unknown',
    osVersion: os.VERSION_ID ?? 'unknown',
    arch: lambdaArchitecture(),
    glibc,
  };
}

/** How every message names a build host: `ubuntu 24.04 (glibc 2.39)`. */
export function describeHost(host: HostInfo): string {
  return `${host.osId} ${host.osVersion} (glibc ${host.glibc})`;
}

/** The log line the CLI and the action print first: `host: ubuntu 24.04, x86_64, glibc 2.39`. */
export function hostLine(host: HostInfo): string {
  return `host: ${host.osId} ${host.osVersion}, ${host.arch}, glibc ${host.glibc}`;
}

/** Lambda's provided.al2023 is Amazon Linux 2023: binaries built there load there. */
export function isLambdaHost(host: HostInfo): boolean {
  return host.osId === 'amzn' && host.osVersion === '2023';
}

/**
 * What this host can produce, said for this host: nothing on Amazon Linux 2023; a glibc newer than Lambda's means
 * layers that will not load there; an older or equal one means layers whose glibc is fine but whose copied system
 * libraries come from another distribution.
 */
export function hostWarning(host: HostInfo): string | undefined {
  if (isLambdaHost(host)) return undefined;
  const lambda = LAMBDA_LIMITS.glibc;
  const where = `This build host is ${describeHost(host)}, not Amazon Linux 2023.`;
  const container =
    "an amazonlinux:2023 container (the GitHub Action's job uses container: amazonlinux:2023)";
  if (host.glibc === 'unknown') {
    return (
      `${where} Its glibc version is unknown; the glibc scan after the build says whether the layers can load on ` +
      `Lambda (glibc ${lambda}). Build the layers you deploy in ${container}.`
    );
  }
  if (compareVersions(host.glibc, lambda) > 0) {
    return (
      `${where} Its glibc is newer than Lambda's ${lambda}: binaries built here need it and will not load on Lambda. ` +
      `Build the layers you deploy in ${container}.`
    );
  }
  return (
    `${where} Its glibc is not newer than Lambda's ${lambda}, so binaries built here can load on Lambda as far as ` +
    `glibc goes, but the system libraries copied into lib/ come from ${host.osId} ${host.osVersion}. ` +
    `Try the layers in ${LAMBDA_RUNTIME} before deploying, or build them in ${container}.`
  );
}
