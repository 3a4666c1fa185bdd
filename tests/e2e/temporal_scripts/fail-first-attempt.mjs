// Fails on attempt 1 and succeeds on any later attempt: exercises the workflow's retry with
// lineage (the second run must carry attempt 2 and the first run's id as parent_run_id).
export default async function failFirstAttempt(ctx) {
  await ctx.page.setContent('<p id="n">ok</p>');
  await ctx.emit.item({ item_type: 'attempt_seen', data: { attempt: ctx.run.attempt } });
  if (ctx.run.attempt === 1) throw new Error('failing attempt 1 on purpose');
}
