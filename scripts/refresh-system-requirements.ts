/**
 * Refreshes data/system-requirements/ from a checkout of rstudio/r-system-requirements (MIT):
 *
 *   npx tsx scripts/refresh-system-requirements.ts [CHECKOUT] [COMMIT]
 *     CHECKOUT  a folder holding rules/*.json and LICENSE (default: ../shared/r-system-requirements)
 *     COMMIT    the commit the checkout is at (default: read from CHECKOUT/README.md, or `git rev-parse HEAD`)
 *
 * It writes data/system-requirements/rules.json: every rule (named after its file) with its patterns and only the
 * dependencies for the distributions the build knows (Debian, Ubuntu, Red Hat and Fedora, whose names Amazon Linux
 * 2023 uses), each with its packages, constraints and pre_install commands (which say when a package needs EPEL).
 * Rules stay data: src/pipeline/sysreqs/ reads them, nothing is generated as code. LICENSE is copied beside it and
 * SOURCE records where and at which commit the rules came from.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const KEPT_DISTRIBUTIONS = new Set(['debian', 'ubuntu', 'redhat', 'fedora']);
const here = path.dirname(fileURLToPath(import.meta.url));
const target = path.join(here, '..', 'data', 'system-requirements');
const checkout = path.resolve(
  process.argv[2] ?? path.join(here, '..', '..', 'shared', 'r-system-requirements'),
);

interface RawDependency {
  packages?: string[];
  pre_install?: { command?: string; script?: string }[];
  constraints?: { os?: string; distribution?: string; versions?: string[] }[];
}

function commitOf(dir: string): string {
  if (process.argv[3]) return process.argv[3];
  const readme = path.join(dir, 'README.md');
  const fromReadme = existsSync(readme)
    ? /\b([0-9a-f]{40})\b/.exec(readFileSync(readme, 'utf8'))?.[1]
    : undefined;
  if (fromReadme) return fromReadme;
  return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
}

const rulesDir = path.join(checkout, 'rules');
if (!existsSync(rulesDir)) {
  console.error(
    `refresh-system-requirements: ${rulesDir} not found; give a checkout of rstudio/r-system-requirements`,
  );
  process.exit(1);
}
const rules: Record<string, unknown> = {};
for (const file of readdirSync(rulesDir)
  .filter((f) => f.endsWith('.json'))
  .sort()) {
  const raw = JSON.parse(readFileSync(path.join(rulesDir, file), 'utf8')) as {
    patterns: string[];
    dependencies: RawDependency[];
  };
  const dependencies = raw.dependencies
    .map((d) => ({
      packages: d.packages ?? [],
      ...(d.pre_install?.length
        ? { preInstall: d.pre_install.map((p) => p.command ?? `(script) ${p.script ?? ''}`) }
        : {}),
      constraints: (d.constraints ?? [])
        .filter((c) => c.os === 'linux' && c.distribution && KEPT_DISTRIBUTIONS.has(c.distribution))
        .map((c) => ({ distribution: c.distribution, ...(c.versions ? { versions: c.versions } : {}) })),
    }))
    .filter((d) => d.constraints.length > 0);
  rules[file.replace(/\.json$/, '')] = { patterns: raw.patterns, dependencies };
}
const commit = commitOf(checkout);
writeFileSync(path.join(target, 'rules.json'), JSON.stringify(rules, null, 1) + '\n');
copyFileSync(path.join(checkout, 'LICENSE'), path.join(target, 'LICENSE'));
writeFileSync(
  path.join(target, 'SOURCE'),
  `rules.json: the rules of https://github.com/rstudio/r-system-requirements at commit ${commit},\n` +
    `reduced to the Linux distributions the build knows (debian, ubuntu, redhat, fedora) by\n` +
    `scripts/refresh-system-requirements.ts. MIT-licensed: LICENSE beside this file.\n`,
);
console.log(`refresh-system-requirements: ${Object.keys(rules).length} rules from ${commit} into ${target}`);
