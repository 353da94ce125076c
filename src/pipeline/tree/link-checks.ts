/**
 * R must use the layer's libraries. R's binary and libR.so link pcre2, lzma, bz2 and zlib; its internet module links
 * curl (and through it ssl). ldd lists what each needs, transitively: every one of those libraries must be found in
 * the layer's lib/, never on the build host.
 */
import path from 'node:path';
import { UserError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { run } from '../../util/exec.js';
import { LAYOUT } from '../../layers.js';

/** Libraries R must take from the layer, never from the build host (issue: "check it did"). */
export const R_LINKS_FROM_LAYER = [
  'libcurl',
  'libssl',
  'libcrypto',
  'libpcre2-8',
  'liblzma',
  'libbz2',
  'libz',
];

/** The files of R's home whose links are checked. */
export const R_LINKED_FILES = ['lib/libR.so', 'bin/exec/R', 'modules/internet.so'];

/**
 * Check R's links. `rHomePrefix` is where R/ lies (a staging folder, or the layer tree); `libDir` is the folder every
 * library of R_LINKS_FROM_LAYER must come from.
 */
export async function checkRLinks(rHomePrefix: string, libDir: string, log: Logger): Promise<void> {
  const rHome = path.join(rHomePrefix, LAYOUT.rHome);
  // What R's own start-up script sets (etc/ldpaths), plus the layer's lib/.
  const env = { ...process.env, LD_LIBRARY_PATH: `${libDir}:${rHome}/lib` };
  const seen = new Set<string>();
  for (const binary of R_LINKED_FILES) {
    const file = path.join(rHome, binary);
    const ldd = await run('ldd', [file], { env });
    // ldd's own failure (no such file, not a dynamic executable) says nothing about how R was configured: report it.
    if (ldd.code !== 0) {
      const said = (ldd.stderr || ldd.stdout).trim().slice(-1000) || 'no output';
      throw new UserError(
        `cannot check which libraries R's ${binary} links: \`ldd ${file}\` exited with ${ldd.code} (${said}). ` +
          'The R stage did not leave a complete dynamic R there; see its build log (logs/R.log).',
      );
    }
    for (const lib of R_LINKS_FROM_LAYER) {
      const line = ldd.stdout.split('\n').find((l) => l.trim().startsWith(`${lib}.so`));
      if (!line) continue; // not every file links every library
      if (!line.includes(`=> ${libDir}/`)) {
        throw new UserError(
          `R's ${binary} takes ${lib} from outside the layer (${line.trim()}); R was not linked against the layer's own build.`,
        );
      }
      seen.add(lib);
    }
    log.info(
      `R ${binary}: ${R_LINKS_FROM_LAYER.filter((lib) => ldd.stdout.includes(`${lib}.so`)).join(', ')} from ${libDir}`,
    );
  }
  const absent = R_LINKS_FROM_LAYER.filter((lib) => !seen.has(lib));
  if (absent.length) {
    throw new UserError(
      `R does not link ${absent.join(', ')} at all; check the R stage's configure log (logs/R.log).`,
    );
  }
}
