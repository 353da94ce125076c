import { unavailableMessage } from '../../../../src/pipeline/sysreqs/provide.js';

describe('the message for requirements that cannot be met', () => {
  it('names the R package, its SystemRequirements, the OS packages tried and why, and how to supply them', () => {
    const message = unavailableMessage(
      {
        platform: 'amzn 2023',
        unavailable: [
          {
            package: 'sodium',
            text: 'libsodium (>= 1.0.3)',
            rule: 'libsodium',
            packages: ['libsodium-devel'],
            reason: 'on redhat it needs EPEL, which amzn 2023 does not have',
          },
        ],
      },
      [
        {
          need: { name: 'fftw-devel', for: ['fftw'], rules: ['fftw3'] },
          reason: "no package fftw-devel in this host's enabled dnf repositories",
        },
      ],
      new Map([['fftw', 'fftw3 (>= 3.1.2)']]),
    );
    expect(message.split('\n')).toEqual([
      'System requirements that cannot be met on amzn 2023:',
      '  R package sodium (SystemRequirements: "libsodium (>= 1.0.3)"): rule libsodium, OS packages libsodium-devel: on redhat it needs EPEL, which amzn 2023 does not have.',
      '  OS package fftw-devel, for R package fftw (SystemRequirements: "fftw3 (>= 3.1.2)") (rule fftw3): no package fftw-devel in this host\'s enabled dnf repositories.',
      'Supply it another way: name an OS package that provides it in system-packages (--system-packages), or build the library from source as an extra stage (extra-stages, --extra-stages) with `provides: [RULE]`. Nothing was compiled, cached or zipped.',
    ]);
  });
});
