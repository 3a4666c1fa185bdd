// demo — the smallest Quarry script: one item, no page access, no network.
// Expected: 1 `item` (item_type "demo"), then the automatic `run_complete`.

export default async function demo(ctx) {
  await ctx.emit.item({ item_type: 'demo', data: { message: 'hello from quarry' } });
}
