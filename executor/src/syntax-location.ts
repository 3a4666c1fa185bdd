import { errorMessage } from './stderr.js';

/** Where a script's syntax error is, in the form Node prints for an uncaught one. */
export interface SyntaxLocation {
  /** `file:line:column` (1-based line and column, file relative to the working directory). */
  where: string;
  /** The offending line and a caret under the column. */
  excerpt: string;
}

interface EsbuildMessage {
  text: string;
  location: { file: string; line: number; column: number; lineText: string } | null;
}

/** A syntax error from importing the script: V8's own, or esbuild's when a .ts file failed to transpile. */
export function isSyntaxError(err: unknown): boolean {
  if (err instanceof SyntaxError) return true;
  const errors = (err as { errors?: unknown })?.errors;
  return Array.isArray(errors) && errors.some((e) => (e as EsbuildMessage)?.location != null);
}

/**
 * V8 reports a SyntaxError of an ES module without its position (Node adds it only to the
 * text it prints for an uncaught error), so the module graph is parsed again with esbuild,
 * which names file, line, column and line text. Only the script's own files are parsed
 * (packages stay external); resolution failures are not syntax errors and are skipped.
 */
export async function locateSyntaxError(scriptPath: string): Promise<SyntaxLocation | undefined> {
  let build: (options: object) => Promise<unknown>;
  try {
    ({ build } = (await import('esbuild')) as { build: typeof build });
  } catch {
    return undefined;
  }
  try {
    await build({
      entryPoints: [scriptPath],
      bundle: true,
      write: false,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
    return undefined;
  } catch (err) {
    const errors = ((err as { errors?: EsbuildMessage[] })?.errors ?? []).filter(
      (e) => e.location && !e.text.startsWith('Could not resolve'),
    );
    const first = errors[0]?.location;
    if (!first) return undefined;
    const caret = `${' '.repeat(first.column)}^`;
    return { where: `${first.file}:${first.line}:${first.column + 1}`, excerpt: `${first.lineText}\n${caret}` };
  }
}

/** The error's own first line: V8's message, or esbuild's first error text. */
export function syntaxMessage(err: unknown): string {
  if (err instanceof SyntaxError) return `SyntaxError: ${err.message}`;
  const first = (err as { errors?: EsbuildMessage[] })?.errors?.[0];
  return first ? `SyntaxError: ${first.text}` : errorMessage(err);
}
