// Emits the environment the script sees, so a test can check which variables reached it.
export default async function dumpEnv(ctx) {
  await ctx.emit.item({ item_type: 'env', data: { env: { ...process.env } } });
}
