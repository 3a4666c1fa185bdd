// slow-sleep — open a page, emit one item, then sleep for 60 s.
// Used to exercise --timeout, SIGINT/SIGTERM cancellation and a killed executor: the
// `before_sleep` item is on disk (strict policy) before the long wait begins.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export default async function slowSleep(ctx) {
  const html = await readFile(new URL('./fixture.html', import.meta.url), 'utf8');
  await ctx.page.setContent(html, { waitUntil: 'domcontentloaded' });
  const status = await ctx.page.$eval('#status', (p) => p.textContent);

  await ctx.emit.item({ item_type: 'before_sleep', data: { status, sleep_seconds: 60 } });
  await sleep(60_000);
  await ctx.emit.item({ item_type: 'after_sleep', data: { status: 'awake' } });
}
