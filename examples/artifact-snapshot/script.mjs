// artifact-snapshot — render a local fixture card and store a PNG screenshot of it as an artifact.
// Expected: 1 artifact `snapshot.png` (image/png, well over 1000 bytes), then `run_complete`.
import { readFile } from 'node:fs/promises';

export default async function artifactSnapshot(ctx) {
  const html = await readFile(new URL('./card.html', import.meta.url), 'utf8');
  await ctx.page.setViewport({ width: 480, height: 320 });
  await ctx.page.setContent(html, { waitUntil: 'load' });

  const card = await ctx.page.$('.card');
  const png = await card.screenshot({ type: 'png' });
  await ctx.emit.artifact({ name: 'snapshot.png', content_type: 'image/png', data: Buffer.from(png) });
}
