// prepare skips without a reason: run_complete {summary: {skipped: true}} (no reason key).
export const prepare = async () => ({ action: 'skip' });

export default async function neverRuns(ctx) {
  await ctx.emit.item({ item_type: 'unexpected', data: {} });
}
