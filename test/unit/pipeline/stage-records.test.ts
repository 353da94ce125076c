import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StageRecord } from '../../../src/layers.js';
import {
  PACKAGES_RECORD_FILE,
  readStageRecords,
  STAGE_RECORD_FILE,
  writeStageRecords,
} from '../../../src/pipeline/stages/stage-records.js';

const record: StageRecord = {
  name: 'zlib',
  version: '1.3.1',
  url: 'https://zlib.net/zlib-1.3.1.tar.gz',
  sha256: 'a'.repeat(64),
  sha256Source: 'pinned',
  flags: ['--shared'],
  cacheKey: 'r-lambda-layer-v1-zlib-0123',
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'stage-records-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('what is written is read back, for both kinds of stage', async () => {
  await writeStageRecords(dir, 'source', { record, packages: [] });
  expect(await readStageRecords(dir, 'source')).toEqual({ record, packages: [] });
  const packages = [
    { name: 'xml2', version: '1.3.6', url: 'file:///cran/xml2_1.3.6.tar.gz', sha256: 'b'.repeat(64) },
  ];
  await writeStageRecords(dir, 'r-packages', { record: undefined, packages });
  expect(await readStageRecords(dir, 'r-packages')).toEqual({ record: undefined, packages });
  expect(await readFile(path.join(dir, STAGE_RECORD_FILE), 'utf8')).toBe('null');
});

describe('a missing or damaged record is reported with its file, never read as "no record"', () => {
  it('missing .stage.json', async () => {
    expect(await readStageRecords(dir, 'source')).toEqual({
      file: path.join(dir, STAGE_RECORD_FILE),
      problem: 'missing',
    });
  });

  it('truncated .stage.json', async () => {
    await writeFile(path.join(dir, STAGE_RECORD_FILE), JSON.stringify(record).slice(0, 40));
    const read = await readStageRecords(dir, 'source');
    expect(read).toMatchObject({
      file: path.join(dir, STAGE_RECORD_FILE),
      problem: expect.stringMatching(/^not JSON \(/),
    });
  });

  it('a source stage whose record is null (as a packages stage writes) is not a stage record', async () => {
    await writeFile(path.join(dir, STAGE_RECORD_FILE), 'null');
    expect(await readStageRecords(dir, 'source')).toEqual({
      file: path.join(dir, STAGE_RECORD_FILE),
      problem: 'not a stage record',
    });
  });

  it('a packages stage without .packages.json', async () => {
    await writeFile(path.join(dir, STAGE_RECORD_FILE), 'null');
    expect(await readStageRecords(dir, 'r-packages')).toEqual({
      file: path.join(dir, PACKAGES_RECORD_FILE),
      problem: 'missing',
    });
  });
});
