import { statSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { logLine } from './stderr.js';

/**
 * Packages a script may import without installing them (the executor's own copies). The
 * original Quarry's SDK names resolve to ours, so scripts written for it run unchanged.
 */
export const OWN_PACKAGES = [
  '@quarry/sdk',
  '@pithecene-io/quarry-sdk',
  '@justapithecus/quarry-sdk',
  'puppeteer-core',
  'puppeteer',
] as const;

let registered = false;

function ownPackageUrls(): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const name of ['@quarry/sdk', 'puppeteer-core']) {
    try {
      urls[name] = import.meta.resolve(name);
    } catch {
      // not installed next to the executor: scripts must bring their own
    }
  }
  if (urls['@quarry/sdk']) {
    urls['@pithecene-io/quarry-sdk'] = urls['@quarry/sdk'];
    urls['@justapithecus/quarry-sdk'] = urls['@quarry/sdk'];
  }
  // `import puppeteer from 'puppeteer'` gets our puppeteer-core (same API, no browser download).
  if (urls['puppeteer-core']) urls.puppeteer = urls['puppeteer-core'];
  return urls;
}

function resolveFromDir(): string | undefined {
  const dir = process.env.QUARRY_RESOLVE_FROM;
  if (!dir) return undefined;
  try {
    if (path.isAbsolute(dir) && statSync(dir).isDirectory()) return dir;
  } catch {
    // reported below
  }
  logLine(`QUARRY_RESOLVE_FROM=${dir} is not an absolute path of an existing directory; ignoring it`);
  return undefined;
}

/**
 * The hooks run on a separate thread whose start costs 100+ ms, so they are registered up front
 * only when certainly needed (a TypeScript script, or QUARRY_RESOLVE_FROM); a plain JS script
 * gets them only if its import of one of our own packages fails (see script-loader.ts).
 */
export function hooksNeededUpfront(scriptPath: string): boolean {
  return /\.m?ts$/.test(scriptPath) || Boolean(process.env.QUARRY_RESOLVE_FROM);
}

export function loaderHooksRegistered(): boolean {
  return registered;
}

/** Registers the loader hooks (TypeScript, resolve fallbacks) once. */
export function registerLoaderHooks(): void {
  if (registered) return;
  registered = true;
  register('./loader-hooks.mjs', import.meta.url, {
    data: { resolveFrom: resolveFromDir(), builtinPackages: ownPackageUrls() },
  });
}
