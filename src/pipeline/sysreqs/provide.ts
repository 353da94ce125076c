/**
 * The system-requirements step, before anything compiles: read what every package to install says it needs, resolve
 * it with the rules for this host, and install the OS packages it names (plus the user's system-packages) with the
 * host's package manager. Whatever cannot be had fails here, in one message, before a stage builds; --no-toolchain
 * installs nothing and names what is missing. The result is recorded (manifest, SBOM, summary) and its OS packages
 * with their installed versions become part of the site-library stage's cache key.
 */
import path from 'node:path';
import { UserError } from '../../errors.js';
import type { HostInfo, SystemPackageRecord, SystemRequirementRecord } from '../../layers.js';
import type { Logger } from '../../log.js';
import { tail } from '../../util/fs.js';
import type { PackagePin } from '../plan/lockfile.js';
import { requirementsToInstall } from './descriptions.js';
import type { Repository } from '../plan/cran-index.js';
import { systemPackageManager, type SystemPackageManager } from './install.js';
import {
  describeResolution,
  resolveRequirements,
  toolchainPackages,
  type OsPackageNeed,
  type Resolution,
  type RuleOutcome,
} from './resolve.js';
import { loadRules, platformOf } from './rules.js';

export interface SystemRequirementsInputs {
  packages: readonly string[];
  pins: readonly PackagePin[];
  locked: boolean;
  repository: Repository;
  /** R is built with its recommended packages; without them a package's MASS or Matrix is installed, and read, too. */
  recommendedInR: boolean;
  /** OS packages the user named (system-packages). */
  explicit: readonly string[];
  /** Rule name → stage that provides it (the recipe's and the extra stages'). */
  providedBy: Readonly<Record<string, string>>;
  install: boolean;
  workDir: string;
  host: Pick<HostInfo, 'osId' | 'osVersion'>;
  log: Logger;
  /** The host's package manager; the real one for the host by default. */
  manager?: SystemPackageManager;
}

export interface SystemRequirementsResult {
  platform: string;
  osPackages: SystemPackageRecord[];
  packages: SystemRequirementRecord[];
  /** `name=version` of every OS package, sorted: part of the site-library stage's key. */
  keyPart: string[];
  /** Log lines per R package (for a compile failure's message). */
  lines: string[];
}

const HOW_TO_SUPPLY =
  'Supply it another way: name an OS package that provides it in system-packages (--system-packages), or build the ' +
  'library from source as an extra stage (extra-stages, --extra-stages) with `provides: [RULE]`.';

function met(outcome: RuleOutcome): string {
  switch (outcome.via) {
    case 'stage':
      return `${outcome.rule} → stage ${outcome.stage}`;
    case 'toolchain':
      return `${outcome.rule} → toolchain`;
    case 'os':
      return `${outcome.rule} → ${outcome.packages.join(', ')}`;
    case 'unavailable':
      return `${outcome.rule} → not available: ${outcome.reason}`;
  }
}

/** Pure: the one message for requirements that cannot be met on this host. */
export function unavailableMessage(
  resolution: Pick<Resolution, 'unavailable' | 'platform'>,
  failed: readonly { need: OsPackageNeed; reason: string }[] = [],
  texts: ReadonlyMap<string, string> = new Map(),
): string {
  const lines = [`System requirements that cannot be met on ${resolution.platform}:`];
  for (const u of resolution.unavailable) {
    lines.push(
      `  R package ${u.package} (SystemRequirements: "${u.text.replace(/\s+/g, ' ').trim()}"): rule ${u.rule}` +
        `${u.packages.length ? `, OS packages ${u.packages.join(', ')}` : ''}: ${u.reason}.`,
    );
  }
  for (const { need, reason } of failed) {
    const who = need.for
      .map((p) => (texts.has(p) ? `R package ${p} (SystemRequirements: "${texts.get(p)}")` : p))
      .join(', ');
    lines.push(
      `  OS package ${need.name}, for ${who}${need.rules.length ? ` (rule ${need.rules.join(', ')})` : ''}: ${reason}.`,
    );
  }
  lines.push(`${HOW_TO_SUPPLY} Nothing was compiled, cached or zipped.`);
  return lines.join('\n');
}

