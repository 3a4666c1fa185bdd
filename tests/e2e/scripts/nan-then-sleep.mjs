// Emits a valid item, then an item whose payload holds NaN (not representable in the stored JSONL,
// storage-and-policies §4.8), then sleeps 60 s: strict refuses seq 2 at once, so the run must end
// as policy_failure while Chromium and the executor are still alive, and both must be killed.
import { setTimeout as sleep } from 'node:timers/promises';

export default async function nanThenSleep(ctx) {
  await ctx.page.setContent('<p id="x">nan</p>');
  await ctx.emit.item({ item_type: 'ok', data: { n: 1 } });
  await ctx.emit.item({ item_type: 'bad', data: { price: Number.NaN } });
  await sleep(60_000);
  await ctx.emit.item({ item_type: 'never', data: {} });
}
