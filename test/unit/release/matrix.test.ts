import {
  buildMatrix,
  outputLines,
  parseArchitecture,
  parseList,
  RUNNERS,
} from '../../../src/release/matrix.js';

describe('parseList', () => {
  it('reads JSON lists and comma or space lists', () => {
    expect(parseList('r-versions', '["4.5.2", "4.4.3"]')).toEqual(['4.5.2', '4.4.3']);
    expect(parseList('r-versions', '4.5.2, 4.4.3\n4.3.3')).toEqual(['4.5.2', '4.4.3', '4.3.3']);
    expect(parseList('r-versions', '  ')).toEqual([]);
    expect(() => parseList('r-versions', '["4.5.2"')).toThrow(/^r-versions: \["4\.5\.2" is not a JSON list/);
    expect(() => parseList('r-versions', '[{"a":1}]')).toThrow(/^r-versions: .* is not a list of strings/);
  });
});

describe('buildMatrix', () => {
  it('crosses R versions with architectures, each cell with its runner and artifact name', () => {
    expect(buildMatrix(['4.5.2', '4.4.3'], ['x86_64', 'arm64'])).toEqual({
      include: [
        {
          'r-version': '4.4.3',
          architecture: 'x86_64',
          runner: 'ubuntu-latest',
          'artifact-name': 'r-lambda-layers-4.4.3-x86_64',
        },
        {
          'r-version': '4.4.3',
          architecture: 'arm64',
          runner: 'ubuntu-24.04-arm',
          'artifact-name': 'r-lambda-layers-4.4.3-arm64',
        },
        {
          'r-version': '4.5.2',
          architecture: 'x86_64',
          runner: 'ubuntu-latest',
          'artifact-name': 'r-lambda-layers-4.5.2-x86_64',
        },
        {
          'r-version': '4.5.2',
          architecture: 'arm64',
          runner: 'ubuntu-24.04-arm',
          'artifact-name': 'r-lambda-layers-4.5.2-arm64',
        },
      ],
    });
    expect(RUNNERS).toEqual({ x86_64: 'ubuntu-latest', arm64: 'ubuntu-24.04-arm' });
  });

  it('drops duplicates and keeps "release" for the caller to resolve', () => {
    expect(buildMatrix(['4.5.2', '4.5.2'], ['arm64', 'arm64']).include).toHaveLength(1);
    expect(buildMatrix(['release'], ['x86_64']).include[0]).toMatchObject({
      'r-version': 'release',
      'artifact-name': 'r-lambda-layers-release-x86_64',
    });
  });

  it('refuses a bad R version with the accepted form, naming the list input', () => {
    expect(() => buildMatrix(['4.5'], ['x86_64'])).toThrow(
      /^r-versions: "4\.5" is not a valid R version; use an exact version such as 4\.4\.1/,
    );
  });

  it("refuses an unknown architecture, pointing at Lambda's name", () => {
    expect(() => buildMatrix(['4.5.2'], ['amd64'])).toThrow(
      'architectures: "amd64" is not a Lambda architecture (Lambda calls it x86_64); use x86_64 or arm64.',
    );
    expect(() => parseArchitecture('ppc64le')).toThrow(
      'architectures: "ppc64le" is not a Lambda architecture; use x86_64 or arm64.',
    );
  });

  it('refuses an empty matrix', () => {
    expect(() => buildMatrix([], ['x86_64'])).toThrow(/^r-versions: no R version given/);
    expect(() => buildMatrix(['4.5.2'], [])).toThrow(/^architectures: no architecture given/);
  });
});

describe('outputLines', () => {
  it('writes name=value lines of compact JSON for $GITHUB_OUTPUT', () => {
    const matrix = buildMatrix(['4.5.2'], ['x86_64']);
    expect(outputLines({ matrix: JSON.stringify(matrix), count: 1 })).toBe(
      'matrix={"include":[{"r-version":"4.5.2","architecture":"x86_64","runner":"ubuntu-latest","artifact-name":"r-lambda-layers-4.5.2-x86_64"}]}\ncount=1\n',
    );
    expect(() => outputLines({ x: 'a\nb' })).toThrow('output x spans several lines');
  });
});
