import {
  owningPackage,
  parseDpkgSearch,
  parseDpkgShow,
  parseRpmOwner,
} from '../../../src/pipeline/tree/os-packages.js';
import { existsSync } from 'node:fs';

describe('owning OS packages', () => {
  it('reads rpm -qf, dropping epoch 0, and refuses "not owned"', () => {
    expect(parseRpmOwner('libgfortran\t0:11.4.1-2.amzn2023.0.2\tx86_64\n')).toEqual({
      type: 'rpm',
      name: 'libgfortran',
      version: '11.4.1-2.amzn2023.0.2',
      arch: 'x86_64',
    });
    expect(parseRpmOwner('openssl-libs\t1:3.0.8-1.amzn2023\tx86_64')?.version).toBe('1:3.0.8-1.amzn2023');
    expect(parseRpmOwner('file /usr/local/lib/libx.so is not owned by any package\n')).toBeUndefined();
  });

  it('reads dpkg-query -S and -W', () => {
    expect(parseDpkgSearch('libgfortran5:amd64: /usr/lib/x86_64-linux-gnu/libgfortran.so.5.0.0\n')).toBe(
      'libgfortran5:amd64',
    );
    expect(parseDpkgSearch('diversion by foo from: /x\nlibc6:amd64, libc6-dev:amd64: /usr/lib/x')).toBe(
      'libc6:amd64',
    );
    expect(parseDpkgSearch('dpkg-query: no path found matching pattern /x')).toBeUndefined();
    expect(parseDpkgShow('libgfortran5\t12.2.0-14+deb12u1\tamd64')).toEqual({
      type: 'deb',
      name: 'libgfortran5',
      version: '12.2.0-14+deb12u1',
      arch: 'amd64',
    });
  });

  const onDebian = existsSync('/usr/bin/dpkg-query') && existsSync('/lib/x86_64-linux-gnu/libc.so.6');
  (onDebian ? it : it.skip)(
    'asks the real package database of this host (through the soname symlink)',
    async () => {
      expect(await owningPackage('/lib/x86_64-linux-gnu/libc.so.6')).toMatchObject({
        type: 'deb',
        name: 'libc6',
      });
      expect(await owningPackage('/nonexistent/libnothing.so.1')).toBeUndefined();
    },
  );
});
