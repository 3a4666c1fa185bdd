// prepare throws: no events, run_result crash, executor exit 2, no browser started.
export function prepare() {
  throw new Error('prepare exploded on purpose');
}

export default async function neverRuns(ctx) {
  await ctx.emit.item({ item_type: 'unexpected', data: {} });
}
