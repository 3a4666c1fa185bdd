// Emits a log event and returns without a terminal: the executor adds run_complete with {}.
export default async function returnNoTerminal(ctx) {
  await ctx.emit.info('about to return without a terminal', { step: 1 });
}
