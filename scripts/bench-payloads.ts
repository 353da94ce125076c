/**
 * Large events for the runtime benchmark, made here (deterministic, no fixtures to keep): a batch of
 * small records of mixed types with nested arrays (an SQS or Kinesis batch, a large API body), and
 * other shapes of the same size: wide records, deep nesting, long strings, long numeric arrays.
 */

export type Shape = 'records' | 'wide' | 'deep' | 'strings' | 'numbers';

export const SHAPES: readonly Shape[] = ['records', 'wide', 'deep', 'strings', 'numbers'];

/** A JSON event of `shape`, about `bytes` long (a little over, never under). */
export function payload(shape: Shape, bytes: number): Buffer {
  const items: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const item = JSON.stringify(ITEMS[shape](i));
    items.push(item);
    size += item.length + 1;
  }
  return Buffer.from(`{"${shape}":[${items.join(',')}]}`);
}

const ITEMS: Record<Shape, (i: number) => unknown> = {
  // ~85 bytes: integer, string, double, boolean, a two-element array, and null or a mixed array.
  records: (i) => ({
    id: i,
    name: `item-${i}`,
    price: Math.round(i * 1.37) / 100 + 0.01,
    ok: i % 3 === 0,
    tags: ['a', String(i % 7)],
    n: i % 5 ? null : [1.5, i],
  }),
  // 200 keys of mixed types per record.
  wide: (i) =>
    Object.fromEntries(
      Array.from({ length: 200 }, (_, k) => [
        `field_${k}`,
        k % 4 === 0 ? `v${i}` : k % 4 === 1 ? i * k + 0.5 : k % 4 === 2 ? k % 3 === 0 : i,
      ]),
    ),
  // 40 levels of objects and arrays.
  deep: (i) => {
    let value: unknown = { leaf: i, s: 'x' };
    for (let d = 0; d < 40; d++) value = d % 2 ? { level: d, next: value } : [value, d];
    return value;
  },
  // 64 KB strings with escapes and non-ASCII text.
  strings: (i) => `${i}: ${'text with "quotes", a tab\t, é and € and 😀 '.repeat(1400)}`,
  // 10,000 doubles per array.
  numbers: (i) => Array.from({ length: 10_000 }, (_, k) => Math.sin(i * 10_000 + k) * 1000),
};
