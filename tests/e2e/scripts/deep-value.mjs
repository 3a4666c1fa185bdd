// Emits a value nested far deeper than the runtime accepts, catches the SDK's refusal and goes on:
// the refused emit must not end the run (issue: it used to end as executor_crash).
export default async function deepValue(ctx) {
  await ctx.emit.item({ item_type: 'before', data: { n: 1 } });
  let deep = 'leaf';
  for (let i = 0; i < 300; i++) deep = [deep];
  let refused = '';
  try {
    await ctx.emit.item({ item_type: 'deep', data: { deep } });
  } catch (err) {
    refused = `${err.name}: ${err.message}`;
  }
  await ctx.emit.item({ item_type: 'after', data: { refused } });
}
