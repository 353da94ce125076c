/**
 * What the action reports: its outputs (named once, as in action.yml) and the job summary. Pure: built from the
 * build's result and the publisher's; main.ts sets them with core.setOutput and core.summary.
 */
import type { BuildResult } from '../pipeline/build.js';
import { describeHost } from '../pipeline/plan/host.js';
import { formatBytes } from '../util/format.js';
import { LAMBDA_LIMITS, LAMBDA_RUNTIME, LAYER_KINDS, type LayerKind } from '../layers.js';
import type { PublishResult } from '../publish/index.js';

/** The parts of a build result the reports read. */
export type ReportedBuild = Pick<
  BuildResult,
  'rVersion' | 'zips' | 'manifestPath' | 'sbomPath' | 'manifest' | 'stages' | 'limits'
>;

export const OUTPUTS = [
  'r-version',
  'r-zip',
  'r-lib-zip',
  'subsystem-zip',
  'manifest',
  'sbom',
  'sizes',
  'cache-hits',
  'layer-arns',
  'lambda-compatible',
  'artifact-name',
] as const;
export type OutputName = (typeof OUTPUTS)[number];

const ZIP_OUTPUT: Record<LayerKind, OutputName> = {
  r: 'r-zip',
  r_lib: 'r-lib-zip',
  subsystem: 'subsystem-zip',
};

/** Every output's value. `layer-arns` is `{}` unless layers were published (a dry run publishes nothing). */
export function actionOutputs(
  build: ReportedBuild,
  artifactName: string,
  published: PublishResult | undefined,
): Record<OutputName, string> {
  const sizes = Object.fromEntries(
    build.manifest.layers.map((l) => [
      l.name,
      { file: l.file, zippedBytes: l.zippedBytes, unzippedBytes: l.unzippedBytes },
    ]),
  );
  const outputs: Partial<Record<OutputName, string>> = {
    'r-version': build.rVersion,
    manifest: build.manifestPath,
    sbom: build.sbomPath,
    sizes: JSON.stringify(sizes),
    'cache-hits': JSON.stringify(Object.fromEntries(build.stages.map((s) => [s.name, s.cacheHit]))),
    'layer-arns': JSON.stringify(published ?? {}),
    'lambda-compatible': String(build.manifest.lambdaCompatible),
    'artifact-name': artifactName,
  };
  for (const name of LAYER_KINDS) outputs[ZIP_OUTPUT[name]] = build.zips[name];
  return outputs as Record<OutputName, string>;
}

const percent = (part: number, whole: number): string => `${Math.round((100 * part) / whole)}%`;
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const table = (header: string[], rows: string[][]): string[] => [
  `| ${header.join(' | ')} |`,
  `| ${header.map(() => '---').join(' | ')} |`,
  ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
];

export interface SummaryInput {
  build: ReportedBuild;
  artifactName: string;
  /** Where the layers went: "uploaded as an artifact" or the local folder. */
  artifactWhere: string;
  published?: PublishResult;
  dryRun?: boolean;
}

