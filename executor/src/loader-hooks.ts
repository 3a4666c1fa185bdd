// ESM loader hooks, run on Node's hooks thread (registered by register-hooks.ts):
//  * TypeScript scripts (.ts/.mts) are transpiled with esbuild (Node 20 cannot strip types);
//  * bare specifiers that fail normal resolution are retried from QUARRY_RESOLVE_FROM (§14.4);
//  * as a last resort `@quarry/sdk` and Puppeteer resolve to the executor's own copies, so
//    scripts need nothing installed (§21.3) and share the executor's SDK instance.
import { writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface HooksData {
  resolveFrom?: string;
  /** Bare specifier → URL of the executor's own copy. */
  builtinPackages?: Record<string, string>;
}

interface ResolveContext {
  parentURL?: string;
  conditions?: string[];
  importAttributes?: Record<string, string>;
}
interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context?: ResolveContext) => Promise<ResolveResult>;
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context?: { format?: string | null }) => Promise<LoadResult>;

let fallbackParent: string | undefined;
let builtinPackages: Record<string, string> = {};
type Transform = (code: string, opts: object) => Promise<{ code: string }>;
let transform: Transform | undefined;

const TS_FILE = /\.(m?ts)$/;
const URL_SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

function note(message: string): void {
  try {
    writeSync(2, `[quarry-executor] ${message}\n`);
  } catch {
    // stderr gone: nothing useful left to do
  }
}

export function initialize(data: HooksData | undefined): void {
  if (data?.resolveFrom) fallbackParent = pathToFileURL(path.join(data.resolveFrom, 'noop.js')).href;
  builtinPackages = data?.builtinPackages ?? {};
}

function isBare(specifier: string): boolean {
  return !(
    specifier.startsWith('./') ||
    specifier.startsWith('../') ||
    specifier.startsWith('/') ||
    specifier.startsWith('#') ||
    specifier === '.' ||
    specifier === '..' ||
    URL_SCHEME.test(specifier)
  );
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function notFound(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'ERR_MODULE_NOT_FOUND';
}

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<ResolveResult> {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (!notFound(err)) throw err;
    const parent = context.parentURL ?? '';
    // TypeScript sources import siblings by their emitted name (`./util.js` for util.ts).
    if (!isBare(specifier) && TS_FILE.test(parent) && /\.m?js$/.test(specifier)) {
      try {
        return await next(specifier.replace(/\.(m?)js$/, '.$1ts'), context);
      } catch {
        throw err;
      }
    }
    if (!isBare(specifier)) throw err;
    if (fallbackParent) {
      try {
        const found = await next(specifier, { ...context, parentURL: fallbackParent });
        note(`resolved "${specifier}" through QUARRY_RESOLVE_FROM`);
        return found;
      } catch {
        // fall through to the executor's own packages
      }
    }
    const own = builtinPackages[packageName(specifier)];
    if (own) {
      const sub = specifier.slice(packageName(specifier).length);
      return sub === '' ? { url: own, shortCircuit: true } : next(specifier, { ...context, parentURL: own });
    }
    throw err;
  }
}

export async function load(url: string, context: { format?: string | null }, next: NextLoad): Promise<LoadResult> {
  if (!url.startsWith('file:') || !TS_FILE.test(new URL(url).pathname)) return next(url, context);
  const file = fileURLToPath(url);
  const source = await readFile(file, 'utf8');
  transform ??= ((await import('esbuild')) as { transform: Transform }).transform;
  const out = await transform(source, {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcefile: file,
    sourcemap: 'inline',
  });
  return { format: 'module', source: out.code, shortCircuit: true };
}
