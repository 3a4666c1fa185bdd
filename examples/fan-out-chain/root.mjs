// fan-out-chain (root) — read a local listing and emit one `enqueue` per product. Each enqueue
// targets the detail script (its path relative to the working directory, like --script) with
// params {product_id, fixture}.
//   without --depth: 3 enqueue events are stored, no child runs
//   with --depth 1 --max-runs 10 --parallel 3: 3 child runs of detail.mjs, one `product` item each
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DETAIL_SCRIPT = path.relative(process.cwd(), fileURLToPath(new URL('./detail.mjs', import.meta.url)));

export default async function fanOutRoot(ctx) {
  const html = await readFile(new URL('./listing.html', import.meta.url), 'utf8');
  await ctx.page.setContent(html, { waitUntil: 'domcontentloaded' });

  const products = await ctx.page.$$eval('li.product', (nodes) =>
    nodes.map((n) => ({ id: n.dataset.id, fixture: n.querySelector('a').getAttribute('href') })),
  );
  for (const { id, fixture } of products) {
    await ctx.emit.enqueue({ target: DETAIL_SCRIPT, params: { product_id: id, fixture } });
  }
}
