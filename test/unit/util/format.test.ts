import { formatBytes } from '../../../src/util/format.js';

const MB = 1024 * 1024;

test('formatBytes uses binary units, written as Lambda writes its limits', () => {
  expect(formatBytes(812)).toBe('812 B');
  expect(formatBytes(3482)).toBe('3.4 KB');
  expect(formatBytes(50 * MB)).toBe('50.0 MB');
  expect(formatBytes(3 * 1024 * MB)).toBe('3.00 GB');
});
