/**
 * The workflows' script: `matrix` (the reusable build workflow's setup job), `check-releases` and `record` (the
 * scheduled rebuild). Thin: the logic is in the pure modules beside it. Each subcommand prints its result as JSON
 * and, in Actions, appends `name=value` lines to $GITHUB_OUTPUT.
 *
 *   tsx src/release/main.ts matrix --r-versions '["4.5.2"]' --architectures x86_64,arm64
 *   tsx src/release/main.ts check-releases [--versions-file F] [--force 4.5.2] [--minimum 4.5.0]
 *   tsx src/release/main.ts record --versions '["4.5.2"]' [--versions-file F]
 */
import { appendFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { errorMessage } from '../errors.js';
import { resolveRelease } from '../pipeline/plan/r-versions.js';
import { CRAN_R_SOURCES, fetchCranReleases } from './cran-releases.js';
import { buildMatrix, outputLines, parseList } from './matrix.js';
import { newReleases } from './new-releases.js';
import {
  DEFAULT_VERSIONS_FILE,
  readVersionsFile,
  recordVersions,
  writeVersionsFile,
} from './versions-file.js';

function emit(result: unknown, outputs: Record<string, string | number>): void {
  process.stdout.write(JSON.stringify(result) + '\n');
  const file = process.env.GITHUB_OUTPUT;
  if (file) appendFileSync(file, outputLines(outputs));
}

export function program(): Command {
  const command = new Command('release').description('Build matrix and R release checks for the workflows.');
  command
    .command('matrix')
    .description(
      'R versions × architectures → the build matrix (compact JSON); "release" is resolved on CRAN',
    )
    .requiredOption('--r-versions <list>', 'JSON list or comma list of R versions (x.y.z or release)')
    .option('--architectures <list>', 'JSON list or comma list: x86_64, arm64', 'x86_64,arm64')
    .action(async (flags: { rVersions: string; architectures: string }) => {
      const requested = parseList('r-versions', flags.rVersions);
      const architectures = parseList('architectures', flags.architectures);
      // Validate everything before asking CRAN anything.
      buildMatrix(requested, architectures);
      const release = requested.includes('release') ? await resolveRelease() : undefined;
      const matrix = buildMatrix(
        requested.map((v) => (v === 'release' && release ? release : v)),
        architectures,
      );
      emit(matrix, { matrix: JSON.stringify(matrix), count: matrix.include.length });
    });
  command
    .command('check-releases')
    .description("CRAN's R releases that are not in the versions file yet (or the forced ones)")
    .option('--versions-file <file>', 'versions already built', DEFAULT_VERSIONS_FILE)
    .option('--force <list>', 'build these versions even if built before')
    .option('--minimum <version>', "ignore releases older than this (default: the file's minimumVersion)")
    .option('--listing <url>', "CRAN's directory of R sources", CRAN_R_SOURCES)
    .action(async (flags: { versionsFile: string; force?: string; minimum?: string; listing: string }) => {
      const file = await readVersionsFile(flags.versionsFile);
      const releases = (await fetchCranReleases(flags.listing)).map((r) => r.version);
      const force = flags.force ? parseList('force-version', flags.force) : [];
      const versions = newReleases({
        releases,
        built: file.built,
        minimumVersion: flags.minimum || file.minimumVersion,
        force,
      });
      process.stderr.write(
        `CRAN lists ${releases.length} R releases (newest ${releases.at(-1)}); built: ${file.built.join(', ') || 'none'}; ` +
          `to build: ${versions.join(', ') || 'none'}\n`,
      );
      emit(versions, { versions: JSON.stringify(versions), count: versions.length });
    });
  command
    .command('record')
    .description('Add versions to the versions file (after they were built)')
    .requiredOption('--versions <list>', 'JSON list or comma list of exact R versions')
    .option('--versions-file <file>', 'the file to update', DEFAULT_VERSIONS_FILE)
    .action(async (flags: { versions: string; versionsFile: string }) => {
      const file = await readVersionsFile(flags.versionsFile);
      const updated = recordVersions(file, parseList('versions', flags.versions));
      await writeVersionsFile(flags.versionsFile, updated);
      emit(updated, { built: JSON.stringify(updated.built) });
    });
  return command;
}

async function main(): Promise<void> {
  try {
    await program().exitOverride().parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    process.stderr.write(`error: ${errorMessage(error)}\n`);
    process.exit(1);
  }
}

await main();
