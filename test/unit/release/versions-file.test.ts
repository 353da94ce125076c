import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  formatVersionsFile,
  parseVersionsFile,
  readVersionsFile,
  recordVersions,
  writeVersionsFile,
} from '../../../src/release/versions-file.js';

describe('versions file', () => {
  it('parses, records (sorted, no duplicates) and formats', () => {
    const file = parseVersionsFile('{"minimumVersion":"4.5.0","built":["4.5.1","4.5.0"]}');
    expect(file).toEqual({ minimumVersion: '4.5.0', built: ['4.5.0', '4.5.1'] });
    const updated = recordVersions(file, ['4.5.10', '4.5.2', '4.5.1']);
    expect(updated.built).toEqual(['4.5.0', '4.5.1', '4.5.2', '4.5.10']);
    expect(formatVersionsFile(updated)).toBe(
      '{\n  "minimumVersion": "4.5.0",\n  "built": [\n    "4.5.0",\n    "4.5.1",\n    "4.5.2",\n    "4.5.10"\n  ]\n}\n',
    );
  });

  it('refuses malformed content with the expected shape', () => {
    expect(() => parseVersionsFile('{"built":"4.5.0"}', 'f.json')).toThrow(
      /^f\.json: "built" is not a list of exact R versions; expected \{"minimumVersion"/,
    );
    expect(() => parseVersionsFile('[]', 'f.json')).toThrow(/not a JSON object/);
    expect(() => parseVersionsFile('{', 'f.json')).toThrow(/^f\.json is not valid JSON/);
    expect(() => recordVersions({ built: [] }, ['release'])).toThrow(
      'record: "release" is not an exact R version such as 4.5.2.',
    );
  });

  it('reads a missing file as nothing built, and writes it back', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'versions-'));
    try {
      const file = path.join(dir, 'built.json');
      expect(await readVersionsFile(file)).toEqual({ built: [] });
      await writeVersionsFile(file, { built: ['4.5.2'] });
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ built: ['4.5.2'] });
      await writeFile(file, '{"built": ["x"]}');
      await expect(readVersionsFile(file)).rejects.toThrow(/"built" is not a list of exact R versions/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the committed data/built-r-versions.json is valid', async () => {
    const file = await readVersionsFile(path.join(process.cwd(), 'data', 'built-r-versions.json'));
    expect(file.minimumVersion).toMatch(/^4\.\d+\.\d+$/);
  });
});
