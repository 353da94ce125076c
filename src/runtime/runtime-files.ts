/**
 * Where this package's runtime files and the local R are: layer/bootstrap in the package's own folder (found by
 * src/paths.ts, so it works from src/ under tsx, from the dist/ bundle and from an npm install) and the Rscript on
 * PATH.
 */
import path from 'node:path';
import { UserError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { isExecutable } from './options.js';
import type { RuntimeFiles } from './options.js';
import { LAYOUT } from '../layers.js';

/** `from`: the folder to search upwards from (this module's, by default). */
export function findPackageBootstrap(from?: string): string {
  try {
    return path.join(packageRoot(from), 'layer', LAYOUT.bootstrap);
  } catch (error) {
    throw new UserError(
      `${(error as Error).message} Run from a checkout of r-lambda-layer, or pass --opt DIR with a built layer tree.`,
      { cause: error },
    );
  }
}

export function findOnPath(name: string, searchPath: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export const localRuntimeFiles: RuntimeFiles = {
  packageBootstrap: () => findPackageBootstrap(),
  rscriptOnPath: () => findOnPath('Rscript'),
};
