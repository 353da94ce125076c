/**
 * action.yml, generated: its inputs from the option declarations (src/options/declarations.ts), its outputs from
 * OUTPUTS with the descriptions below. `npm run build` writes it (scripts/write-action-yml.ts) and a unit test checks
 * that the committed file is exactly what this module makes, so an input is declared once, in declarations.ts.
 */
import { declaration } from '../options/declarations.js';
import { ACTION_INPUTS, type InputName } from './inputs.js';
import { OUTPUTS, type OutputName } from './summary.js';
import { LAMBDA_LIMITS, LAMBDA_RUNTIME, LAYER_FILES } from '../layers.js';

export const ACTION_YML = 'action.yml';

/** What each output holds. */
export const OUTPUT_DESCRIPTIONS: Record<OutputName, string> = {
  'r-version': 'The R version built ("release" resolved to x.y.z).',
  'r-zip': `Path of ${LAYER_FILES.r} (R itself, unpacks to /opt/R).`,
  'r-lib-zip': `Path of ${LAYER_FILES.r_lib} (the packages' site-library, unpacks to /opt/local).`,
  'subsystem-zip': `Path of ${LAYER_FILES.subsystem} (bootstrap, runtime and shared libraries).`,
  manifest: 'Path of manifest.json (versions, checksums, sizes, glibc requirement).',
  sbom: 'Path of sbom.cdx.json: the CycloneDX 1.6 software bill of materials (every native library, R, every R package and every library copied from the build host, with versions, licenses, sources and SHA-256 sums).',
  sizes: 'JSON: {"r": {"file", "zippedBytes", "unzippedBytes"}, "r_lib": {...}, "subsystem": {...}}.',
  'cache-hits': 'JSON: stage name to true (restored from the cache) or false (built).',
  'layer-arns':
    'JSON: region to layer kind to {arn, version, layerArn, reused}; {} unless the layers were published.',
  'lambda-compatible': `true when the layers need no newer glibc than Lambda's ${LAMBDA_RUNTIME} (${LAMBDA_LIMITS.glibc}), else false.`,
  'artifact-name': 'Name of the artifact holding the zips, manifest.json and sbom.cdx.json.',
};

/** A heading comment before the first input of each group, as a reader of action.yml looks for them. */
const SECTIONS: Partial<Record<InputName, string>> = {
  'r-version': 'What to build',
  cache: 'Cache and artifact',
  publish: 'Publishing',
};

const HEADER = `# Generated from src/options/declarations.ts and src/action/action-yml.ts by \`npm run build\`: edit those, not this.
name: R Lambda layers
description: >-
  Build R and its native libraries from source into /opt and zip them into three AWS Lambda layers
  (${Object.values(LAYER_FILES).join(', ')}) plus manifest.json; cache every stage, upload them as one artifact,
  and optionally publish them to Lambda.
author: r-lambda-layer
branding:
  icon: layers
  color: blue

# Run the job in Lambda's own OS (glibc ${LAMBDA_LIMITS.glibc}), or the layers will not load on Lambda:
#   runs-on: ubuntu-latest          # or ubuntu-24.04-arm for arm64 layers
#   container: amazonlinux:2023
`;

/** A YAML single-quoted scalar: always a string, whatever it looks like (true, /opt, 4.5.2). */
const quoted = (text: string): string => `'${text.replace(/'/g, "''")}'`;

const heading = (title: string): string => `  # --- ${title} ${'-'.repeat(Math.max(3, 110 - title.length))}`;

/** The whole of action.yml. */
export function actionYml(): string {
  const lines = [HEADER.trimEnd(), 'inputs:'];
  for (const name of ACTION_INPUTS) {
    const section = SECTIONS[name];
    if (section) lines.push(...(name === ACTION_INPUTS[0] ? [] : ['']), heading(section));
    const { description, default: value } = declaration(name);
    lines.push(`  ${name}:`, `    description: ${quoted(description)}`, '    required: false');
    if (value !== undefined) lines.push(`    default: ${quoted(value)}`);
  }
  lines.push('', 'outputs:');
  for (const name of OUTPUTS)
    lines.push(`  ${name}:`, `    description: ${quoted(OUTPUT_DESCRIPTIONS[name])}`);
  lines.push('', 'runs:', '  using: node24', '  main: dist/index.js', '');
  return lines.join('\n');
}
