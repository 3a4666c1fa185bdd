// typescript-list — the TypeScript flavour of a list scrape. Types come from the SDK with a
// type-only import (erased when the executor strips or transpiles the types).
// Expected: 3 items `ts_list_item` {name, year (number), position}: ALGOL 1958, Simula 1962,
// Smalltalk 1972.
import type { QuarryContext } from '@quarry/sdk';
import { readFile } from 'node:fs/promises';

interface Row {
  name: string;
  year: number;
}

export default async function typescriptList(ctx: QuarryContext): Promise<void> {
  const html: string = await readFile(new URL('./fixture.html', import.meta.url), 'utf8');
  await ctx.page.setContent(html, { waitUntil: 'domcontentloaded' });

  const rows: Row[] = await ctx.page.$$eval('tr.row', (trs) =>
    trs.map((tr) => ({
      name: (tr.querySelector('.name')?.textContent ?? '').trim(),
      year: Number(tr.querySelector('.year')?.textContent ?? 'NaN'),
    })),
  );
  let position = 0;
  for (const row of rows) {
    position += 1;
    await ctx.emit.item({ item_type: 'ts_list_item', data: { ...row, position } });
  }
}
