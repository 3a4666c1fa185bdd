const PREFIX = '[quarry-executor]';

/**
 * Stderr carries diagnostics only: once it fails (reader gone), writes are dropped. Without the
 * listener an EPIPE on stderr would be an uncaught exception whose log line fails again, forever.
 */
export function tolerateStderrFailure(): void {
  process.stderr.on('error', () => undefined);
}

/** One diagnostic line on stderr (free-form, never parsed by the runtime). */
export function logLine(message: string): void {
  if (process.stderr.destroyed || process.stderr.writableEnded) return;
  process.stderr.write(`${PREFIX} ${message}\n`);
}

/** Waits (bounded) until stderr handed its buffer to the OS; pipes are asynchronous on Linux. */
export function drainStderr(timeoutMs = 2000): Promise<void> {
  const stderr = process.stderr;
  if (stderr.writableLength === 0 || stderr.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    stderr.write('', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Exits after stderr is flushed, so the last diagnostic line is not lost. */
export async function exitAfterFlush(code: number): Promise<never> {
  await drainStderr();
  process.exit(code);
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || String(err);
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  try {
    return String(err);
  } catch {
    return 'unprintable error';
  }
}

export function errorStack(err: unknown): string | undefined {
  const stack = typeof err === 'object' && err !== null ? (err as { stack?: unknown }).stack : undefined;
  return typeof stack === 'string' && stack !== '' ? stack : undefined;
}

/** A browser call failed because its page, session or browser went away: nothing is left to act on. */
export function isTargetGone(err: unknown): boolean {
  const name = (err as { name?: unknown })?.name;
  return name === 'TargetCloseError' || /Target closed|Session closed|detached/i.test(errorMessage(err));
}
