/**
 * Network reads with bounds: every request gives up instead of hanging a build until its CI job is killed, and a
 * transient failure (a dropped connection, a timeout, a 5xx, 408 or 429) is retried a bounded number of times with
 * growing pauses, since a mirror's bad second should not cost a build that has run for half an hour.
 */
import { createWriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';

export class HttpStatusError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    /** The server's Retry-After, in milliseconds, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(`HTTP ${status}`);
    this.name = 'HttpStatusError';
  }
}

/** A download that stopped sending: abandoned after a silence, and worth another try. */
export class StalledError extends Error {
  constructor(idleMs: number) {
    super(`no data received for ${idleMs / 1000} s`);
    this.name = 'StalledError';
  }
}

export interface RetryPolicy {
  /** Tries in all, the first included (1: no retry). */
  tries: number;
  /** The pause before the second try; it doubles for each further one, up to maxDelayMs. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Told about each retry, with a sentence saying why and when (the build logs it as a warning). */
  onRetry?: (message: string) => void;
}

export const DEFAULT_RETRY: RetryPolicy = { tries: 4, firstDelayMs: 1_000, maxDelayMs: 30_000 };

/** A server's Retry-After is obeyed up to this long; a longer one is not worth holding a build for. */
const MAX_RETRY_AFTER_MS = 60_000;

/** Status codes that say "try again later": server errors, a request timeout, too many requests. */
const isTransientStatus = (status: number): boolean => status >= 500 || status === 408 || status === 429;

/** Socket-level failures that a second try may not meet (undici's own codes start with UND_ERR_). */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
]);

/** Whether another try may succeed. A 404 or a bad certificate will not, so they fail at once. */
export function isTransient(error: unknown): boolean {
  if (error instanceof HttpStatusError) return isTransientStatus(error.status);
  if (error instanceof StalledError) return true;
  // Duck-typed, not `instanceof Error`: fetch's errors may come from another realm (a test runner's VM context).
  if (typeof error !== 'object' || error === null) return false;
  const e0 = error as { name?: unknown; cause?: unknown };
  if (e0.name === 'TimeoutError') return true;
  // fetch reports a socket failure as TypeError('fetch failed' or 'terminated') with the socket's error as cause.
  for (const e of [error, e0.cause]) {
    const code = (e as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || code.startsWith('UND_ERR_'))) return true;
  }
  return false;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const statusError = (url: string, response: Response): HttpStatusError =>
  new HttpStatusError(url, response.status, parseRetryAfter(response.headers.get('retry-after')));

/** Run `attempt` until it succeeds, fails for good, or the tries are used up; then the last error is thrown. */
export async function withRetries<T>(
  what: string,
  policy: RetryPolicy,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let tryNumber = 1; ; tryNumber++) {
    try {
      return await attempt();
    } catch (error) {
      if (tryNumber >= policy.tries || !isTransient(error)) throw error;
      const backoff = Math.min(policy.firstDelayMs * 2 ** (tryNumber - 1), policy.maxDelayMs);
      const asked = error instanceof HttpStatusError ? error.retryAfterMs : undefined;
      const delay = asked === undefined ? backoff : Math.min(Math.max(asked, backoff), MAX_RETRY_AFTER_MS);
      const reason =
        error instanceof Error ? String((error.cause as Error | undefined)?.message ?? error.message) : '';
      policy.onRetry?.(
        `${what}: ${reason}; trying again in ${(delay / 1000).toFixed(1)} s (try ${tryNumber + 1} of ${policy.tries})`,
      );
      await sleep(delay);
    }
  }
}

/** A small text file (an index, a version file) over http(s) or file://, within `timeoutMs` per try. */
export async function fetchText(
  url: string,
  timeoutMs = 30_000,
  fetchImpl: typeof fetch = fetch,
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<string> {
  if (url.startsWith('file://')) return readFile(new URL(url), 'utf8');
  return withRetries(url, retry, async () => {
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    if (!response.ok) throw statusError(url, response);
    return response.text();
  });
}

export interface DownloadOptions {
  /** The download is abandoned (and tried again) when no byte arrives for this long. */
  idleMs?: number;
  retry?: RetryPolicy;
}

/**
 * Stream a download to `dest`. Large files may take long, so the bound is on silence, not on the whole transfer.
 * A failed download leaves no file at `dest`, never a partial one.
 */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<void> {
  const { idleMs = 60_000, retry = DEFAULT_RETRY } = options;
  try {
    await withRetries(url, retry, () => downloadOnce(url, dest, idleMs));
  } catch (error) {
    await rm(dest, { force: true });
    throw error;
  }
}

async function downloadOnce(url: string, dest: string, idleMs: number): Promise<void> {
  const controller = new AbortController();
  const stall = (): NodeJS.Timeout => setTimeout(() => controller.abort(new StalledError(idleMs)), idleMs);
  let timer = stall();
  try {
    const response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    if (!response.ok || !response.body) throw statusError(url, response);
    const body = Readable.fromWeb(response.body as ReadableStream);
    body.on('data', () => {
      clearTimeout(timer);
      timer = stall();
    });
    // Each try writes the file from its start (createWriteStream truncates).
    await pipeline(body, createWriteStream(dest));
  } finally {
    clearTimeout(timer);
  }
}
