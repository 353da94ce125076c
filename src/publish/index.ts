/**
 * The publisher's public surface, used by the CLI (`r-lambda-layer publish`) and the action (`publish: true`).
 */
export {
  publishLayers,
  preparePublish,
  type PublishDeps,
  type PublishedLayer,
  type PublishResult,
} from './publish-layers.js';
export {
  parsePublishOptions,
  PUBLISH_DEFAULTS,
  PUBLISH_INPUTS,
  REGION_PLACEHOLDER,
  type PublishOptions,
  type RawPublishOptions,
} from './options.js';
export {
  formatPlan,
  type PlannedLayer,
  type PublishPlan,
  type RegionPlan,
  type UploadMethod,
} from './plan.js';
export {
  AwsLayerPublisher,
  awsPublisherFactory,
  type ExistingLayerVersion,
  type GrantOutcome,
  type LayerContent,
  type LayerPublisher,
  type PublishedVersion,
  type PublishLayerRequest,
  type PublisherFactory,
} from './publisher.js';
export { formatSharing, type SharingGrant } from './sharing.js';
export { IAM_ACTIONS } from './aws-errors.js';
