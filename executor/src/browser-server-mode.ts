import { unlink } from 'node:fs/promises';
import type { Browser } from 'puppeteer-core';
import { closeLaunchedBrowser, launchBrowser } from './browser.js';
import { errorMessage, exitAfterFlush, logLine } from './stderr.js';

const POLL_MS = 5000;
const MAX_POLL_FAILURES = 3;
const DEFAULT_IDLE_SECONDS = 60;

export function idleTimeoutSeconds(raw = process.env.QUARRY_BROWSER_IDLE_TIMEOUT): number {
  if (raw === undefined || !/^\s*\d+\s*$/.test(raw)) return DEFAULT_IDLE_SECONDS;
  const n = Number(raw);
  return n > 0 ? n : DEFAULT_IDLE_SECONDS;
}

async function removeDiscoveryFile(): Promise<void> {
  const file = process.env.QUARRY_BROWSER_DISCOVERY_FILE;
  if (!file) return;
  try {
    await unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logLine(`removing ${file} failed: ${errorMessage(err)}`);
  }
}

/** Pages that keep the server busy: real pages with a non-blank URL (contract §21.4). */
async function busyPages(port: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(POLL_MS - 1000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const targets = (await res.json()) as Array<{ type?: string; url?: string }>;
  return targets.filter((t) => t.type === 'page' && t.url !== 'about:blank').length;
}

/**
 * Launches (plugins per the environment), prints the endpoint as the first stdout line. The
 * plugins also act on pages that connected clients create; one of them racing a client that
 * closes its page must not bring the shared browser down, so stray rejections are only logged.
 */
export async function launchAndAnnounce(): Promise<Browser> {
  process.on('unhandledRejection', (reason) => logLine(`ignored unhandled rejection: ${errorMessage(reason)}`));
  process.on('uncaughtException', (err) => logLine(`ignored uncaught exception: ${errorMessage(err)}`));
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (err) {
    process.stderr.write(`Error: browser launch failed: ${errorMessage(err)}\n`);
    return exitAfterFlush(1);
  }
  process.stdout.write(`${browser.wsEndpoint()}\n`);
  return browser;
}

/** `--browser-server <script>`: reusable Chromium with idle self-shutdown. */
export async function browserServerMode(): Promise<never> {
  process.on('SIGPIPE', () => undefined);
  // The runtime may stop reading our stdout after the first line.
  process.stdout.on('error', () => undefined);
  const browser = await launchAndAnnounce();
  const port = new URL(browser.wsEndpoint()).port;
  const idleMs = idleTimeoutSeconds() * 1000;
  let lastBusy = Date.now();
  let failures = 0;
  let stopping = false;

  const stop = async (code: number, why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logLine(why);
    await removeDiscoveryFile();
    await closeLaunchedBrowser(browser);
    await exitAfterFlush(code);
  };

  browser.on('disconnected', () => void stop(1, 'browser disconnected unexpectedly; shutting down'));
  process.on('SIGTERM', () => void stop(0, 'SIGTERM received; shutting down'));
  process.on('SIGINT', () => void stop(0, 'SIGINT received; shutting down'));

  const poll = async () => {
    if (stopping) return;
    try {
      const busy = await busyPages(port);
      failures = 0;
      if (busy > 0) {
        lastBusy = Date.now();
        return;
      }
      const idle = Date.now() - lastBusy;
      if (idle >= idleMs) await stop(0, `idle for ${Math.round(idle / 1000)}s; shutting down`);
    } catch (err) {
      failures += 1;
      logLine(`health poll failed (${failures}/${MAX_POLL_FAILURES}): ${errorMessage(err)}`);
      if (failures >= MAX_POLL_FAILURES) await stop(1, 'browser unhealthy after 3 failed polls; shutting down');
    }
  };
  setInterval(() => void poll(), POLL_MS);
  return new Promise<never>(() => undefined);
}
