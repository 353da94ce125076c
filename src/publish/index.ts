/** The publisher's surface for the CLI (`r-lambda-layer publish`) and the action (`publish: true`). */
export { publishLayers, type PublishResult } from './publish-layers.js';
export { parsePublishOptions, REGION_PLACEHOLDER, type PublishOptions } from './options.js';
