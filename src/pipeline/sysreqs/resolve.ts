/**
 * From R packages' SystemRequirements text to what the build host must have. Pure and tested as data: the rules
 * (rules.ts), the host's platform, what the recipe's stages provide, and the toolchain go in; per R package, each
 * matched rule's outcome comes out, with the OS packages to install and what cannot be had.
 *
 * A rule is met, in this order: by a stage of the recipe that provides it (openssl, libcurl, libxml2, zlib, bzip2,
 * xz, or a user's extra stage with `provides:`), never by a second copy from the OS; by the toolchain (GNU make,
 * pkg-config); by the OS packages of the platform's entry; or it is not available here (no entry for the platform, or
 * an entry that needs EPEL or another repository the build does not add). Text no rule matches (often "C++17") is
 * reported, not an error: many such texts need nothing beyond the compiler.
 */
import { TOOLCHAIN, type PackageManager } from '../stages/toolchain.js';
import { entryFor, matchingRules, preInstallKind, type Platform, type Rule } from './rules.js';

/** The OS packages the toolchain install leaves on the host: its list, plus what build-essential brings. */
export function toolchainPackages(manager: PackageManager): string[] {
  const essential = manager === 'apt-get' ? ['make', 'gcc', 'g++', 'libc6-dev', 'dpkg-dev'] : [];
  return [...TOOLCHAIN[manager], ...essential];
}

export interface PackageRequirement {
  /** The R package and version whose DESCRIPTION says it. */
  package: string;
  version: string;
  /** Its SystemRequirements field, as written. */
  text: string;
}

export type RuleOutcome =
  | { rule: string; via: 'stage'; stage: string }
  | { rule: string; via: 'toolchain'; packages: string[] }
  | { rule: string; via: 'os'; packages: string[]; note?: string }
  | { rule: string; via: 'unavailable'; packages: string[]; reason: string };

export interface PackageResolution extends PackageRequirement {
  rules: RuleOutcome[];
  /** Parts of the text no rule matches. */
  unmatched: string[];
}

export interface OsPackageNeed {
  name: string;
  /** The R packages that need it, or "(system-packages)" for one the user named. */
  for: string[];
  rules: string[];
}

export interface Resolution {
  platform: string;
  packages: PackageResolution[];
  /** Every OS package to install, once, sorted by name. */
  osPackages: OsPackageNeed[];
  /** Each R package's rule that cannot be met here. */
  unavailable: { package: string; text: string; rule: string; packages: string[]; reason: string }[];
}

export interface ResolveInputs {
  requirements: readonly PackageRequirement[];
  rules: readonly Rule[];
  platform: Platform;
  /** Rule name → the stage (built-in or extra) that builds it into the prefix. */
  providedBy: Readonly<Record<string, string>>;
  /** The toolchain's OS packages: a rule that names only these needs nothing more. */
  toolchain: readonly string[];
  /** OS packages the user named (system-packages): installed whatever the rules say. */
  explicit?: readonly string[];
}

