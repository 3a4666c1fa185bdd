// Crawl benchmark, depth 2: open a product page and emit it.
export default async function crawlDetail(ctx) {
  const { base, page } = ctx.job;
  await ctx.page.goto(`${base}/${page}`, { waitUntil: 'load' });
  const data = await ctx.page.$eval('.product', (el) => ({
    id: el.dataset.id,
    title: el.querySelector('h1').textContent,
    price: el.querySelector('.price').textContent,
  }));
  await ctx.emit.item({ item_type: 'product', data });
}
