// Bundles the executor's own sources into dist/; every npm package stays external so scripts and
// the executor share one @quarry/sdk instance and Puppeteer is loaded only when a browser is needed.
import { chmod, rm } from 'node:fs/promises';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  legalComments: 'none',
};

await rm('dist', { recursive: true, force: true });
await build({
  ...common,
  entryPoints: ['src/main.ts'],
  outfile: 'dist/executor.mjs',
  banner: { js: '#!/usr/bin/env node' },
});
await build({ ...common, entryPoints: ['src/loader-hooks.ts'], outfile: 'dist/loader-hooks.mjs' });
await chmod('dist/executor.mjs', 0o755);
