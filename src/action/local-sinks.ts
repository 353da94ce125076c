/**
 * Outside GitHub Actions (no runtime token) there is no artifact service: the files stay in the output folder,
 * and the log says where. The stage cache there is the pipeline's LocalDirectoryCache.
 */
import path from 'node:path';
import type { Logger } from '../log.js';
import type { ArtifactSink } from '../pipeline/types.js';

export class LocalArtifactSink implements ArtifactSink {
  readonly name = 'local folder';
  constructor(private readonly log: Logger) {}

  async upload(artifactName: string, files: string[], rootDir: string): Promise<void> {
    this.log.info(
      `not in GitHub Actions, so no artifact is uploaded: the files of "${artifactName}" stay in ${rootDir} ` +
        `(${files.map((f) => path.relative(rootDir, f) || f).join(', ')})`,
    );
  }
}
