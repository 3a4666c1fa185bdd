import { AckTracker, StreamFrameSink, createRunSession } from '@quarry/sdk';
import { killLaunchedBrowser, openRunBrowser } from './browser.js';
import { runLifecycle, type LifecycleState } from './lifecycle.js';
import { hooksNeededUpfront, registerLoaderHooks } from './register-hooks.js';
import { RunRequestError, parseRunRequest, type RunRequest } from './run-request.js';
import { StdinPump } from './stdin-pump.js';
import { installStdoutGuard } from './stdout-guard.js';
import { errorMessage, exitAfterFlush, logLine } from './stderr.js';
import { installUncaughtHandlers } from './uncaught.js';

/** Normal run mode: the sequence of contract §14.5. */
export async function runMode(scriptPath: string): Promise<never> {
  const rawWrite = installStdoutGuard();
  installUncaughtHandlers();
  if (/\.m?ts$/.test(scriptPath)) process.setSourceMapsEnabled(true);
  if (hooksNeededUpfront(scriptPath)) registerLoaderHooks();

  const pump = new StdinPump(process.stdin);
  let request: RunRequest;
  try {
    request = parseRunRequest(await pump.readLine());
  } catch (err) {
    if (!(err instanceof RunRequestError)) throw err;
    process.stderr.write(`Error: ${err.message}\n`);
    return exitAfterFlush(3);
  }
  if (request.storageWarning) process.stderr.write(`${request.storageWarning}\n`);
  if (request.resumeWarning) process.stderr.write(`${request.resumeWarning}\n`);
  for (const w of request.proxyWarnings) process.stderr.write(`Warning: proxy ${w.field}: ${w.message}\n`);

  const sink = new StreamFrameSink(process.stdout, rawWrite);
  const acks = new AckTracker();
  pump.attach(acks);
  const session = createRunSession({ sink, identity: request.identity, partition: request.partition, acks });
  const state: LifecycleState = {};

  // Ending early (signal, or an event loop that drained while the script never settled):
  // close what we launched and report a crash, best effort and bounded in time.
  let finished = false;
  const abort = (message: string) => {
    if (finished) return;
    finished = true;
    logLine(message);
    killLaunchedBrowser(state.browser?.mode === 'launch' ? state.browser.browser : undefined);
    setTimeout(() => process.exit(2), 1000).unref();
    void session
      .writeRunResult({ status: 'crash', message })
      .then(() => sink.end())
      .finally(() => void exitAfterFlush(2));
  };
  process.once('SIGTERM', () => abort('executor terminated by SIGTERM'));
  process.once('SIGINT', () => abort('executor terminated by SIGINT'));
  process.on('beforeExit', () => abort('the script never settled: nothing was left to wait for'));

  const outcome = await runLifecycle(scriptPath, request, session, state, (r) =>
    openRunBrowser(r.browserWsEndpoint, r.proxy),
  );
  finished = true;

  acks.stop();
  pump.stop();
  await sink.end();
  if (sink.failure && outcome.exitCode !== 2) {
    logLine(`output sink failed while finishing: ${errorMessage(sink.failure)}`);
    return exitAfterFlush(2);
  }
  return exitAfterFlush(outcome.exitCode);
}
