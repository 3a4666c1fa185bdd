// static-html-list — load a local fixture and emit one item per `li.item`.
// Expected: 3 items `static_list_item` with titles Alpha, Beta, Gamma (in document order).
import { readFile } from 'node:fs/promises';

const FIXTURE = new URL('./fixture.html', import.meta.url);

export default async function staticHtmlList(ctx) {
  const html = await readFile(FIXTURE, 'utf8');
  await ctx.page.setContent(html, { waitUntil: 'domcontentloaded' });

  const titles = await ctx.page.$$eval('li.item', (nodes) => nodes.map((n) => n.textContent.trim()));
  for (const title of titles) {
    await ctx.emit.item({ item_type: 'static_list_item', data: { title } });
  }
}
