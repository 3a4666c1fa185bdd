// Crawl benchmark, depth 0: open the index and enqueue one listing run per link.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (f) => path.relative(process.cwd(), fileURLToPath(new URL(f, import.meta.url)));

export default async function crawlRoot(ctx) {
  const base = String(ctx.job.base);
  await ctx.page.goto(`${base}/index.html`, { waitUntil: 'load' });
  const hrefs = await ctx.page.$$eval('a.listing', (as) => as.map((a) => a.getAttribute('href')));
  for (const href of hrefs) {
    await ctx.emit.enqueue({ target: here('./listing.mjs'), params: { base, page: href } });
  }
}
