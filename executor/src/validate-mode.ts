import { hooksNeededUpfront, registerLoaderHooks } from './register-hooks.js';
import { ScriptLoadError, loadScript } from './script-loader.js';
import { errorMessage, exitAfterFlush } from './stderr.js';

/** `--validate <script>`: one JSON line on stdout, exit 0 valid / 1 invalid (contract §14.2). */
export async function validateMode(scriptPath: string): Promise<never> {
  if (hooksNeededUpfront(scriptPath)) registerLoaderHooks();
  const stdout = process.stdout;
  const original = stdout.write;
  // The answer must be the only stdout line; a script printing while it loads goes to stderr.
  stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
    (process.stderr.write as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof stdout.write;
  let line: object;
  let code: 0 | 1;
  try {
    const { hooks } = await loadScript(scriptPath);
    line = { valid: true, exports: { default: true, hooks } };
    code = 0;
  } catch (err) {
    line = { valid: false, error: err instanceof ScriptLoadError ? err.message : errorMessage(err) };
    code = 1;
  }
  stdout.write = original;
  await new Promise<void>((resolve) => stdout.write(`${JSON.stringify(line)}\n`, () => resolve()));
  return exitAfterFlush(code);
}
