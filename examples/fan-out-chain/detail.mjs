// fan-out-chain (child) — load the detail fixture named by the job and emit one `product` item
// {id, title, price, description}, all strings as they appear in the page.
// Run on its own: --job '{"product_id":"2","fixture":"detail-2.html"}'
import { readFile } from 'node:fs/promises';

export default async function fanOutDetail(ctx) {
  const fixture = String(ctx.job.fixture ?? '');
  if (!/^detail-\d+\.html$/.test(fixture)) throw new Error(`unexpected fixture name: ${fixture}`);

  const html = await readFile(new URL(`./${fixture}`, import.meta.url), 'utf8');
  await ctx.page.setContent(html, { waitUntil: 'domcontentloaded' });

  const product = await ctx.page.$eval('.product-detail[data-id]', (el) => ({
    id: el.dataset.id,
    title: el.querySelector('.title').textContent.trim(),
    price: el.querySelector('.price').textContent.trim(),
    description: el.querySelector('.description').textContent.trim(),
  }));
  if (ctx.job.product_id !== undefined && String(ctx.job.product_id) !== product.id) {
    throw new Error(`fixture ${fixture} holds product ${product.id}, job asked for ${ctx.job.product_id}`);
  }
  await ctx.emit.item({ item_type: 'product', data: product });
}
