// A paginated run that checkpoints after every page (`page-<n>`). Attempt 1 stops after page
// job.fail_after: it throws, or with job.hang waits forever (the test kills its worker, so the
// attempt ends by heartbeat timeout). Later attempts start after the page ctx.resume names.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default async function checkpointResume(ctx) {
  const { job, run } = ctx;
  const start = ctx.resume ? Number(ctx.resume.checkpoint_id.replace('page-', '')) + 1 : 1;
  await ctx.emit.item({ item_type: 'resumed', data: { attempt: run.attempt, resume: ctx.resume, start } });
  for (let p = start; p <= job.pages; p++) {
    await ctx.emit.item({ item_type: 'page', data: { page: p, attempt: run.attempt } });
    await ctx.emit.checkpoint({ checkpoint_id: `page-${p}` });
    if (run.attempt === 1 && p === job.fail_after) {
      if (job.hang) {
        for (;;) await sleep(1000);
      }
      throw new Error(`failed after page ${p}`);
    }
  }
}
