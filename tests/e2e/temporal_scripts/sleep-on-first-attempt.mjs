// Attempt 1 emits one item and then sleeps for two minutes (long enough to be killed or
// cancelled mid-run); later attempts emit one item and finish at once.
import { setTimeout as sleep } from 'node:timers/promises';

export default async function sleepOnFirstAttempt(ctx) {
  await ctx.page.setContent('<p>sleeping</p>');
  await ctx.emit.item({ item_type: 'before_sleep', data: { attempt: ctx.run.attempt } });
  if (ctx.run.attempt === 1) await sleep(120_000);
  await ctx.emit.item({ item_type: 'after_sleep', data: { attempt: ctx.run.attempt } });
}
