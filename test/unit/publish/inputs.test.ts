import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../../../src/errors.js';
import { loadPublishInput } from '../../../src/publish/inputs.js';
import { writeFixture } from '../../support/publish-fixture.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'publish-inputs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function editManifest(edit: (m: Record<string, unknown>) => void): Promise<void> {
  const file = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(manifest);
  await writeFile(file, JSON.stringify(manifest));
}

describe('loadPublishInput', () => {
  it('reads the manifest, hashes it, and finds every zip with its size', async () => {
    const fixture = await writeFixture(dir);
    const input = await loadPublishInput(dir);
    expect(input.manifestSha256).toBe(fixture.manifestSha256);
    expect(input.layers.map((l) => [l.record.name, l.bytes, l.path])).toEqual([
      ['r', fixture.zips.r.length, path.join(dir, 'r.zip')],
      ['r_lib', fixture.zips.r_lib.length, path.join(dir, 'r_lib.zip')],
      ['subsystem', fixture.zips.subsystem.length, path.join(dir, 'subsystem.zip')],
    ]);
  });

  it('says to build first when there is no manifest', async () => {
    await expect(loadPublishInput(dir)).rejects.toThrow(/No manifest\.json in .*: build the layers first/);
  });

  it('refuses a zip whose sha256 differs from the manifest', async () => {
    const fixture = await writeFixture(dir);
    const tampered = Buffer.from(fixture.zips.r_lib);
    const at = tampered.length - 30;
    tampered.writeUInt8(tampered.readUInt8(at) ^ 0xff, at);
    await writeFile(path.join(dir, 'r_lib.zip'), tampered);
    await expect(loadPublishInput(dir)).rejects.toThrow(
      /r_lib\.zip has sha256 [0-9a-f]{64} but manifest\.json records/,
    );
  });

  it('refuses a zip whose size differs from the manifest', async () => {
    const fixture = await writeFixture(dir);
    await writeFile(
      path.join(dir, 'subsystem.zip'),
      Buffer.concat([fixture.zips.subsystem, Buffer.from('x')]),
    );
    await expect(loadPublishInput(dir)).rejects.toThrow(
      /subsystem\.zip is \d+ bytes but manifest\.json records/,
    );
  });

  it('refuses a missing zip', async () => {
    await writeFixture(dir);
    await rm(path.join(dir, 'r.zip'));
    await expect(loadPublishInput(dir)).rejects.toThrow(
      /lists r\.zip for the r layer, but .* cannot be read \(ENOENT\)/,
    );
  });

  it('refuses file names that lead out of the folder', async () => {
    await writeFixture(dir);
    await editManifest((m) => {
      (m['layers'] as Record<string, unknown>[])[0]!['file'] = '../r.zip';
    });
    await expect(loadPublishInput(dir)).rejects.toThrow(/file "\.\.\/r\.zip"; expected a file name/);
  });

  it.each([
    ['schemaVersion', 2, /schemaVersion is 2/],
    ['architecture', 'sparc', /architecture is "sparc"; expected x86_64 or arm64/],
    ['rVersion', '', /rVersion is missing/],
    ['layers', [], /lists no layers/],
  ])('refuses a manifest with a bad %s', async (field, value, message) => {
    await writeFixture(dir);
    await editManifest((m) => {
      m[field] = value;
    });
    const error = await loadPublishInput(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a manifest that is not JSON', async () => {
    await writeFile(path.join(dir, 'manifest.json'), '{"schemaVersion": 1,');
    await expect(loadPublishInput(dir)).rejects.toThrow(/manifest\.json is not valid JSON/);
  });
});
