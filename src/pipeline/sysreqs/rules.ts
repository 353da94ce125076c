/**
 * The system-requirement rules (data/system-requirements/rules.json, from rstudio/r-system-requirements, refreshed by
 * scripts/refresh-system-requirements.ts) and the build hosts they are read for. Pure apart from loading the file.
 *
 * A rule turns free-form SystemRequirements text ("libpng", "fftw3 (libfftw3-dev (deb))") into the OS packages of
 * one distribution. Amazon Linux 2023 has no entry of its own: it is Fedora-based and takes Red Hat 9's names (then
 * Fedora's), but it has no EPEL, so a Red Hat 9 entry that first installs epel-release cannot be had there. Red Hat
 * puts some -devel packages in its CodeReady Builder repository (CRB); Amazon Linux 2023 has no such repository to
 * enable, so those names are tried from its own repositories and the package manager says whether they exist.
 */
import { readFileSync } from 'node:fs';
import { dataFile } from '../../paths.js';
import type { HostInfo } from '../../layers.js';
import { packageManagerFor, type PackageManager } from '../stages/toolchain.js';

export interface RuleConstraint {
  distribution: string;
  /** Absent: every version of the distribution. */
  versions?: string[];
}

export interface RuleDependency {
  packages: string[];
  /** Commands the rule runs before installing (enabling EPEL, CRB, a PPA, …). */
  preInstall?: string[];
  constraints: RuleConstraint[];
}

export interface Rule {
  /** The rule file's name in rstudio/r-system-requirements (libpng, libsodium, gdal, …). */
  name: string;
  patterns: RegExp[];
  dependencies: RuleDependency[];
}

/** A build host as the rules see it: which distribution's entries apply, in order, and its package manager. */
export interface Platform {
  /** How messages name it: "amzn 2023", "debian 12". */
  label: string;
  /** Entries looked up in this order: the first distribution with an entry wins. */
  lookups: { distribution: string; version?: string }[];
  manager: PackageManager;
  /** Amazon Linux 2023: no EPEL, no CRB repository to enable. */
  noEpel: boolean;
}

export function parseRules(text: string): Rule[] {
  const raw = JSON.parse(text) as Record<string, { patterns: string[]; dependencies: RuleDependency[] }>;
  return Object.entries(raw).map(([name, rule]) => ({
    name,
    // As in the catalogue: matched case-insensitively against the whole SystemRequirements text.
    patterns: rule.patterns.map((p) => new RegExp(p, 'i')),
    dependencies: rule.dependencies,
  }));
}

let loaded: Rule[] | undefined;
export function loadRules(file: string = dataFile('system-requirements/rules.json')): Rule[] {
  if (!loaded || file !== dataFile('system-requirements/rules.json'))
    loaded = parseRules(readFileSync(file, 'utf8'));
  return loaded;
}

/** Pure: the rules' view of a host, or undefined for a distribution the rules (or the build) do not know. */
export function platformOf(host: Pick<HostInfo, 'osId' | 'osVersion'>): Platform | undefined {
  const manager = packageManagerFor(host);
  if (!manager) return undefined;
  const label = `${host.osId} ${host.osVersion}`;
  const major = host.osVersion.split('.')[0] ?? host.osVersion;
  switch (host.osId) {
    case 'amzn':
      // Amazon Linux 2 is Red Hat 7-based and has yum: its names are not Red Hat 9's.
      if (host.osVersion !== '2023') return undefined;
      return {
        label,
        lookups: [{ distribution: 'redhat', version: '9' }, { distribution: 'fedora' }],
        manager,
        noEpel: true,
      };
    case 'debian':
      return { label, lookups: [{ distribution: 'debian', version: major }], manager, noEpel: false };
    case 'ubuntu':
      return {
        label,
        lookups: [{ distribution: 'ubuntu', version: host.osVersion }],
        manager,
        noEpel: false,
      };
    case 'fedora':
      return {
        label,
        lookups: [{ distribution: 'fedora', version: host.osVersion }],
        manager,
        noEpel: false,
      };
    case 'rhel':
    case 'rocky':
    case 'almalinux':
    case 'centos':
      return { label, lookups: [{ distribution: 'redhat', version: major }], manager, noEpel: false };
    default:
      return undefined;
  }
}

/** Pure: the rule's entry for the platform, with the distribution it came from; undefined when it has none. */
export function entryFor(
  rule: Rule,
  platform: Platform,
): { dependency: RuleDependency; distribution: string } | undefined {
  for (const { distribution, version } of platform.lookups) {
    const dependency = rule.dependencies.find((d) =>
      d.constraints.some(
        (c) =>
          c.distribution === distribution &&
          (!c.versions || version === undefined || c.versions.includes(version)),
      ),
    );
    if (dependency) return { dependency, distribution };
  }
  return undefined;
}

export type PreInstallKind = 'epel' | 'crb' | 'plugin' | 'ppa' | 'other';

/** Pure: what a rule's pre-install command does, which decides whether its packages can be had on the host. */
export function preInstallKind(command: string): PreInstallKind {
  if (/epel|rpmfusion/i.test(command)) return 'epel';
  if (/codeready|--set-enabled (crb|powertools)/i.test(command)) return 'crb';
  if (/install -y dnf-plugins-core/.test(command)) return 'plugin';
  if (/add-apt-repository|ppa:|software-properties-common|apt-get update/.test(command)) return 'ppa';
  return 'other';
}

/** Pure: the rules whose patterns match the text. */
export function matchingRules(text: string, rules: readonly Rule[]): Rule[] {
  return rules.filter((rule) => rule.patterns.some((p) => p.test(text)));
}
