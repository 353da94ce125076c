/**
 * `r-lambda-layer publish`: a thin front over src/publish. Logs go to stderr; stdout carries only JSON
 * (the result, or the plan on a dry run) so it can be piped into jq or a file.
 */
import { Command } from 'commander';
import { consoleLogger } from '../log.js';
import {
  parsePublishOptions,
  publishLayers,
  PUBLISH_DEFAULTS,
  REGION_PLACEHOLDER,
  type RawPublishOptions,
} from '../publish/index.js';

interface PublishFlags extends RawPublishOptions {
  verbose?: boolean;
}

export function publishCommand(): Command {
  // Defaults are shown in the help but applied by parsePublishOptions, the one place that validates inputs.
  return new Command('publish')
    .description(
      'Publish the layers of a build (manifest.json and its zips) to AWS Lambda in one or more regions. ' +
        'Credentials and endpoints come from the standard AWS chain (environment, profile, web identity). ' +
        "Prints JSON mapping region to each layer's ARN and version.",
    )
    .option('--out <dir>', `folder with manifest.json and the zips (default: ${PUBLISH_DEFAULTS.out})`)
    .option('--regions <list>', 'comma-separated regions to publish to, e.g. us-east-1,eu-west-1 (required)')
    .option(
      '--sharing <who>',
      'private | public | account:123456789012 | organization:o-xxxxxxxxxx; several accounts or organizations ' +
        `separated by commas (default: ${PUBLISH_DEFAULTS.sharing})`,
    )
    .option(
      '--layer-prefix <prefix>',
      `first part of every layer name (default: ${PUBLISH_DEFAULTS.layerPrefix})`,
    )
    .option('--layer-names <map>', 'rename layer kinds, e.g. r=R,r_lib=packages,subsystem=system')
    .option(
      '--s3-bucket <bucket>',
      `bucket for zips over 50 MB, in the region published to; ${REGION_PLACEHOLDER} is replaced by each region`,
    )
    .option('--s3-prefix <prefix>', `key prefix for uploaded zips (default: ${PUBLISH_DEFAULTS.s3Prefix})`)
    .option('--dry-run', 'print what would be published and make no API call')
    .option('--verbose', 'more detail (upload progress)')
    .action(async (flags: PublishFlags) => {
      const options = parsePublishOptions(flags);
      const log = consoleLogger({ verbose: flags.verbose === true });
      const { plan, published } = await publishLayers(options, { log });
      const output = options.dryRun ? plan : published;
      process.stdout.write(JSON.stringify(output, null, 2) + '\n');
    });
}
