import type { EmitChain, RunResultInput } from '@quarry/sdk';
import { errorMessage, errorStack } from './stderr.js';

export interface ExecutorOutcome {
  result: RunResultInput;
  exitCode: 0 | 1 | 2;
}

export function crash(message: string): ExecutorOutcome {
  return { result: { status: 'crash', message }, exitCode: 2 };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Contract §15.2: the first matching rule wins. */
export function decideOutcome(chain: EmitChain, thrown: { error: unknown } | undefined): ExecutorOutcome {
  const failure = chain.sinkFailure;
  if (failure) return crash(`output sink failed: ${failure.message}`);
  const terminal = chain.terminal;
  if (terminal?.type === 'run_error') {
    const p = terminal.payload as unknown as Record<string, unknown>;
    return {
      result: {
        status: 'error',
        error_type: str(p.error_type) ?? 'unknown',
        message: str(p.message) ?? 'Unknown error',
        stack: str(p.stack) ?? null,
      },
      exitCode: 1,
    };
  }
  if (terminal?.type === 'run_complete') {
    const summary = (terminal.payload as { summary?: unknown }).summary;
    const withSummary = typeof summary === 'object' && summary !== null && !Array.isArray(summary);
    return { result: { status: 'completed', message: withSummary ? 'run completed with summary' : 'run completed' }, exitCode: 0 };
  }
  if (thrown) {
    return {
      result: {
        status: 'error',
        error_type: 'script_error',
        message: errorMessage(thrown.error),
        stack: errorStack(thrown.error) ?? null,
      },
      exitCode: 1,
    };
  }
  return { result: { status: 'completed', message: 'run completed' }, exitCode: 0 };
}
