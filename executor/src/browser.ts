import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, ConnectionTransport, Page, PuppeteerNode } from 'puppeteer-core';
import type { ProxyEndpoint } from '@quarry/sdk';
import { chromiumArgs, findChromium } from './chromium.js';
import { answerProxyAuth } from './proxy-auth.js';
import { errorMessage, isTargetGone, logLine } from './stderr.js';

type Launcher = { launch(options: object): Promise<Browser> };

// Puppeteer and the plugins are loaded only when a browser is needed: the prepare-skip path and
// --validate never pay for them. They are CommonJS-loaded on purpose: require() does not pass
// through the ESM loader hooks thread, which would make Puppeteer's hundreds of modules load
// several times slower when hooks are registered for a TypeScript script.
const requireHere = createRequire(import.meta.url);

function puppeteerCore(): PuppeteerNode {
  return requireHere('puppeteer-core') as PuppeteerNode;
}

function cjsExport<T>(mod: unknown, name?: string): T {
  const m = mod as Record<string, unknown> & { default?: Record<string, unknown> };
  if (name) return (m[name] ?? m.default?.[name]) as T;
  return (m.default ?? m) as T;
}

interface PluginTarget {
  type(): string;
  page(): Promise<{ isClosed(): boolean } | null>;
}
interface PluginInstance {
  name?: string;
  onTargetCreated?: (target: PluginTarget) => Promise<void>;
  onPageCreated?: (page: unknown) => Promise<void>;
}
interface PluginBase {
  prototype: { _onTargetCreated: (this: PluginInstance, target: PluginTarget) => Promise<void>; __quarryTracked?: boolean };
}

/** Page set-ups the extra plugins started (stealth evasions, ad-blocker), per page target. */
const pluginSetups = new Map<unknown, Set<Promise<void>>>();

/**
 * puppeteer-extra runs each plugin's onPageCreated from a `targetcreated` listener nobody
 * awaits, and prints (console.error) whatever it throws, stack and all. So a run that ended
 * quickly closed its page or browser while the evasions were still adding their scripts, and
 * a successful run printed `TargetCloseError: Protocol error
 * (Page.addScriptToEvaluateOnNewDocument): Target closed`; and a script could navigate before
 * the evasions were in place. The listener is replaced by one that does the same work, is
 * tracked (the page is handed over, and a launched browser closed, only after it settled), and
 * ignores only the page having gone away; any other failure is one line.
 */
function trackPluginPageSetups(pluginEntry: string): void {
  let proto: PluginBase['prototype'];
  try {
    const pluginRequire = createRequire(pluginEntry);
    proto = cjsExport<PluginBase>(pluginRequire('puppeteer-extra-plugin'), 'PuppeteerExtraPlugin').prototype;
  } catch (err) {
    logLine(`cannot track the browser plugins' page set-up: ${errorMessage(err)}`);
    return;
  }
  if (proto.__quarryTracked) return;
  proto.__quarryTracked = true;
  proto._onTargetCreated = function (this: PluginInstance, target: PluginTarget): Promise<void> {
    const work = async () => {
      if (this.onTargetCreated) await this.onTargetCreated(target);
      if (target.type() !== 'page' || !this.onPageCreated) return;
      const page = await target.page();
      if (page && !page.isClosed()) await this.onPageCreated(page);
    };
    const setup = work().catch((err: unknown) => {
      if (!isTargetGone(err)) logLine(`browser plugin ${this.name ?? '?'} could not prepare a page: ${errorMessage(err)}`);
    });
    let set = pluginSetups.get(target);
    if (!set) pluginSetups.set(target, (set = new Set()));
    set.add(setup);
    void setup.finally(() => {
      set.delete(setup);
      if (set.size === 0 && pluginSetups.get(target) === set) pluginSetups.delete(target);
    });
    return setup;
  };
}

/** Waits (bounded) until the plugins' set-ups of `target` (or of every page) have settled. */
async function pluginSetupsSettled(target?: unknown, ms = 5000): Promise<void> {
  const sets = target === undefined ? [...pluginSetups.values()] : [pluginSetups.get(target) ?? new Set()];
  const pending = sets.flatMap((s) => [...s]);
  if (pending.length === 0) return;
  await withTimeout(Promise.allSettled(pending), ms);
}

/** Puppeteer with the extra-plugin wrapper: stealth unless QUARRY_STEALTH=0, ad-blocker with =1. */
async function launcher(): Promise<Launcher> {
  const core = puppeteerCore();
  const stealth = process.env.QUARRY_STEALTH !== '0';
  const adblock = process.env.QUARRY_ADBLOCKER === '1';
  if (!stealth && !adblock) return core;
  const addExtra = cjsExport<(p: unknown) => Launcher & { use(plugin: unknown): void }>(
    requireHere('puppeteer-extra'),
    'addExtra',
  );
  const extra = addExtra(core);
  if (stealth) {
    trackPluginPageSetups(requireHere.resolve('puppeteer-extra-plugin-stealth'));
    const Stealth = cjsExport<() => unknown>(requireHere('puppeteer-extra-plugin-stealth'));
    extra.use(Stealth());
  }
  if (adblock) {
    trackPluginPageSetups(requireHere.resolve('puppeteer-extra-plugin-adblocker'));
    const Adblocker = cjsExport<(opts: object) => unknown>(requireHere('puppeteer-extra-plugin-adblocker'));
    extra.use(Adblocker({ blockTrackers: true }));
  }
  return extra;
}

