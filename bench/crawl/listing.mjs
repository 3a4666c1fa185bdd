// Crawl benchmark, depth 1: open a listing, emit it, enqueue one detail run per product link.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (f) => path.relative(process.cwd(), fileURLToPath(new URL(f, import.meta.url)));

export default async function crawlListing(ctx) {
  const { base, page } = ctx.job;
  await ctx.page.goto(`${base}/${page}`, { waitUntil: 'load' });
  const hrefs = await ctx.page.$$eval('a.detail', (as) => as.map((a) => a.getAttribute('href')));
  await ctx.emit.item({ item_type: 'listing', data: { page, products: hrefs.length } });
  for (const href of hrefs) {
    await ctx.emit.enqueue({ target: here('./detail.mjs'), params: { base, page: href } });
  }
}
