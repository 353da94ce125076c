/** How numbers are written for people, the same in logs, job summaries and error messages. */

const KB = 1024;
const MB = 1024 * KB;
const GB = 1024 * MB;

/**
 * Bytes as a person reads them: `812 B`, `3.4 KB`, `56.2 MB`. Binary units written as Lambda's documentation writes
 * them: its "50 MB" limit is 50 × 1024 × 1024 bytes.
 */
export function formatBytes(bytes: number): string {
  if (bytes < KB) return `${bytes} B`;
  if (bytes < MB) return `${(bytes / KB).toFixed(1)} KB`;
  if (bytes < GB) return `${(bytes / MB).toFixed(1)} MB`;
  return `${(bytes / GB).toFixed(2)} GB`;
}
