/**
 * Signs of life while a stage builds: R takes minutes, and a build that prints nothing for that long looks hung.
 * A plain line at a steady pace names the stage, its current step and the time so far; it reads the same in a
 * terminal and in the Actions log (inside the Stages group). The full output stays in the stage's log file.
 */
import type { Logger } from '../../log.js';

/** How often a running stage reports, in seconds (R_LAMBDA_LAYER_PROGRESS_SECONDS overrides; 0 turns it off). */
export function progressInterval(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.R_LAMBDA_LAYER_PROGRESS_SECONDS;
  const value = raw === undefined || raw === '' ? 20 : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : 20;
}

/** Pure: the step a recipe command stands for, as a person would name it. */
export function stepOf(command: string): string {
  const words = command.replace(/^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+/, '').trim();
  if (/^\.\/(?:configure|config|Configure)\b/.test(words)) return 'configure';
  if (/^make\b.*\binstall/.test(words)) return 'install';
  if (/^make\b/.test(words)) return 'make';
  return words.split(/\s+/)[0] ?? 'command';
}

/** Pure: 75 → "1m15s", 9 → "9s". */
export function formatElapsed(seconds: number): string {
  const s = Math.floor(seconds);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * Run `work` while reporting `stage: step, elapsed` every `intervalSeconds`. `stageStarted` is when the stage began
 * (performance.now()), so the time counts the whole stage, not only this step.
 */
export async function withProgress<T>(
  log: Logger,
  stage: string,
  step: string,
  stageStarted: number,
  work: () => Promise<T>,
  intervalSeconds: number = progressInterval(),
): Promise<T> {
  if (intervalSeconds <= 0) return work();
  const timer = setInterval(() => {
    log.info(`  ${stage}: ${step} … ${formatElapsed((performance.now() - stageStarted) / 1000)}`);
  }, intervalSeconds * 1000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
