/**
 * A user's own native stages (the extra-stages file): libraries the build host's distribution lacks (libsodium on
 * Amazon Linux 2023, the geospatial stack GEOS → PROJ → GDAL), built from source like the recipe's own stages. The file
 * has data/stages.yml's schema for source stages (name, version, url, sha256, license, provides, dependsOn, flags,
 * commands). Each is built into the prefix after R, cached under its own key, verified against its pinned sum, and
 * recorded in the manifest and the SBOM like a built-in stage. The site-library stage depends on every extra stage,
 * so the packages compile against them; `provides` names the system-requirement rules they meet, which then need no
 * OS package.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { UserError } from '../../errors.js';
import { parseRecipe, type Recipe, type SourceStageRecipe, type StageRecipe } from './recipe.js';

const fail = (file: string, problem: string): UserError =>
  new UserError(
    `extra-stages (--extra-stages) ${file}: ${problem}; use the schema of data/stages.yml's source stages (see examples/extra-stages/).`,
  );

/**
 * Pure: the extra stages of `text`, checked against the recipe they join: names must be new, dependencies must be a
 * stage of the recipe or an earlier extra stage, and every source needs its pinned SHA-256.
 */
export function parseExtraStages(text: string, file: string, recipe: Recipe): SourceStageRecipe[] {
  let doc: { stages?: unknown };
  try {
    doc = parse(text) as { stages?: unknown };
  } catch (error) {
    throw new UserError(`extra-stages (--extra-stages) ${file}: not YAML (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (!doc || !Array.isArray(doc.stages) || doc.stages.length === 0) throw fail(file, 'no `stages:` list');
  const builtIn = new Set(recipe.stages.map((s) => s.name));
  const raws = doc.stages as Record<string, unknown>[];
  for (const raw of raws) {
    if (raw.kind !== undefined && raw.kind !== 'source')
      throw fail(file, `stage ${String(raw.name)} is not a source stage`);
    if (builtIn.has(String(raw.name)))
      throw fail(file, `stage ${String(raw.name)} is a stage of the recipe already`);
    if (typeof raw.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(raw.sha256))
      throw fail(file, `stage ${String(raw.name)} has no pinned sha256 (64 hexadecimal characters)`);
    if (typeof raw.version !== 'string' && typeof raw.version !== 'number')
      throw fail(file, `stage ${String(raw.name)} has no version`);
  }
  // Dependencies on the recipe's stages are allowed: check them as parseRecipe would see them, with those first.
  const withBuiltIns = {
    stages: [...recipe.stages.map((s) => ({ name: s.name, kind: s.kind, url: 'x:', library: 'R' })), ...raws],
  };
  let parsed: Recipe;
  try {
    parsed = parseRecipe(JSON.stringify(withBuiltIns), file);
  } catch (error) {
    throw fail(file, (error as Error).message.replace(`${file}: `, ''));
  }
  return parsed.stages.slice(recipe.stages.length) as SourceStageRecipe[];
}

export function readExtraStages(file: string, recipe: Recipe): SourceStageRecipe[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(
      `extra-stages (--extra-stages): cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); use the path of a YAML file of stages.`,
      { cause: error },
    );
  }
  return parseExtraStages(text, file, recipe);
}

/**
 * Pure: the recipe with the extra stages after the last source stage (R), and the site-library stage depending on
 * them. The recipe's own stages and their keys are unchanged; only the site-library's key takes the extra stages in.
 */
export function withExtraStages(recipe: Recipe, extras: readonly SourceStageRecipe[]): Recipe {
  if (extras.length === 0) return recipe;
  const lastSource = recipe.stages.map((s) => s.kind).lastIndexOf('source');
  const stages: StageRecipe[] = [
    ...recipe.stages.slice(0, lastSource + 1),
    ...extras,
    ...recipe.stages
      .slice(lastSource + 1)
      .map((s) =>
        s.kind === 'r-packages' && s.library === 'site'
          ? { ...s, dependsOn: [...s.dependsOn, ...extras.map((e) => e.name)] }
          : s,
      ),
  ];
  return { ...recipe, stages };
}
