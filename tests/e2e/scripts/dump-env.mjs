// Stores the names of the environment variables the script sees, so a test can prove which
// credentials reach scripts (values are not stored: the test greps the dataset for them).
export default async function dumpEnv(ctx) {
  await ctx.emit.item({ item_type: 'env', data: { names: Object.keys(process.env).sort() } });
}
