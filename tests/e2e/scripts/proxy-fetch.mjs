// Navigates to job.url (through the run's proxy, which the executor applies to the run's browser
// context) and emits the status and body text it got.
export default async function proxyFetch(ctx) {
  const res = await ctx.page.goto(ctx.job.url);
  const body = await ctx.page.$eval('body', (b) => b.textContent);
  await ctx.emit.item({ item_type: 'proxied', data: { url: ctx.job.url, status: res.status(), body } });
}
