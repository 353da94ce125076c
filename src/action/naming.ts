/**
 * Names shared by the action (its default artifact name) and the workflow scripts (the matrix), so a workflow can
 * download what the action uploaded without asking it.
 */
import type { Architecture } from '../pipeline/types.js';

export const ARTIFACT_PREFIX = 'r-lambda-layers';

/** `r-lambda-layers-4.5.2-x86_64`: one artifact per R version and architecture. */
export function defaultArtifactName(rVersion: string, architecture: Architecture | string): string {
  return `${ARTIFACT_PREFIX}-${rVersion}-${architecture}`;
}
