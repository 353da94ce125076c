/** The artifact sinks, with the artifact service's client replaced at the edge (GitHub's hosted artifact service). */
import { jest } from '@jest/globals';
import type { UploadArtifactOptions, UploadArtifactResponse } from '@actions/artifact';
import { GitHubArtifactSink } from '../../../src/action/github-artifacts.js';
import { LocalArtifactSink } from '../../../src/action/artifacts.js';
import { memoryLogger } from '../../../src/log.js';

const files = [
  '/w/layers/r.zip',
  '/w/layers/r_lib.zip',
  '/w/layers/subsystem.zip',
  '/w/layers/manifest.json',
];

describe('GitHubArtifactSink', () => {
  it('uploads the three zips and manifest.json as one artifact, with the retention asked for', async () => {
    const uploadArtifact = jest
      .fn<(n: string, f: string[], r: string, o?: UploadArtifactOptions) => Promise<UploadArtifactResponse>>()
      .mockResolvedValue({ id: 7, size: 1234 });
    const log = memoryLogger();
    await new GitHubArtifactSink(log, { uploadArtifact }).upload(
      'r-lambda-layers-4.5.2-x86_64',
      files,
      '/w/layers',
      5,
    );
    expect(uploadArtifact).toHaveBeenCalledWith('r-lambda-layers-4.5.2-x86_64', files, '/w/layers', {
      compressionLevel: 0,
      retentionDays: 5,
    });
    expect(log.lines[0]).toBe(
      'artifact "r-lambda-layers-4.5.2-x86_64": r.zip, r_lib.zip, subsystem.zip, manifest.json (1234 bytes, id 7), kept 5 days',
    );
  });

  it('leaves retention to the repository when not given, and explains a failed upload', async () => {
    const uploadArtifact = jest
      .fn<(n: string, f: string[], r: string, o?: UploadArtifactOptions) => Promise<UploadArtifactResponse>>()
      .mockRejectedValue(
        new Error('Conflict: an artifact with this name already exists on the workflow run'),
      );
    const sink = new GitHubArtifactSink(memoryLogger(), { uploadArtifact });
    await expect(sink.upload('a', files, '/w/layers')).rejects.toThrow(
      /^Uploading the artifact "a" failed: Conflict: .* The layers are still in \/w\/layers\. .*set artifact-name to a unique name\.$/,
    );
    expect(uploadArtifact.mock.calls[0]?.[3]).toEqual({ compressionLevel: 0 });
  });
});

describe('LocalArtifactSink', () => {
  it('leaves the files in the out folder and says so', async () => {
    const log = memoryLogger();
    await new LocalArtifactSink(log).upload('a', files, '/w/layers');
    expect(log.lines).toEqual([
      'not in GitHub Actions, so no artifact is uploaded: the files of "a" stay in /w/layers (r.zip, r_lib.zip, subsystem.zip, manifest.json)',
    ]);
  });
});
