// toy-pagination — walk two local fixture pages by following the "next" link's file name.
// Per page: one `toy_page_item` {title, page} per `li.item`, then a checkpoint `page-<n>`.
// Expected: One/Two/Three (page 1), checkpoint page-1, Four/Five/Six (page 2), checkpoint page-2.
import { readFile } from 'node:fs/promises';

export default async function toyPagination(ctx) {
  let fixture = 'page-1.html';
  for (let page = 1; fixture; page += 1) {
    const html = await readFile(new URL(`./${fixture}`, import.meta.url), 'utf8');
    await ctx.page.setContent(html, { waitUntil: 'domcontentloaded' });

    const titles = await ctx.page.$$eval('li.item', (nodes) => nodes.map((n) => n.textContent.trim()));
    for (const title of titles) {
      await ctx.emit.item({ item_type: 'toy_page_item', data: { title, page } });
    }
    await ctx.emit.checkpoint({ checkpoint_id: `page-${page}`, note: `${titles.length} items` });

    // The fixtures link to each other by relative file name; no network is involved.
    fixture = await ctx.page.$eval('a.next', (a) => a.getAttribute('href')).catch(() => null);
  }
}
