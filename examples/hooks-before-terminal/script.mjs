// hooks-before-terminal — emit three products, then let `beforeTerminal` add a summary item.
// Expected: product Widget, Gadget, Gizmo (random integer price 0–99 each), then `run_summary`
// {total_items: 3} as the last event before the automatic `run_complete`.
import { readFile } from 'node:fs/promises';

let emitted = 0;

export default async function hooksBeforeTerminal(ctx) {
  const html = await readFile(new URL('./products.html', import.meta.url), 'utf8');
  await ctx.page.setContent(html, { waitUntil: 'domcontentloaded' });

  const names = await ctx.page.$$eval('.product .name', (nodes) => nodes.map((n) => n.textContent.trim()));
  for (const name of names) {
    const price = Math.floor(Math.random() * 100);
    await ctx.emit.item({ item_type: 'product', data: { name, price } });
    emitted += 1;
  }
}

export async function beforeTerminal(signal, ctx) {
  if (signal.outcome === 'completed') {
    await ctx.emit.item({ item_type: 'run_summary', data: { total_items: emitted } });
  }
}
