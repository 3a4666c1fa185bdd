import { closeLaunchedBrowser } from './browser.js';
import { launchAndAnnounce } from './browser-server-mode.js';
import { exitAfterFlush, logLine } from './stderr.js';

/** `--launch-browser <script>`: shared Chromium for fan-out, alive until stdin ends or a signal. */
export async function launchBrowserMode(): Promise<never> {
  process.on('SIGPIPE', () => undefined);
  process.stdout.on('error', () => undefined);
  const browser = await launchAndAnnounce();
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    logLine(why);
    await closeLaunchedBrowser(browser);
    await exitAfterFlush(0);
  };
  process.stdin.on('end', () => void stop('stdin closed; closing the browser'));
  process.stdin.on('close', () => void stop('stdin closed; closing the browser'));
  process.stdin.on('error', () => void stop('stdin failed; closing the browser'));
  process.stdin.resume();
  process.on('SIGTERM', () => void stop('SIGTERM received; closing the browser'));
  process.on('SIGINT', () => void stop('SIGINT received; closing the browser'));
  browser.on('disconnected', () => void stop('browser disconnected; exiting'));
  return new Promise<never>(() => undefined);
}
