/**
 * `r-lambda-layer build`: a thin front over the pipeline. Its flags are derived from the option table
 * (src/options/declarations.ts) and parsed by parseBuildOptions, as the action's inputs are.
 */
import { Command } from 'commander';
import { consoleLogger } from '../log.js';
import { addOptionFlags, optionsFromFlags } from '../options/commander.js';
import { booleanOption } from '../options/parse.js';
import { buildLayers } from '../pipeline/build.js';
import { LocalDirectoryCache } from '../cache/local-directory.js';
import { parseBuildOptions } from '../pipeline/plan/options.js';
import { loadRecipe, sourceStageNames } from '../pipeline/plan/recipe.js';

export function buildCommand(): Command {
  const command = new Command('build').description(
    'Build native libraries and R from source into the prefix, then write r.zip, r_lib.zip, subsystem.zip, manifest.json and sbom.cdx.json.',
  );
  addOptionFlags(command, 'build');
  return command.action(async (flags: Record<string, unknown>) => {
    const raw = optionsFromFlags(flags, 'build');
    const recipe = loadRecipe();
    const options = parseBuildOptions(raw, sourceStageNames(recipe));
    const log = consoleLogger({ verbose: booleanOption(raw, 'verbose') });
    const result = await buildLayers(options, {
      cache: new LocalDirectoryCache(options.cacheDir),
      log,
      recipe,
    });
    const hits = result.stages.filter((s) => s.cacheHit).length;
    log.info(
      `done: R ${result.rVersion}, ${hits}/${result.stages.length} stages from cache; layers in ${result.outDir}`,
    );
    process.stdout.write(
      JSON.stringify(
        {
          rVersion: result.rVersion,
          zips: result.zips,
          manifest: result.manifestPath,
          stages: result.stages,
        },
        null,
        2,
      ) + '\n',
    );
  });
}
