// Browser reuse: reports the per-origin state (cookie, localStorage) the run finds at job.url,
// sets its own mark and reads it back after a reload, and says whether the executor launched its
// own browser or connected to a shared one. job.hold_ms keeps the run (and its page) open.
export default async function reuseState(ctx) {
  const { page, job } = ctx;
  const read = () =>
    page.evaluate(() => ({ cookie: document.cookie, stored: localStorage.getItem('quarry-reuse') }));
  await page.goto(job.url, { waitUntil: 'domcontentloaded' });
  const before = await read();
  await page.evaluate((mark) => {
    document.cookie = `quarry-reuse=${mark}; max-age=3600; path=/`;
    localStorage.setItem('quarry-reuse', mark);
  }, job.mark);
  await page.reload({ waitUntil: 'domcontentloaded' });
  const after = await read();
  const launched = page.browser().process() !== null;
  await ctx.emit.item({ item_type: 'state', data: { before, after, launched } });
  if (job.hold_ms) await new Promise((resolve) => setTimeout(resolve, job.hold_ms));
}