export async function provideSystemRequirements(
  inputs: SystemRequirementsInputs,
): Promise<SystemRequirementsResult> {
  const { log, host } = inputs;
  const platform = platformOf(host);
  if (!platform) {
    if (inputs.explicit.length) {
      throw new UserError(
        `system-packages (--system-packages): this host (${host.osId} ${host.osVersion}) has neither apt-get nor dnf; install ${inputs.explicit.join(', ')} yourself and leave system-packages empty.`,
      );
    }
    log.warn(
      `system requirements: not resolved on ${host.osId} ${host.osVersion} (the rules know Amazon Linux, Debian, Ubuntu, Fedora and Red Hat); packages that need system libraries must find them on the host`,
    );
    return {
      platform: `${host.osId} ${host.osVersion}`,
      osPackages: [],
      packages: [],
      keyPart: [],
      lines: [],
    };
  }
  const manager = inputs.manager ?? systemPackageManager(platform.manager);
  const requirements = !inputs.packages.length
    ? []
    : await requirementsToInstall({
        packages: inputs.packages,
        pins: inputs.pins,
        locked: inputs.locked,
        repository: inputs.repository,
        recommendedInR: inputs.recommendedInR,
        cacheDir: path.join(inputs.workDir, 'descriptions'),
        log,
      });
  const resolution = resolveRequirements({
    requirements,
    rules: loadRules(),
    platform,
    providedBy: inputs.providedBy,
    toolchain: toolchainPackages(platform.manager),
    explicit: inputs.explicit,
  });
  const lines = describeResolution(resolution);
  log.info(
    `system requirements (${platform.label}): ${requirements.length} packages read, ${resolution.packages.length} with SystemRequirements`,
  );
  for (const line of lines) log.info(`  ${line}`);
  const texts = new Map(resolution.packages.map((p) => [p.package, p.text.replace(/\s+/g, ' ').trim()]));
  if (resolution.unavailable.length) throw new UserError(unavailableMessage(resolution, [], texts));

  const records: SystemPackageRecord[] = [];
  const missing: OsPackageNeed[] = [];
  for (const need of resolution.osPackages) {
    const have = await manager.installed(need.name);
    if (have) records.push({ ...have, for: need.for, rules: need.rules });
    else missing.push(need);
  }
  if (missing.length && !inputs.install) {
    throw new UserError(
      `--no-toolchain: these OS packages are needed and not installed, and nothing is installed with --no-toolchain:\n` +
        missing.map((m) => `  ${m.name} (for ${m.for.join(', ')})`).join('\n') +
        `\nInstall them (${manager.command(missing.map((m) => m.name))}) or drop --no-toolchain. Nothing was compiled, cached or zipped.`,
    );
  }
  if (missing.length) {
    const failed: { need: OsPackageNeed; reason: string }[] = [];
    for (const need of missing) {
      const reason = await manager.unavailable(need.name);
      if (reason) failed.push({ need, reason });
    }
    if (failed.length)
      throw new UserError(unavailableMessage({ ...resolution, unavailable: [] }, failed, texts));
    const logFile = path.join(inputs.workDir, 'logs', 'system-packages.log');
    const names = missing.map((m) => m.name);
    log.info(`$ ${manager.command(names)}`);
    const result = await manager.install(names, logFile);
    if (result.code !== 0) {
      throw new UserError(
        `installing ${names.join(', ')} failed (${manager.name} exited ${result.code}):\n${await tail(logFile, 20)}\n` +
          `Install them yourself (${manager.command(names)}) and pass --no-toolchain. Nothing was compiled, cached or zipped.`,
      );
    }
    for (const need of missing) {
      const have = await manager.installed(need.name);
      if (!have)
        throw new UserError(
          `${manager.name} reported success but ${need.name} is not installed; see ${logFile}.`,
        );
      records.push({ ...have, for: need.for, rules: need.rules });
    }
  }
  records.sort((a, b) => a.name.localeCompare(b.name));
  for (const r of records)
    log.info(`  OS package ${r.name} ${r.version} (${r.arch}) for ${r.for.join(', ')}`);
  const packages: SystemRequirementRecord[] = resolution.packages.map((p) => ({
    package: p.package,
    version: p.version,
    text: p.text.replace(/\s+/g, ' ').trim(),
    met: p.rules.map(met),
    unmatched: p.unmatched,
  }));
  return {
    platform: platform.label,
    osPackages: records,
    packages,
    keyPart: records.map((r) => `${r.name}=${r.version}`),
    lines,
  };
}
