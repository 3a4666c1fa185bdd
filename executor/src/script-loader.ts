import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HOOK_NAMES, type HookName, type QuarryScriptModule } from '@quarry/sdk';
import { OWN_PACKAGES, loaderHooksRegistered, registerLoaderHooks } from './register-hooks.js';
import { errorMessage, errorStack } from './stderr.js';
import { isSyntaxError, locateSyntaxError, syntaxMessage } from './syntax-location.js';

/** Import or shape failure of the script (contract §20.1): outcome crash, exit 2. */
export class ScriptLoadError extends Error {
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/**
 * A syntax error in the script or one of its own modules: a bug in the script like a throw,
 * so the run ends script_error, not crash (docs/decisions.md).
 */
export class ScriptSyntaxError extends ScriptLoadError {}

export interface LoadedScript {
  module: QuarryScriptModule<unknown>;
  hooks: HookName[];
}

const JSON_HINT =
  " (hint: JSON modules need an import attribute: import data from './file.json' with { type: 'json' })";

function needsJsonHint(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  if (code === 'ERR_IMPORT_ATTRIBUTE_MISSING' || code === 'ERR_IMPORT_ASSERTION_TYPE_MISSING') return true;
  const message = errorMessage(err);
  return /\.json\b/i.test(message) || /type:? ?["']?json/i.test(message);
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

/** The package a failed import could not find, when it is one the executor can supply. */
function missingOwnPackage(err: unknown): boolean {
  if ((err as { code?: string })?.code !== 'ERR_MODULE_NOT_FOUND') return false;
  const m = /Cannot find package '([^']+)'/.exec(errorMessage(err));
  return m !== null && (OWN_PACKAGES as readonly string[]).includes(m[1]!);
}

/**
 * Imports the script. Without hooks registered, a failure to find one of our own packages
 * registers them and imports again under a fresh URL (nothing of the first attempt was
 * evaluated: resolution fails before any module runs).
 */
async function importScript(url: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    if (loaderHooksRegistered() || !missingOwnPackage(err)) throw err;
    registerLoaderHooks();
    return (await import(`${url}?quarry-retry=1`)) as Record<string, unknown>;
  }
}

/** Imports the script by its file URL and checks the export shape. */
export async function loadScript(scriptPath: string): Promise<LoadedScript> {
  const absolute = path.resolve(process.cwd(), scriptPath);
  const prefix = `Failed to load script ${scriptPath}`;
  let ns: Record<string, unknown>;
  try {
    ns = await importScript(pathToFileURL(absolute).href);
  } catch (err) {
    if (isSyntaxError(err)) {
      const what = syntaxMessage(err);
      const at = await locateSyntaxError(absolute);
      // Like Node's report of an uncaught SyntaxError: where, the line, a caret, the error.
      if (at) throw new ScriptSyntaxError(`${at.where}: ${what}`, `${at.where}\n${at.excerpt}\n\n${what}`);
      throw new ScriptSyntaxError(`${prefix}: ${what}`, errorStack(err));
    }
    const hint = needsJsonHint(err) ? JSON_HINT : '';
    throw new ScriptLoadError(`${prefix}: ${errorMessage(err)}${hint}`, errorStack(err));
  }
  if (typeof ns.default !== 'function') {
    throw new ScriptLoadError(`${prefix}: the default export must be a function (got ${describe(ns.default)})`);
  }
  const hooks: HookName[] = [];
  for (const name of HOOK_NAMES) {
    if (!(name in ns) || ns[name] === undefined) continue;
    if (typeof ns[name] !== 'function') {
      throw new ScriptLoadError(`${prefix}: export "${name}" must be a function (got ${describe(ns[name])})`);
    }
    hooks.push(name);
  }
  return { module: ns as unknown as QuarryScriptModule<unknown>, hooks };
}
