import { errorMessage, errorStack, isTargetGone, logLine } from './stderr.js';

// A script may throw from a timer or an event handler, outside any promise we await. While a
// script phase runs, such an exception fails that phase like a throw from the script itself
// (instead of killing the process without a terminal event); at other times it is only logged.

let activeReject: ((err: unknown) => void) | undefined;

export function installUncaughtHandlers(): void {
  process.on('uncaughtException', (err) => {
    if (activeReject) {
      logLine(`uncaught exception in the script: ${errorStack(err) ?? errorMessage(err)}`);
      const reject = activeReject;
      activeReject = undefined;
      reject(err);
      return;
    }
    logLine(`uncaught exception (ignored): ${errorStack(err) ?? errorMessage(err)}`);
  });
  process.on('unhandledRejection', (reason) => {
    // Some stealth evasions send CDP commands without awaiting them (user-agent-override's
    // Network.setUserAgentOverride); when a short run closes its page first, the rejection lands
    // here. The page is gone, so there is nothing to report on a run that otherwise succeeded.
    if (isTargetGone(reason)) return;
    logLine(`unhandled promise rejection (ignored): ${errorStack(reason) ?? errorMessage(reason)}`);
  });
}

/** Runs a script phase; an uncaught exception during it rejects the phase. */
export function guarded<T>(fn: () => T | Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const previous = activeReject;
    activeReject = reject;
    Promise.resolve()
      .then(fn)
      .then(resolve, reject)
      .finally(() => {
        activeReject = previous;
      });
  });
}
