/**
 * `r-lambda-layer publish`: a thin front over src/publish. Logs go to stderr; stdout carries only JSON
 * (the result, or the plan on a dry run) so it can be piped into jq or a file.
 */
import { Command } from 'commander';
import { consoleLogger } from '../log.js';
import { addOptionFlags, optionsFromFlags } from '../options/commander.js';
import { booleanOption } from '../options/parse.js';
import { parsePublishOptions, publishLayers } from '../publish/index.js';

export function publishCommand(): Command {
  // The flags come from the option table; defaults are shown in the help but applied by parsePublishOptions.
  const command = new Command('publish').description(
    'Publish the layers of a build (manifest.json and its zips) to AWS Lambda in one or more regions. ' +
      'Credentials and endpoints come from the standard AWS chain (environment, profile, web identity). ' +
      "Prints JSON mapping region to each layer's ARN and version.",
  );
  return addOptionFlags(command, 'publish').action(async (flags: Record<string, unknown>) => {
    const raw = optionsFromFlags(flags, 'publish');
    const options = parsePublishOptions(raw);
    const log = consoleLogger({ verbose: booleanOption(raw, 'verbose') });
    const { plan, published } = await publishLayers(options, { log });
    const output = options.dryRun ? plan : published;
    process.stdout.write(JSON.stringify(output, null, 2) + '\n');
  });
}
