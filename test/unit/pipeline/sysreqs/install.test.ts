import { aptReason, debProvider } from '../../../../src/pipeline/sysreqs/install.js';

describe('apt answers', () => {
  it('keeps the E: lines of a dry run as the reason', () => {
    expect(aptReason('Reading package lists...\nE: Unable to locate package nope\n')).toBe(
      'Unable to locate package nope',
    );
    expect(aptReason("E: Package 'x' has no installation candidate\nE: second")).toBe(
      "Package 'x' has no installation candidate; second",
    );
  });

  it('finds the installed package that provides a virtual name', () => {
    const listing = [
      'apt\t2.6.1\tamd64\tinstall ok installed\tapt-transport-https (= 2.6.1)',
      'libmariadb-dev-compat\t1:10.11.6\tamd64\tinstall ok installed\tlibmysqlclient-dev',
      'old\t1.0\tamd64\tdeinstall ok config-files\tlibfoo-dev',
    ].join('\n');
    expect(debProvider('libmysqlclient-dev', listing)).toEqual({
      name: 'libmariadb-dev-compat',
      version: '1:10.11.6',
      arch: 'amd64',
      type: 'deb',
    });
    expect(debProvider('apt-transport-https', listing)?.name).toBe('apt');
    expect(debProvider('libfoo-dev', listing)).toBeUndefined();
  });
});
