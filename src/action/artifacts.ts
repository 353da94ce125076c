/**
 * Where the finished zips, manifest and SBOM go besides the output folder: GitHub's artifact service in Actions
 * (github-artifacts.ts), or nowhere else outside it (LocalArtifactSink, here). The stage cache is in src/cache/.
 */
import path from 'node:path';
import type { Logger } from '../log.js';

export interface ArtifactSink {
  readonly name: string;
  upload(artifactName: string, files: string[], rootDir: string, retentionDays?: number): Promise<void>;
}

/**
 * Outside GitHub Actions (no runtime token) there is no artifact service: the files stay in the output folder,
 * and the log says where.
 */
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
