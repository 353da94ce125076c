import { UserError } from '../../../src/errors.js';
import { layerName, layerNamesFor, rVersionForName } from '../../../src/publish/layer-names.js';

const kinds = ['r', 'r_lib', 'subsystem'] as const;
const defaultNames = { r: 'r', r_lib: 'r_lib', subsystem: 'subsystem' };

describe('rVersionForName', () => {
  it('turns dots and other characters Lambda refuses into underscores', () => {
    expect(rVersionForName('4.4.1')).toBe('4_4_1');
    expect(rVersionForName('4.5.0-patched')).toBe('4_5_0-patched');
    expect(rVersionForName('devel (r87000)')).toBe('devel_r87000');
    expect(rVersionForName('...')).toBe('unknown');
  });
});

describe('layerName', () => {
  it('joins prefix, kind, R version and architecture', () => {
    expect(
      layerName({ prefix: 'r-lambda', kindName: 'r_lib', rVersion: '4.4.1', architecture: 'arm64' }),
    ).toBe('r-lambda-r_lib-4_4_1-arm64');
  });
});

describe('layerNamesFor', () => {
  it('names every kind within Lambda rules', () => {
    const names = layerNamesFor(kinds, defaultNames, 'team', '4.3.2', 'x86_64');
    expect(names).toEqual({
      r: 'team-r-4_3_2-x86_64',
      r_lib: 'team-r_lib-4_3_2-x86_64',
      subsystem: 'team-subsystem-4_3_2-x86_64',
    });
    for (const name of Object.values(names)) expect(name).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
  });

  it('refuses a name over 64 characters and names the input to shorten', () => {
    const prefix = 'p'.repeat(50);
    expect(() => layerNamesFor(kinds, defaultNames, prefix, '4.4.1', 'x86_64')).toThrow(UserError);
    expect(() => layerNamesFor(kinds, defaultNames, prefix, '4.4.1', 'x86_64')).toThrow(/64.*layer-prefix/);
  });

  it('accepts a name of exactly 64 characters', () => {
    // "-r-4_4_1-x86_64" is 15 characters.
    const names = layerNamesFor(['r'], defaultNames, 'p'.repeat(49), '4.4.1', 'x86_64');
    expect(names.r).toHaveLength(64);
  });

  it('refuses two kinds renamed to the same name', () => {
    expect(() =>
      layerNamesFor(kinds, { r: 'same', r_lib: 'same', subsystem: 'subsystem' }, 'p', '4.4.1', 'arm64'),
    ).toThrow(/r and r_lib layers would both be named "p-same-4_4_1-arm64"/);
  });
});
