import { link, readFile, rename, stat, unlink } from 'node:fs/promises';
import type { Browser, CDPSession } from 'puppeteer-core';
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

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

async function recordEndpoint(file: string): Promise<string | undefined> {
  try {
    const rec = JSON.parse(await readFile(file, 'utf8')) as { ws_endpoint?: unknown };
    return typeof rec.ws_endpoint === 'string' ? rec.ws_endpoint : undefined;
  } catch {
    return undefined;
  }
}

/** The discovery file (browser.json, written by the runtime) names this server. */
async function recordIsOurs(file: string, endpoint: string): Promise<boolean> {
  return (await recordEndpoint(file)) === endpoint;
}

/**
 * The discovery file names another server: after a stale-server cleanup it may describe a newer
 * one, which is not ours to delete. Anything else (ours, no record yet, unreadable) is deleted.
 */
async function recordIsAnotherServers(file: string, endpoint: string): Promise<boolean> {
  const other = await recordEndpoint(file);
  return other !== undefined && other !== endpoint;
}

/** When the runtime last marked the discovery file as reused (its mtime), if the file is ours. */
async function lastReuseMs(endpoint: string): Promise<number | undefined> {
  const file = process.env.QUARRY_BROWSER_DISCOVERY_FILE;
  if (!file) return undefined;
  try {
    const st = await stat(file);
    return (await recordIsOurs(file, endpoint)) ? st.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the discovery file away before shutting down, so no runtime picks this server once we
 * have decided to go. The runtime marks the file (mtime) when it reuses us, under its lock and
 * before its run connects; the rename is atomic, so either that mark happened before it (then
 * `keepIfReusedSince` sees it and we stay) or the runtime finds no file and starts a new server.
 * Returns false when the server must stay (the file is restored).
 */
async function releaseDiscoveryFile(endpoint: string, keepIfReusedSince?: number): Promise<boolean> {
  const file = process.env.QUARRY_BROWSER_DISCOVERY_FILE;
  if (!file) return true;
  const closing = `${file}.closing-${process.pid}`;
  try {
    await rename(file, closing);
  } catch (err) {
    if (errCode(err) !== 'ENOENT') logLine(`moving ${file} away failed: ${errorMessage(err)}`);
    return true;
  }
  const restore = async () => {
    try {
      await link(closing, file); // fails if a newer record took its place meanwhile
    } catch (err) {
      if (errCode(err) !== 'EEXIST') logLine(`restoring ${file} failed: ${errorMessage(err)}`);
    }
  };
  try {
    if (await recordIsAnotherServers(closing, endpoint)) {
      await restore(); // not ours to delete
      return true;
    }
    const reusedSince =
      keepIfReusedSince !== undefined &&
      (await recordIsOurs(closing, endpoint)) &&
      (await stat(closing)).mtimeMs > keepIfReusedSince;
    if (reusedSince) {
      await restore();
      return false;
    }
    return true;
  } finally {
    await unlink(closing).catch(() => undefined);
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
 * Browser contexts created by clients. Every run creates one and Chromium disposes of it when
 * the run's connection drops (disposeOnDetach), so a context means a run is still connected —
 * also one whose page stays on about:blank (setContent) or has not navigated yet.
 */
async function clientContexts(session: CDPSession): Promise<number> {
  const r = (await session.send('Target.getBrowserContexts')) as { browserContextIds?: string[] };
  return r.browserContextIds?.length ?? 0;
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
  const endpoint = browser.wsEndpoint();
  const port = new URL(endpoint).port;
  const idleMs = idleTimeoutSeconds() * 1000;
  let session: CDPSession | undefined;
  let lastBusy = Date.now();
  let failures = 0;
  let stopping = false;

  const stop = async (code: number, why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logLine(why);
    await releaseDiscoveryFile(endpoint);
    await closeLaunchedBrowser(browser);
    await exitAfterFlush(code);
  };

  browser.on('disconnected', () => void stop(1, 'browser disconnected unexpectedly; shutting down'));
  process.on('SIGTERM', () => void stop(0, 'SIGTERM received; shutting down'));
  process.on('SIGINT', () => void stop(0, 'SIGINT received; shutting down'));

  let polling = false;
  const poll = async () => {
    if (stopping || polling) return;
    polling = true;
    try {
      const busy = await busyPages(port);
      session ??= await browser.target().createCDPSession();
      const contexts = await clientContexts(session);
      failures = 0;
      if (busy > 0 || contexts > 0) {
        lastBusy = Date.now();
        return;
      }
      const reused = await lastReuseMs(endpoint);
      if (reused !== undefined && reused > lastBusy) lastBusy = Math.min(reused, Date.now());
      const idle = Date.now() - lastBusy;
      if (idle < idleMs || stopping) return;
      if (!(await releaseDiscoveryFile(endpoint, lastBusy))) {
        lastBusy = Date.now(); // reused just now: a run is about to connect
        return;
      }
      stopping = true; // the file is gone: from here on, shut down whatever happens
      logLine(`idle for ${Math.round(idle / 1000)}s; shutting down`);
      await closeLaunchedBrowser(browser);
      await exitAfterFlush(0);
    } catch (err) {
      failures += 1;
      logLine(`health poll failed (${failures}/${MAX_POLL_FAILURES}): ${errorMessage(err)}`);
      if (failures >= MAX_POLL_FAILURES) await stop(1, 'browser unhealthy after 3 failed polls; shutting down');
    } finally {
      polling = false;
    }
  };
  setInterval(() => void poll(), POLL_MS);
  return new Promise<never>(() => undefined);
}
