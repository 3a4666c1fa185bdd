// Emits `about_to_finish`, waits job.sleep_ms (default 3 s) and ends successfully: a test stops
// the server once the marker is in Lode, so the run finishes while the server is away.
import { setTimeout as sleep } from 'node:timers/promises';

export default async function finishAfterMarker(ctx) {
  await ctx.emit.item({ item_type: 'about_to_finish', data: { attempt: ctx.run.attempt } });
  await sleep(Number(ctx.job?.sleep_ms ?? 3000));
  await ctx.emit.item({ item_type: 'finished', data: { attempt: ctx.run.attempt } });
}
