/** The publisher's surface for the CLI (`r-lambda-layer publish`) and the action (`publish: true`). */
export { publishLayers, type PublishResult } from './publish-layers.js';
export {
  parsePublishOptions,
  PUBLISH_DEFAULTS,
  PUBLISH_INPUTS,
  REGION_PLACEHOLDER,
  type PublishOptions,
  type RawPublishOptions,
} from './options.js';
