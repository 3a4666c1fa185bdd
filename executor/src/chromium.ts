import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

/** PUPPETEER_EXECUTABLE_PATH, else the first known Chromium name on PATH (contract §14.4). */
export function findChromium(): string {
  const explicit = process.env.PUPPETEER_EXECUTABLE_PATH;
  if (explicit) return explicit;
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const name of CANDIDATES) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // keep looking
      }
    }
  }
  throw new Error(
    `no Chromium found: set PUPPETEER_EXECUTABLE_PATH or put one of ${CANDIDATES.join(', ')} on PATH`,
  );
}

/**
 * Launch flags. The sandbox is disabled when QUARRY_NO_SANDBOX=1 and also when running as root:
 * Chromium refuses to start as root with its sandbox ("Running as root without --no-sandbox is
 * not supported"), and containers and CI commonly run as root, so failing there would only turn
 * every run into a crash.
 * The background-networking/component/sync/QUIC switches stop Chromium from phoning home, which
 * on a closed network only produces a stream of refused connections.
 */
export function chromiumArgs(): string[] {
  const args = [
    '--disable-dev-shm-usage',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
  ];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (process.env.QUARRY_NO_SANDBOX === '1' || isRoot) args.push('--no-sandbox', '--disable-setuid-sandbox');
  return args;
}
