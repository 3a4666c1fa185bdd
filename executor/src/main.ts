import { USAGE, parseArgs } from './argv.js';
import { errorMessage, exitAfterFlush, tolerateStderrFailure } from './stderr.js';

async function main(): Promise<never> {
  tolerateStderrFailure();
  const mode = parseArgs(process.argv.slice(2));
  switch (mode.kind) {
    case 'usage':
      process.stderr.write(`${USAGE} (${mode.problem})\n`);
      return exitAfterFlush(3);
    case 'run':
      return (await import('./run-mode.js')).runMode(mode.script);
    case 'validate':
      return (await import('./validate-mode.js')).validateMode(mode.script);
    case 'browser-server':
      return (await import('./browser-server-mode.js')).browserServerMode();
    case 'launch-browser':
      return (await import('./launch-browser-mode.js')).launchBrowserMode();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`Error: executor failed: ${errorMessage(err).replace(/\s*\n\s*/g, " | ")}\n`);
  void exitAfterFlush(2);
});
