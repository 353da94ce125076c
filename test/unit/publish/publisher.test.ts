import { hasS3EndpointOverride } from '../../../src/publish/publisher.js';

describe('hasS3EndpointOverride', () => {
  it('is true when the SDK will use an endpoint override for S3, so path style is needed', () => {
    expect(hasS3EndpointOverride({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' })).toBe(true);
    expect(hasS3EndpointOverride({ AWS_ENDPOINT_URL: 'http://localhost:4566' })).toBe(true);
  });

  it('is false for real AWS and when configured endpoints are ignored', () => {
    expect(hasS3EndpointOverride({})).toBe(false);
    expect(hasS3EndpointOverride({ AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:9001' })).toBe(false);
    expect(
      hasS3EndpointOverride({
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000',
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
      }),
    ).toBe(false);
  });
});
