/**
 * The last check before zipping: the assembled layer tree's R links the layer's libraries (link-checks.ts), starts
 * from the tree (relocated from the prefix it was built for), and loads every package the user asked for.
 */
import path from 'node:path';
import { UserError } from '../../errors.js';
import { LAYOUT } from '../../layers.js';
import type { Logger } from '../../log.js';
import { run } from '../../util/exec.js';
import { checkRLinks } from './link-checks.js';
import { buildEnv } from '../stages/stage-runner.js';

/** The layer tree's R links the layer's libraries, starts from the (relocated) tree, and loads every package. */
export async function checkTree(
  tree: string,
  packages: string[],
  environment: Record<string, string>,
  log: Logger,
): Promise<void> {
  await checkRLinks(tree, path.join(tree, LAYOUT.lib), log);
  const env = {
    ...process.env,
    LD_LIBRARY_PATH: `${path.join(tree, LAYOUT.lib)}:${path.join(tree, LAYOUT.rLibDir)}`,
  };
  const expr = [
    'stopifnot(capabilities("libcurl"))',
    'invisible(loadNamespace("jsonlite", lib.loc = .Library))',
    // The runtime (with its codec) loads from R's own library and writes a double losslessly.
    'stopifnot(identical(rawToChar(loadNamespace("lambdaruntime", lib.loc = .Library)$encode_json_bytes(0.1 + 0.2, identity)), "0.30000000000000004"))',
    ...packages.map((p) => `invisible(loadNamespace(${JSON.stringify(p)}))`),
    'cat(R.version.string, "|", paste(names(extSoftVersion()), extSoftVersion(), sep = "=", collapse = ", "), "\\n")',
  ].join('; ');
  const rEnv = {
    ...buildEnv(tree, environment, env),
    RHOME: path.join(tree, LAYOUT.rHome),
    R_LIBS_USER: path.join(tree, LAYOUT.siteLibrary),
  };
  const result = await run(path.join(tree, LAYOUT.rscript), ['--vanilla', '-e', expr], { env: rEnv });
  if (result.code !== 0) {
    throw new UserError(
      `the built R does not start or lacks a package: ${(result.stderr || result.stdout).trim().slice(-1500)}`,
    );
  }
  log.info(result.stdout.trim());
}
