import { UserError } from '../../../src/errors.js';
import { parsePublishOptions } from '../../../src/publish/options.js';

const base = { regions: 'us-east-1' };

describe('parsePublishOptions', () => {
  it('fills defaults for everything but the regions', () => {
    expect(parsePublishOptions(base)).toEqual({
      outDir: 'layers',
      regions: ['us-east-1'],
      sharing: [],
      layerPrefix: 'r-lambda',
      kindNames: { r: 'r', r_lib: 'r_lib', subsystem: 'subsystem' },
      s3Bucket: undefined,
      s3Prefix: 'r-lambda-layer/',
      dryRun: false,
    });
  });

  it('treats empty strings (unset action inputs) as not given', () => {
    const options = parsePublishOptions({
      ...base,
      'out-dir': '',
      sharing: '',
      'layer-prefix': ' ',
      's3-bucket': '',
      'dry-run': '',
    });
    expect(options.outDir).toBe('layers');
    expect(options.sharing).toEqual([]);
    expect(options.layerPrefix).toBe('r-lambda');
    expect(options.s3Bucket).toBeUndefined();
    expect(options.dryRun).toBe(false);
  });

  describe('regions', () => {
    it('reads a comma, space or newline separated list and drops duplicates', () => {
      expect(
        parsePublishOptions({ regions: 'us-east-1, eu-west-1\nap-southeast-2,us-east-1' }).regions,
      ).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-2']);
      expect(parsePublishOptions({ regions: ['us-gov-west-1', 'cn-north-1'] }).regions).toEqual([
        'us-gov-west-1',
        'cn-north-1',
      ]);
    });

    it('requires at least one region, naming the input and the accepted form', () => {
      expect(() => parsePublishOptions({})).toThrow(UserError);
      expect(() => parsePublishOptions({ regions: ' ' })).toThrow(
        'regions (--regions): no region given; publishing needs at least one; use a comma-separated list of AWS regions such as us-east-1,eu-west-1.',
      );
    });

    it('refuses what is not a region name', () => {
      expect(() => parsePublishOptions({ regions: 'us-east-1;eu-west-1' })).toThrow(
        /"us-east-1;eu-west-1" is not an AWS region/,
      );
      expect(() => parsePublishOptions({ regions: 'US-EAST-1' })).toThrow(/regions/);
      expect(() => parsePublishOptions({ regions: 'useast1' })).toThrow(/regions/);
    });
  });

  describe('sharing', () => {
    it.each([
      ['private', []],
      ['public', [{ kind: 'public' }]],
      ['account:123456789012', [{ kind: 'account', accountId: '123456789012' }]],
      ['organization:o-a1b2c3d4e5', [{ kind: 'organization', organizationId: 'o-a1b2c3d4e5' }]],
      ['organisation:o-a1b2c3d4e5', [{ kind: 'organization', organizationId: 'o-a1b2c3d4e5' }]],
      [
        'account:123456789012,account:210987654321,account:123456789012',
        [
          { kind: 'account', accountId: '123456789012' },
          { kind: 'account', accountId: '210987654321' },
        ],
      ],
    ])('reads %s', (sharing, grants) => {
      expect(parsePublishOptions({ ...base, sharing }).sharing).toEqual(grants);
    });

    it.each([
      ['account:12345', /an account id is 12 digits/],
      ['organization:acme', /organization id looks like o-/],
      ['everyone', /"everyone" is not a sharing mode/],
      ['private,public', /"private" cannot be combined/],
      ['public,account:123456789012', /"public" already shares with everyone/],
    ])('refuses %s with a message naming the input and the accepted form', (sharing, problem) => {
      let message = '';
      try {
        parsePublishOptions({ ...base, sharing });
      } catch (error) {
        expect(error).toBeInstanceOf(UserError);
        message = (error as Error).message;
      }
      expect(message).toMatch(problem);
      expect(message).toMatch(/^sharing \(--sharing\): /);
      expect(message).toContain('private | public | account:123456789012 | organization:o-xxxxxxxxxx');
    });
  });

  it('renames layer kinds and refuses unknown kinds or unusable names', () => {
    expect(parsePublishOptions({ ...base, 'layer-names': 'r=R,subsystem=sys' }).kindNames).toEqual({
      r: 'R',
      r_lib: 'r_lib',
      subsystem: 'sys',
    });
    expect(() => parsePublishOptions({ ...base, 'layer-names': 'python=py' })).toThrow(
      /^layer-names \(--layer-names\): "python=py" does not name a layer kind; use kind=name pairs/,
    );
    expect(() => parsePublishOptions({ ...base, 'layer-names': 'r=my.r' })).toThrow(
      /layer-names.*not usable in a layer name/,
    );
  });

  it('refuses a layer prefix Lambda would refuse', () => {
    expect(() => parsePublishOptions({ ...base, 'layer-prefix': 'my team' })).toThrow(
      /^layer-prefix \(--layer-prefix\)/,
    );
  });

  it('checks the bucket name, with {region} allowed', () => {
    expect(parsePublishOptions({ ...base, 's3-bucket': 'my-layers-{region}' }).s3Bucket).toBe(
      'my-layers-{region}',
    );
    expect(() => parsePublishOptions({ ...base, 's3-bucket': 'My_Bucket' })).toThrow(
      /^s3-bucket \(--s3-bucket\): "My_Bucket" is not a valid bucket name; use an S3 bucket name/,
    );
    expect(() => parsePublishOptions({ ...base, 's3-bucket': 's3://bucket' })).toThrow(/s3-bucket/);
  });

  it('normalises the S3 key prefix', () => {
    expect(parsePublishOptions({ ...base, 's3-prefix': '/builds/r' }).s3Prefix).toBe('builds/r/');
    expect(parsePublishOptions({ ...base, 's3-prefix': 'x/' }).s3Prefix).toBe('x/');
    expect(() => parsePublishOptions({ ...base, 's3-prefix': 'a/../b' })).toThrow(
      /^s3-prefix \(--s3-prefix\)/,
    );
  });

  it('reads dry-run as a strict boolean', () => {
    expect(parsePublishOptions({ ...base, 'dry-run': 'TRUE' }).dryRun).toBe(true);
    expect(parsePublishOptions({ ...base, 'dry-run': 'false' }).dryRun).toBe(false);
    expect(() => parsePublishOptions({ ...base, 'dry-run': 'yes' })).toThrow(
      'dry-run (--dry-run): "yes" is not a boolean; use true or false.',
    );
  });
});