/** The job summary as Markdown: R version and glibc verdict, stages, sizes against Lambda's limits, ARNs. */
export function summaryMarkdown(input: SummaryInput): string {
  const { build } = input;
  const m = build.manifest;
  const lines: string[] = [];
  lines.push(`## R ${build.rVersion} for AWS Lambda (${m.architecture})`, '');

  const glibc = m.glibcRequired ?? 'none';
  const verdict = m.lambdaCompatible
    ? `✅ loads on Lambda's ${LAMBDA_RUNTIME} (glibc ${LAMBDA_LIMITS.glibc})`
    : `❌ will **not** load on Lambda's ${LAMBDA_RUNTIME} (glibc ${LAMBDA_LIMITS.glibc}): build in \`container: amazonlinux:2023\``;
  lines.push(
    `- **R version:** ${build.rVersion}`,
    `- **Architecture:** ${m.architecture}; compatible runtimes: ${m.compatibleRuntimes.join(', ')}`,
    `- **glibc required:** ${glibc} — ${verdict}`,
    `- **Built on:** ${describeHost(m.host)}`,
    `- **Layers:** ${input.artifactWhere}`,
    '',
  );

  const hits = build.stages.filter((s) => s.cacheHit).length;
  lines.push(`### Stages (${hits} of ${build.stages.length} from cache)`, '');
  lines.push(
    ...table(
      ['Stage', 'Cache', 'Time'],
      build.stages.map((s) => [s.name, s.cacheHit ? 'hit' : 'miss', `${s.seconds.toFixed(1)} s`]),
    ),
    '',
  );

  const direct = LAMBDA_LIMITS.directUploadZippedBytes;
  const total = LAMBDA_LIMITS.totalUnzippedBytes;
  lines.push('### Layer sizes', '');
  const rows = m.layers.map((l) => [
    `${l.name} (\`${l.file}\`)`,
    formatBytes(l.zippedBytes),
    `${percent(l.zippedBytes, direct)} ${l.zippedBytes > direct ? '❌ needs S3' : '✅'}`,
    formatBytes(l.unzippedBytes),
  ]);
  const unzipped = m.layers.reduce((sum, l) => sum + l.unzippedBytes, 0);
  const zipped = m.layers.reduce((sum, l) => sum + l.zippedBytes, 0);
  rows.push([
    '**total**',
    formatBytes(zipped),
    '',
    `${formatBytes(unzipped)} (${percent(unzipped, total)} of ${formatBytes(total)} ${unzipped > total ? '❌' : '✅'})`,
  ]);
  lines.push(...table(['Layer', 'Zipped', `of ${formatBytes(direct)} direct upload`, 'Unzipped'], rows), '');
  const site = m.rPackages.filter((p) => p.library === 'site');
  const from = m.lockfile ? ` from renv.lock (sha256 ${m.lockfile.sha256.slice(0, 12)}…)` : '';
  lines.push(`### Packages in r_lib (${site.length})${from}`, '');
  if (site.length === 0) lines.push('No packages.', '');
  else
    lines.push(
      ...table(
        ['Package', 'Version', 'Source tarball'],
        site.map((p) => [
          p.name,
          p.version,
          p.url ? `${p.url.split('/').pop()} (sha256 ${p.sha256?.slice(0, 12)}…)` : '',
        ]),
      ),
      '',
    );
  const system = m.systemRequirements;
  if (system && (system.osPackages.length || system.packages.length)) {
    lines.push(`### System requirements (${system.platform})`, '');
    if (system.osPackages.length)
      lines.push(
        ...table(
          ['OS package', 'Version', 'For'],
          system.osPackages.map((p) => [p.name, `${p.version} (${p.arch})`, p.for.join(', ')]),
        ),
        '',
      );
    for (const p of system.packages) {
      const unmatched = p.unmatched.length
        ? `; no rule for ${p.unmatched.map((u) => `"${u}"`).join(', ')}`
        : '';
      lines.push(`- ${p.package} ${p.version}: ${p.met.join('; ') || 'nothing needed'}${unmatched}`);
    }
    lines.push('');
  }
  const runtime = m.rPackages.filter((p) => p.library === 'R' && p.priority === undefined);
  if (runtime.length) {
    lines.push(
      `R's own library also holds ${runtime.map((p) => `${p.name} ${p.version}`).join(', ')}; every part with its license and sum is in \`sbom.cdx.json\`.`,
      '',
    );
  }
  if (build.limits.problems.length > 0) {
    lines.push(...build.limits.problems.map((p) => `> ⚠️ ${p}`), '');
  }
  if (m.warnings.length > 0) {
    lines.push('### Warnings', '', ...m.warnings.map((w) => `- ${w}`), '');
  }

  if (input.dryRun) {
    lines.push('### Publishing', '', 'Dry run: nothing was published (the plan is in the log).', '');
  } else if (input.published !== undefined) {
    lines.push('### Published layers', '');
    const published: string[][] = [];
    for (const [region, layers] of Object.entries(input.published)) {
      for (const name of LAYER_KINDS) {
        const layer = layers[name];
        if (layer) published.push([region, name, `\`${layer.arn}\``, layer.reused ? 'reused' : 'new']);
      }
    }
    lines.push(...table(['Region', 'Layer', 'ARN', 'Version'], published), '');
  }
  return lines.join('\n');
}
