// storage-put — write sidecar files next to the run's partition with ctx.storage.put.
//   1. page.html      (the raw fixture bytes, text/html)
//   2. summary.json   (values read from the rendered page, application/json)
//   3. page.html again → the runtime refuses it ("path already exists"); only that put fails (D9),
//      the script catches the error and records it as a `put_failed` item
//   4. after-failure.txt (text/plain) → later puts still work
// Every successful put is followed by a `stored` item {filename, key, size}, so the returned key can
// be compared with the path the runtime wrote.
import { readFile } from 'node:fs/promises';

async function put(ctx, filename, contentType, data) {
  const { key } = await ctx.storage.put({ filename, content_type: contentType, data });
  await ctx.emit.item({ item_type: 'stored', data: { filename, key, size: data.length } });
}

export default async function storagePut(ctx) {
  const raw = await readFile(new URL('./page.html', import.meta.url));
  await ctx.page.setContent(raw.toString('utf8'), { waitUntil: 'domcontentloaded' });

  await put(ctx, 'page.html', 'text/html', raw);

  const summary = {
    title: await ctx.page.title(),
    heading: await ctx.page.$eval('h1', (h) => h.textContent.trim()),
    metrics: await ctx.page.$$eval('li.metric', (nodes) =>
      nodes.map((n) => ({ label: n.textContent.trim(), value: Number(n.dataset.value) })),
    ),
  };
  await put(ctx, 'summary.json', 'application/json', Buffer.from(JSON.stringify(summary)));

  try {
    await ctx.storage.put({ filename: 'page.html', content_type: 'text/html', data: raw });
    await ctx.emit.item({ item_type: 'unexpected', data: { message: 'duplicate put succeeded' } });
  } catch (err) {
    await ctx.emit.item({
      item_type: 'put_failed',
      data: { filename: 'page.html', message: String(err && err.message ? err.message : err) },
    });
  }

  await put(ctx, 'after-failure.txt', 'text/plain', Buffer.from('written after a failed put\n'));
}
