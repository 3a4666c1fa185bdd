// The `full_run` golden stream of executor-contract §22, captured from the real executor:
// item, log, artifact (one chunk + the commit), item, run_complete, then the run_result.
// Regenerate tests/fixtures/ipc/full_run.{bin,json} with this script (see the .json file).
export default async function fullRun(ctx) {
  await ctx.emit.item({ item_type: 'product', data: { name: 'Full Run Widget', price: 19.5 } });
  await ctx.emit.info('captured for the full_run fixture', { step: 2 });
  await ctx.emit.artifact({
    name: 'bytes.bin',
    content_type: 'application/octet-stream',
    data: Buffer.from(Array.from({ length: 64 }, (_, i) => i)),
  });
  await ctx.emit.item({ item_type: 'product', data: { name: 'Second Widget', price: 7 } });
  await ctx.emit.runComplete({ summary: { items: 2 } });
}
