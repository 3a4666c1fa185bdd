import {
  createMemoryAPI,
  redactProxyEndpoint,
  type QuarryContext,
  type QuarryScriptModule,
  type RunMeta,
  type RunSession,
  type TerminalSignal,
} from '@quarry/sdk';
import type { RunBrowser } from './browser.js';
import { crash, decideOutcome, type ExecutorOutcome } from './outcome.js';
import type { RunRequest } from './run-request.js';
import { ScriptLoadError, ScriptSyntaxError, loadScript } from './script-loader.js';
import { errorMessage, errorStack, logLine } from './stderr.js';
import { guarded } from './uncaught.js';

export interface LifecycleState {
  /** The run's browser once acquired, so signal handlers can close it. */
  browser?: RunBrowser;
}

function runMeta(request: RunRequest): RunMeta {
  const { run_id, attempt, job_id, parent_run_id } = request.identity;
  const meta: { run_id: string; attempt: number; job_id?: string; parent_run_id?: string } = { run_id, attempt };
  if (job_id) meta.job_id = job_id;
  if (parent_run_id) meta.parent_run_id = parent_run_id;
  return Object.freeze(meta);
}

type PrepareDecision = { kind: 'continue'; job: unknown } | { kind: 'skip'; reason: unknown; hasReason: boolean };

function checkPrepareResult(res: unknown, job: unknown): PrepareDecision {
  if (typeof res !== 'object' || res === null || Array.isArray(res)) {
    throw new Error(`prepare must return an object with an "action", got ${res === null ? 'null' : typeof res}`);
  }
  const r = res as Record<string, unknown>;
  if (!('action' in r)) throw new Error('prepare result lacks "action"');
  if (r.action === 'skip') return { kind: 'skip', reason: r.reason, hasReason: r.reason !== undefined };
  if (r.action === 'continue') return { kind: 'continue', job: r.job === undefined ? job : r.job };
  throw new Error(`prepare returned an unknown action ${JSON.stringify(r.action)}`);
}

async function swallow(what: string, fn: () => unknown): Promise<void> {
  try {
    await guarded(fn);
  } catch (err) {
    logLine(`${what} failed (ignored): ${errorStack(err) ?? errorMessage(err)}`);
  }
}

/**
 * The run lifecycle of contract §20.2 up to and including the run_result frame. Returns the
 * executor outcome; the caller flushes stdout and exits with its code.
 */
export async function runLifecycle(
  scriptPath: string,
  request: RunRequest,
  session: RunSession,
  state: LifecycleState,
  openBrowser: (request: RunRequest) => Promise<RunBrowser>,
): Promise<ExecutorOutcome> {
  const proxyUsed = request.proxy ? redactProxyEndpoint(request.proxy) : null;
  const finish = async (outcome: ExecutorOutcome): Promise<ExecutorOutcome> => {
    if (outcome.result.status === 'crash') logLine(`run crashed: ${outcome.result.message}`);
    await session.writeRunResult(outcome.result, proxyUsed);
    return outcome;
  };
  const { chain, emit } = session;

  let mod: QuarryScriptModule<unknown>;
  try {
    mod = (await loadScript(scriptPath)).module;
  } catch (err) {
    if (err instanceof ScriptSyntaxError) {
      if (err.detail) logLine(err.detail);
      await emit
        .runError({ error_type: 'script_error', message: err.message, ...(err.detail ? { stack: err.detail } : {}) })
        .catch((e: unknown) => logLine(`writing the terminal event failed: ${errorMessage(e)}`));
      return finish(decideOutcome(chain, undefined));
    }
    if (err instanceof ScriptLoadError) {
      if (err.detail) logLine(err.detail);
      return finish(crash(err.message));
    }
    throw err;
  }

  const meta = runMeta(request);
  let job = request.job;
  if (mod.prepare) {
    let decision: PrepareDecision;
    try {
      decision = checkPrepareResult(await guarded(() => mod.prepare!(job, meta)), job);
    } catch (err) {
      const stack = errorStack(err);
      if (stack) logLine(stack);
      return finish(crash(`prepare hook failed: ${errorMessage(err)}`));
    }
    if (decision.kind === 'skip') {
      const summary: Record<string, unknown> = { skipped: true };
      if (decision.hasReason) summary.reason = decision.reason;
      try {
        await emit.runComplete({ summary });
      } catch (err) {
        logLine(`writing the skip run_complete failed: ${errorMessage(err)}`);
        // Only the reason can be at fault (e.g. not encodable); a skip must still end the run.
        if (chain.sinkHealthy) await emit.runComplete({ summary: { skipped: true } }).catch(() => undefined);
      }
      return finish(decideOutcome(chain, undefined));
    }
    job = decision.job;
  }

  let rb: RunBrowser;
  try {
    rb = await openBrowser(request);
  } catch (err) {
    const stack = errorStack(err);
    if (stack) logLine(stack);
    return finish(crash(`browser setup failed: ${errorMessage(err)}`));
  }
  state.browser = rb;

  const ctx: QuarryContext<unknown> = Object.freeze({
    job,
    run: meta,
    page: rb.page,
    browser: rb.browser,
    browserContext: rb.context,
    emit,
    storage: session.storage,
    memory: createMemoryAPI({ page: rb.page }),
    resume: request.resume,
  });

  let thrown: { error: unknown } | undefined;
  try {
    if (mod.beforeRun) await guarded(() => mod.beforeRun!(ctx));
    await guarded(() => mod.default(ctx));
    if (mod.afterRun) await guarded(() => mod.afterRun!(ctx));
  } catch (err) {
    thrown = { error: err };
    logLine(`script failed: ${errorStack(err) ?? errorMessage(err)}`);
    if (mod.onError && !chain.terminal) await swallow('onError hook', () => mod.onError!(err, ctx));
  }
  // A page the proxy refused is the proxy's error page, not the site: the run fails, naming the
  // cause (the runtime adds which endpoint).
  if (!thrown && rb.proxyAuthRejected()) {
    thrown = {
      error: new Error(
        'the proxy answered 407 Proxy Authentication Required to a page navigation: it refused the credentials',
      ),
    };
    logLine('script failed: the proxy refused the credentials (407)');
  }

  if (mod.beforeTerminal && chain.sinkHealthy && !chain.terminal) {
    const signal: TerminalSignal = thrown ? { outcome: 'error', error: thrown.error } : { outcome: 'completed' };
    await swallow('beforeTerminal hook', () => mod.beforeTerminal!(signal, ctx));
  }

  if (chain.sinkHealthy && !chain.terminal) {
    try {
      if (thrown) {
        const payload: { error_type: string; message: string; stack?: string } = {
          error_type: 'script_error',
          message: errorMessage(thrown.error),
        };
        const stack = errorStack(thrown.error);
        if (stack) payload.stack = stack;
        await emit.runError(payload);
      } else {
        await emit.runComplete({});
      }
    } catch (err) {
      logLine(`writing the terminal event failed: ${errorMessage(err)}`);
    }
  }

  if (mod.cleanup) await swallow('cleanup hook', () => mod.cleanup!(ctx));

  const outcome = await finish(decideOutcome(chain, thrown));
  await rb.close();
  state.browser = undefined;
  return outcome;
}
