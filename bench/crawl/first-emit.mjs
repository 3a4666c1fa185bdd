// Start-up benchmark: one item as soon as the page exists (the page is needed: it is what a
// browser costs to provide).
export default async function firstEmit(ctx) {
  await ctx.page.setContent('<p>ready</p>');
  await ctx.emit.item({ item_type: 'ready', data: { t: Date.now() } });
}