/** Pure: the text split at top-level commas, semicolons and line breaks ("fftw3 (a, b)" stays one part). */
export function clauses(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(' || ch === '[') depth++;
    if ((ch === ')' || ch === ']') && depth > 0) depth--;
    if (depth === 0 && /[,;\n]/.test(ch)) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts
    .map((p) =>
      p
        .replace(/\s+/g, ' ')
        .trim()
        .replace(/^(and|or)\s+/i, ''),
    )
    .filter((p) => p !== '' && !/^(and|or)$/i.test(p));
}

function outcomeOf(rule: Rule, inputs: ResolveInputs): RuleOutcome {
  const stage = inputs.providedBy[rule.name];
  if (stage) return { rule: rule.name, via: 'stage', stage };
  const { platform } = inputs;
  const entry = entryFor(rule, platform);
  if (!entry) {
    return {
      rule: rule.name,
      via: 'unavailable',
      packages: [],
      reason: `the rule "${rule.name}" names no package for ${platform.label}`,
    };
  }
  const { dependency, distribution } = entry;
  const kinds = (dependency.preInstall ?? []).map((c) => ({ command: c, kind: preInstallKind(c) }));
  const packages = dependency.packages;
  const blocking = kinds.find(
    (k) => (k.kind === 'epel' && platform.noEpel) || k.kind === 'ppa' || k.kind === 'other',
  );
  if (blocking) {
    const why =
      blocking.kind === 'epel'
        ? `on ${distribution} it needs EPEL, which ${platform.label} does not have`
        : `the rule first runs \`${blocking.command}\`, which the build does not do`;
    return { rule: rule.name, via: 'unavailable', packages, reason: why };
  }
  if (packages.length === 0) {
    return {
      rule: rule.name,
      via: 'unavailable',
      packages,
      reason: `the rule names no package for ${platform.label}`,
    };
  }
  if (packages.every((p) => inputs.toolchain.includes(p)))
    return { rule: rule.name, via: 'toolchain', packages };
  const notes: string[] = [];
  if (kinds.some((k) => k.kind === 'crb') && platform.noEpel) {
    notes.push(
      `Red Hat 9 has it in CRB; ${platform.label} has no CRB repository, so its own repositories are asked`,
    );
  }
  if (distribution !== platform.lookups[0]?.distribution) notes.push(`${distribution}'s package names`);
  return { rule: rule.name, via: 'os', packages, ...(notes.length ? { note: notes.join('; ') } : {}) };
}

/** Pure: every package's requirements resolved for the platform. */
export function resolveRequirements(inputs: ResolveInputs): Resolution {
  const packages: PackageResolution[] = [];
  const needs = new Map<string, OsPackageNeed>();
  const need = (name: string, forWhat: string, rule: string): void => {
    const entry = needs.get(name) ?? { name, for: [], rules: [] };
    if (!entry.for.includes(forWhat)) entry.for.push(forWhat);
    if (rule && !entry.rules.includes(rule)) entry.rules.push(rule);
    needs.set(name, entry);
  };
  const unavailable: Resolution['unavailable'] = [];
  for (const req of inputs.requirements) {
    if (!req.text.trim()) continue;
    const matched = matchingRules(req.text, inputs.rules);
    const rules = matched.map((rule) => outcomeOf(rule, inputs));
    for (const outcome of rules) {
      if (outcome.via === 'os') for (const p of outcome.packages) need(p, req.package, outcome.rule);
      if (outcome.via === 'unavailable') {
        unavailable.push({
          package: req.package,
          text: req.text,
          rule: outcome.rule,
          packages: outcome.packages,
          reason: outcome.reason,
        });
      }
    }
    const unmatched = clauses(req.text).filter((c) => matchingRules(c, inputs.rules).length === 0);
    packages.push({ ...req, rules, unmatched });
  }
  for (const name of inputs.explicit ?? []) need(name, '(system-packages)', '');
  const osPackages = [...needs.values()]
    .map((n) => ({ ...n, for: [...n.for].sort(), rules: [...n.rules].sort() }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { platform: inputs.platform.label, packages, osPackages, unavailable };
}

/** Pure: the log lines of a resolution, one per R package with requirements. */
export function describeResolution(resolution: Resolution): string[] {
  const lines: string[] = [];
  for (const p of resolution.packages) {
    const parts = p.rules.map((r) => {
      switch (r.via) {
        case 'stage':
          return `${r.rule} → stage ${r.stage}`;
        case 'toolchain':
          return `${r.rule} → toolchain (${r.packages.join(', ')})`;
        case 'os':
          return `${r.rule} → ${r.packages.join(', ')}${r.note ? ` (${r.note})` : ''}`;
        case 'unavailable':
          return `${r.rule} → not available: ${r.reason}`;
      }
    });
    if (p.unmatched.length)
      parts.push(`no rule for: ${p.unmatched.map((u) => JSON.stringify(u)).join(', ')}`);
    lines.push(
      `${p.package} ${p.version} "${p.text.replace(/\s+/g, ' ').trim()}": ${parts.join('; ') || 'nothing'}`,
    );
  }
  return lines;
}
