/** The artifact sink over @actions/artifact: the three zips and manifest.json as one artifact of the workflow run. */
import {
  DefaultArtifactClient,
  type UploadArtifactOptions,
  type UploadArtifactResponse,
} from '@actions/artifact';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ArtifactSink } from './artifacts.js';

export interface ArtifactUploader {
  uploadArtifact(
    name: string,
    files: string[],
    rootDirectory: string,
    options?: UploadArtifactOptions,
  ): Promise<UploadArtifactResponse>;
}

export class GitHubArtifactSink implements ArtifactSink {
  readonly name = 'GitHub artifacts';

  constructor(
    private readonly log: Logger,
    private readonly client: ArtifactUploader = new DefaultArtifactClient(),
  ) {}

  async upload(
    artifactName: string,
    files: string[],
    rootDir: string,
    retentionDays?: number,
  ): Promise<void> {
    // The zips are already compressed: compressing them again costs time and saves nothing.
    const options: UploadArtifactOptions = {
      compressionLevel: 0,
      ...(retentionDays !== undefined && { retentionDays }),
    };
    let response: UploadArtifactResponse;
    try {
      response = await this.client.uploadArtifact(artifactName, files, rootDir, options);
    } catch (error) {
      throw new UserError(
        `Uploading the artifact "${artifactName}" failed: ${(error as Error).message}. ` +
          `The layers are still in ${rootDir}. If an artifact of that name already exists in this run, set artifact-name to a unique name.`,
        { cause: error },
      );
    }
    this.log.info(
      `artifact "${artifactName}": ${files.map((f) => path.basename(f)).join(', ')}` +
        (response.size !== undefined
          ? ` (${response.size} bytes` + (response.id !== undefined ? `, id ${response.id})` : ')')
          : '') +
        (retentionDays !== undefined ? `, kept ${retentionDays} days` : ''),
    );
  }
}
