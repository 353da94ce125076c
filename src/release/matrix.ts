/**
 * The build matrix of the reusable workflow: R versions × architectures, each cell with its runner and artifact
 * name, as compact JSON for `strategy.matrix: ${{ fromJson(...) }}`. Pure; every problem is a UserError that
 * names the input.
 */
import { UserError } from '../errors.js';
import { optionLabel, splitList } from '../options/parse.js';
import { parseRVersion } from '../pipeline/plan/options.js';
import { ARCHITECTURES, defaultArtifactName, type Architecture } from '../layers.js';
import { sortVersions } from './versions-file.js';

/** GitHub-hosted runners per architecture; the job itself runs in container amazonlinux:2023. */
export const RUNNERS: Record<Architecture, string> = { x86_64: 'ubuntu-latest', arm64: 'ubuntu-24.04-arm' };

/** Names people reach for, mapped to Lambda's. */
const ARCHITECTURE_ALIASES: Record<string, Architecture> = {
  amd64: 'x86_64',
  x64: 'x86_64',
  aarch64: 'arm64',
};

export interface MatrixCell {
  'r-version': string;
  architecture: Architecture;
  runner: string;
  'artifact-name': string;
}

export interface Matrix {
  include: MatrixCell[];
}

/** A list input: a JSON list (`["4.5.2", "4.4.3"]`) or words separated by commas, spaces or new lines. */
export function parseList(name: string, text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new UserError(
        `${name}: ${trimmed} is not a JSON list (${(error as Error).message}); use ["a", "b"] or a, b.`,
        { cause: error },
      );
    }
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string' || typeof v === 'number')) {
      throw new UserError(`${name}: ${trimmed} is not a list of strings; use ["a", "b"] or a, b.`);
    }
    return parsed.map((v) => String(v).trim()).filter(Boolean);
  }
  return splitList(trimmed);
}

export function parseArchitecture(value: string): Architecture {
  if ((ARCHITECTURES as readonly string[]).includes(value)) return value as Architecture;
  const alias = ARCHITECTURE_ALIASES[value.toLowerCase()];
  const hint = alias ? ` (Lambda calls it ${alias})` : '';
  throw new UserError(
    `architectures: "${value}" is not a Lambda architecture${hint}; use ${ARCHITECTURES.join(' or ')}.`,
  );
}

export function buildMatrix(rVersions: string[], architectures: string[]): Matrix {
  if (rVersions.length === 0) {
    throw new UserError(
      'r-versions: no R version given; use a list such as ["4.5.2"] or 4.5.2, 4.4.3 (or "release").',
    );
  }
  if (architectures.length === 0) {
    throw new UserError(
      `architectures: no architecture given; use ${ARCHITECTURES.join(', ')} or one of them.`,
    );
  }
  const versions = rVersions.map((v) => {
    try {
      return parseRVersion(v);
    } catch (error) {
      // The workflow input is a list: name it as the person typed it.
      throw new UserError((error as Error).message.replace(`${optionLabel('r-version')}: `, 'r-versions: '), {
        cause: error,
      });
    }
  });
  const exact = sortVersions(versions.filter((v) => v !== 'release'));
  const ordered = [...(versions.includes('release') ? ['release'] : []), ...exact];
  const archs = [...new Set(architectures.map(parseArchitecture))];
  const include: MatrixCell[] = [];
  for (const rVersion of ordered) {
    for (const architecture of archs) {
      include.push({
        'r-version': rVersion,
        architecture,
        runner: RUNNERS[architecture],
        'artifact-name': defaultArtifactName(rVersion, architecture),
      });
    }
  }
  return { include };
}

/** Lines for $GITHUB_OUTPUT (`name=value`); values must be single-line, as compact JSON is. */
export function outputLines(outputs: Record<string, string | number>): string {
  return Object.entries(outputs)
    .map(([name, value]) => {
      const text = String(value);
      if (/[\r\n]/.test(text)) throw new Error(`output ${name} spans several lines`);
      return `${name}=${text}\n`;
    })
    .join('');
}
