// Proxy pools end to end: visits job.url through the run's proxy and emits what the site saw
// (the Via header tinyproxy adds names the proxy). job.rotate asks for another endpoint next
// time; job.visit=false skips the page (the run only reports the endpoint it was given);
// job.fail_first rotates and fails the first attempt (a retry must get another endpoint);
// job.kids: child jobs enqueued (after any rotation) with this script as the target.
export default async function proxyVisit(ctx) {
  const { page, job } = ctx;
  if (job.visit !== false) {
    const res = await page.goto(job.url, { waitUntil: 'domcontentloaded' });
    const body = await page.$eval('body', (b) => b.textContent);
    await ctx.emit.item({ item_type: 'visit', data: { status: res.status(), body } });
  } else {
    await ctx.emit.item({ item_type: 'visit', data: { skipped: true } });
  }
  if (job.rotate) await ctx.emit.rotateProxy({ reason: 'blocked' });
  for (const kid of job.kids ?? []) {
    await ctx.emit.enqueue({ target: 'tests/e2e/scripts/proxy-visit.mjs', params: kid });
  }
  if (job.fail_first && ctx.run.attempt === 1) {
    await ctx.emit.rotateProxy({ reason: 'blocked' });
    throw new Error('blocked on the first attempt');
  }
}
