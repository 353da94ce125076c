import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { dataFile } from '../paths.js';

/** A stage built from a source tarball: unpack, run its commands, install into its staging folder. */
export interface SourceStageRecipe {
  kind: 'source';
  name: string;
  /** Empty for R, whose version comes from --r-version. */
  version: string;
  url: string;
  sha256?: string;
  /** SPDX license expression of what the stage builds (for the SBOM). */
  license?: string;
  dependsOn: string[];
  flags: string[];
  commands: string[];
}

/** A stage that installs R packages from a CRAN-like repository into R's library or the site-library. */
export interface RPackagesStageRecipe {
  kind: 'r-packages';
  name: string;
  library: 'R' | 'site';
  packages: string[];
  /** R packages whose source is a folder of data/ (the runtime with its C codec, lambdaruntime), installed after `packages`. */
  localPackages: string[];
  dependsOn: string[];
}

export type StageRecipe = SourceStageRecipe | RPackagesStageRecipe;

export interface Recipe {
  /** Variables every stage builds with ({prefix} filled in; $NAME is the caller's value). Part of every key. */
  environment: Record<string, string>;
  stages: StageRecipe[];
  /** Upstream SHA-256 of R release tarballs, by version. */
  rChecksums: Record<string, string>;
}

const strings = (value: unknown, where: string): string[] => {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    throw new Error(`${where}: expected a list of strings`);
  }
  return value.map(String);
};

/** Parse and check the recipe text (data/stages.yml). Errors here are bugs in the data file, not user input. */
export function parseRecipe(text: string, file = 'data/stages.yml'): Recipe {
  const doc = parse(text) as { stages?: unknown; rChecksums?: unknown; environment?: unknown };
  if (!doc || !Array.isArray(doc.stages)) throw new Error(`${file}: no stages list`);
  const seen = new Set<string>();
  const stages = doc.stages.map((raw: Record<string, unknown>, i): StageRecipe => {
    const name = String(raw.name ?? '');
    const where = `${file}: stage ${name || `#${i + 1}`}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`${where}: bad or missing name`);
    if (seen.has(name)) throw new Error(`${where}: defined twice`);
    const dependsOn = strings(raw.dependsOn, `${where} dependsOn`);
    for (const dep of dependsOn) {
      if (!seen.has(dep)) throw new Error(`${where}: depends on '${dep}', which is not defined before it`);
    }
    seen.add(name);
    if (raw.kind === 'r-packages') {
      if (raw.library !== 'R' && raw.library !== 'site')
        throw new Error(`${where}: library must be R or site`);
      return {
        kind: 'r-packages',
        name,
        library: raw.library,
        packages: strings(raw.packages, where),
        localPackages: strings(raw.localPackages, `${where} localPackages`).map((folder) => {
          if (!/^[A-Za-z][A-Za-z0-9.]*$/.test(folder))
            throw new Error(`${where}: localPackages: '${folder}' is not a package folder name in data/`);
          return folder;
        }),
        dependsOn,
      };
    }
    if (typeof raw.url !== 'string') throw new Error(`${where}: url missing`);
    return {
      kind: 'source',
      name,
      version: raw.version === undefined ? '' : String(raw.version),
      url: raw.url,
      sha256: typeof raw.sha256 === 'string' ? raw.sha256.toLowerCase() : undefined,
      license: typeof raw.license === 'string' ? raw.license : undefined,
      dependsOn,
      flags: strings(raw.flags, `${where} flags`),
      commands: strings(raw.commands, `${where} commands`),
    };
  });
  const rChecksums: Record<string, string> = {};
  for (const [version, sum] of Object.entries((doc.rChecksums ?? {}) as Record<string, unknown>)) {
    rChecksums[version] = String(sum).toLowerCase();
  }
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries((doc.environment ?? {}) as Record<string, unknown>)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`${file}: environment: bad variable name ${name}`);
    environment[name] = String(value);
  }
  return { environment, stages, rChecksums };
}

export function loadRecipe(file: string = dataFile('stages.yml')): Recipe {
  return parseRecipe(readFileSync(file, 'utf8'), file);
}
