// intentional-failure — emit one item, then throw. The executor turns the throw into a
// `run_error` (error_type "script_error"); `quarry run` exits 1 with outcome script_error.
export default async function intentionalFailure(ctx) {
  await ctx.emit.item({ item_type: 'before_failure', data: { message: 'this item should be emitted' } });
  throw new Error('Intentional failure for testing');
}
