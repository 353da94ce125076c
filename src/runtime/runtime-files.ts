/**
 * Where this package's runtime files and the local R are: the repository's layer/ folder (found by
 * walking up from this module, so it works from src/ under tsx and from the dist/ bundle) and the
 * Rscript on PATH.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { isExecutable } from './options.js';
import type { RuntimeFiles } from './options.js';

export function findPackageBootstrap(start: string = fileURLToPath(import.meta.url)): string {
  let dir = path.dirname(start);
  for (;;) {
    const candidate = path.join(dir, 'layer', 'bootstrap');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new UserError(
        `Cannot find this package's layer/bootstrap above ${path.dirname(start)}. Run from a checkout of r-lambda-layer, or pass --opt DIR with a built layer tree.`,
      );
    }
    dir = parent;
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
