/**
 * The runtime, the R package lambdaruntime (data/lambdaruntime, with its C codec), for local runs with the host's R
 * (invoke and serve without --opt): the r layer's copy is built for the layer's R, not the host's. So it is built from
 * the project's own sources with the host's R, once per source and R, into the tool's cache, and layer/runtime.R finds
 * it through R_LIBS: local runs run the same package as Lambda.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, UserError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { toolHome } from '../pipeline/options.js';
import { runChecked, runSync } from '../util/exec.js';
import { sha256, sha256Tree } from '../util/hash.js';

/** The library folder holding lambdaruntime built for `rscript`'s R (built now unless cached). */
export async function localRuntimeLibrary(rscript: string, home: string = toolHome()): Promise<string> {
  const source = path.join(packageRoot(), 'data', 'lambdaruntime');
  const rHome = runSync(rscript, ['-e', 'cat(R.home(), R.version.string, sep = "\\n")']).trim();
  const key = sha256(`${await sha256Tree(source)}\n${rHome}`).slice(0, 16);
  const library = path.join(home, 'runtime-package', key);
  if (existsSync(path.join(library, 'lambdaruntime', 'DESCRIPTION'))) return library;
  mkdirSync(path.dirname(library), { recursive: true });
  // Built in a folder of its own and renamed into place, so a concurrent run never sees half a library.
  const work = mkdtempSync(`${library}.tmp-`);
  try {
    const copy = path.join(work, 'src', 'lambdaruntime'); // R CMD INSTALL compiles in the source folder
    cpSync(source, copy, { recursive: true });
    const built = path.join(work, 'lib');
    mkdirSync(built);
    const r = path.join(rHome.split('\n')[0] ?? '', 'bin', 'R');
    await runChecked(r, ['CMD', 'INSTALL', '--no-docs', '--no-multiarch', `--library=${built}`, copy]).catch(
      (error: unknown) => {
        throw new UserError(
          `Cannot build the runtime (the R package in data/lambdaruntime) with ${rscript}'s R: local runs need a C compiler and R's headers (Debian: r-base-dev), or pass --opt DIR with a built layer tree.\n${errorMessage(error)}`,
        );
      },
    );
    try {
      renameSync(built, library);
    } catch (error) {
      if (!existsSync(path.join(library, 'lambdaruntime', 'DESCRIPTION'))) throw error; // else another run was first
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return library;
}
