/** Network reads with bounds: every request gives up instead of hanging a build until its CI job is killed. */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';

export class HttpStatusError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
  ) {
    super(`HTTP ${status}`);
    this.name = 'HttpStatusError';
  }
}

/** A small text file (an index, a version file) over http(s) or file://, within `timeoutMs`. */
export async function fetchText(
  url: string,
  timeoutMs = 30_000,
  fetchImpl: typeof fetch = fetch,
): Promise<string> {
  if (url.startsWith('file://')) return readFile(new URL(url), 'utf8');
  const response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  if (!response.ok) throw new HttpStatusError(url, response.status);
  return response.text();
}

/**
 * Stream a download to `dest`. Large files may take long, so the bound is on silence: the download is abandoned
 * when no byte arrives for `idleMs`.
 */
export async function downloadFile(url: string, dest: string, idleMs = 60_000): Promise<void> {
  const controller = new AbortController();
  const stall = (): NodeJS.Timeout =>
    setTimeout(() => controller.abort(new Error(`no data received for ${idleMs / 1000} s`)), idleMs);
  let timer = stall();
  try {
    const response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    if (!response.ok || !response.body) throw new HttpStatusError(url, response.status);
    const body = Readable.fromWeb(response.body as ReadableStream);
    body.on('data', () => {
      clearTimeout(timer);
      timer = stall();
    });
    await pipeline(body, createWriteStream(dest));
  } finally {
    clearTimeout(timer);
  }
}