/** Launches Chromium; it inherits our whole environment (the runtime finds it by QUARRY_RUN_TOKEN). */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  const pptr = await launcher();
  return pptr.launch({
    executablePath,
    headless: true,
    args: chromiumArgs(),
    // We handle signals ourselves so that the run can still report before exiting.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}

/**
 * Wraps Puppeteer's WebSocket transport so every browser context we create asks Chromium to
 * dispose of it when our connection drops (CDP `disposeOnDetach`): a run's pages in a shared
 * browser never outlive its executor, even when the executor is killed (contract §16.3).
 */
async function disposingTransport(endpoint: string): Promise<ConnectionTransport> {
  const { NodeWebSocketTransport } = requireHere('puppeteer-core/internal/node/NodeWebSocketTransport.js') as {
    NodeWebSocketTransport: { create(url: string): Promise<ConnectionTransport> };
  };
  const inner = await NodeWebSocketTransport.create(endpoint);
  return {
    send(message: string) {
      if (message.includes('"Target.createBrowserContext"')) {
        const msg = JSON.parse(message) as { method?: string; params?: Record<string, unknown> };
        if (msg.method === 'Target.createBrowserContext') {
          msg.params = { ...msg.params, disposeOnDetach: true };
          message = JSON.stringify(msg);
        }
      }
      inner.send(message);
    },
    close() {
      inner.close();
    },
    get onmessage() {
      return inner.onmessage;
    },
    set onmessage(fn) {
      inner.onmessage = fn;
    },
    get onclose() {
      return inner.onclose;
    },
    set onclose(fn) {
      inner.onclose = fn;
    },
  };
}

/** Plain connect: no plugins, no launch args (contract §21.1). */
export async function connectBrowser(endpoint: string): Promise<Browser> {
  const core = puppeteerCore();
  return core.connect({ transport: await disposingTransport(endpoint) });
}

export interface RunBrowser {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  mode: 'launch' | 'connect';
  /**
   * True once a main-frame navigation got 407 from the run's proxy: Chromium answered the
   * challenge with the pool's credentials and the proxy refused them (docs/proxies.md).
   */
  proxyAuthRejected(): boolean;
  /** Closes page and context, then disconnects (connect) or closes the browser (launch). */
  close(): Promise<void>;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

async function quietly(what: string, p: () => Promise<unknown>, ms = 5000): Promise<void> {
  try {
    await withTimeout(p(), ms);
  } catch (err) {
    logLine(`${what}: ${errorMessage(err)}`);
  }
}

/**
 * The stealth plugin's user-data-dir helper puts the profile in a temporary directory and
 * deletes it asynchronously on disconnect, which never finishes when the process exits right
 * after closing the browser: every run would leave ~2.5 MB behind. Delete it synchronously.
 */
function removeTemporaryProfile(browser: Browser): void {
  const arg = browser.process()?.spawnargs.find((a) => a.startsWith('--user-data-dir='));
  const dir = arg?.slice('--user-data-dir='.length);
  if (!dir || path.dirname(dir) !== tmpdir() || !path.basename(dir).startsWith('puppeteer_dev_profile-')) return;
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (err) {
    logLine(`removing the temporary profile ${dir} failed: ${errorMessage(err)}`);
  }
}

/** Closes a launched browser (killing it if it does not close) and removes its temporary profile. */
export async function closeLaunchedBrowser(browser: Browser): Promise<void> {
  await pluginSetupsSettled();
  await quietly('closing the browser failed', () => browser.close(), 10_000);
  const proc = browser.process();
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  removeTemporaryProfile(browser);
}

async function shutdown(browser: Browser, mode: 'launch' | 'connect'): Promise<void> {
  if (mode === 'connect') {
    await quietly('disconnecting from the browser failed', () => browser.disconnect());
    return;
  }
  await closeLaunchedBrowser(browser);
}

/**
 * Acquires the run's browser (launch or connect), a fresh context carrying the proxy (D4) and a
 * page; credentials go only through page authentication (to proxy challenges only, never to a
 * site's), never into a URL or argument.
 */
export async function openRunBrowser(endpoint: string | null, proxy: ProxyEndpoint | null): Promise<RunBrowser> {
  const mode = endpoint ? 'connect' : 'launch';
  const browser = endpoint ? await connectBrowser(endpoint) : await launchBrowser();
  try {
    const context = await browser.createBrowserContext(
      proxy ? { proxyServer: `${proxy.protocol}://${proxy.host}:${proxy.port}` } : {},
    );
    const page = await context.newPage();
    await pluginSetupsSettled(page.target());
    const auth = proxy?.username && proxy.password ? await answerProxyAuth(page, proxy.username, proxy.password) : null;
    return {
      browser,
      context,
      page,
      mode,
      proxyAuthRejected: () => auth?.rejected() ?? false,
      close: async () => {
        // A launched browser takes its pages and contexts with it; in a shared browser they
        // must be closed one by one before disconnecting.
        if (mode === 'connect') {
          await quietly('closing the page failed', () => page.close());
          await quietly('closing the browser context failed', () => context.close());
        }
        await shutdown(browser, mode);
      },
    };
  } catch (err) {
    await shutdown(browser, mode);
    throw err;
  }
}

/** Synchronous last resort on abrupt exits: never leave a launched Chromium behind. */
export function killLaunchedBrowser(browser: Browser | undefined): void {
  const proc = browser?.process();
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    try {
      proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  if (browser) removeTemporaryProfile(browser);
}
