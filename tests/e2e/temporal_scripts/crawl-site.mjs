// A tiny site for the crawl workflow tests, no network: each page's HTML is built here and loaded
// in the browser with setContent; the script reads the page's links back from the DOM, emits one
// `page` item and one enqueue per link (target: this script by its path relative to the working
// directory, params {page, sleep_ms}, and the link's source/category override when it has one).
// job.sleep_ms (default 0) makes every page take that long, job.leaf_sleep_ms the pages that only
// link to x (a1, a2, b1, c1, c2), so a test can kill a worker while they run.
//
//   home -> a, b, c (source "sub"), a again
//   a    -> a1, a2, b again        b -> b1        c -> c1 (category "detail"), c2
//   a1, a2, b1, c1, c2 -> x        (depth 3: skipped by a depth-2 crawl)
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const SELF = path.relative(process.cwd(), fileURLToPath(import.meta.url));

const SITE = {
  home: [{ to: 'a' }, { to: 'b' }, { to: 'c', source: 'sub' }, { to: 'a' }],
  a: [{ to: 'a1' }, { to: 'a2' }, { to: 'b' }],
  b: [{ to: 'b1' }],
  c: [{ to: 'c1', category: 'detail' }, { to: 'c2' }],
  a1: [{ to: 'x' }],
  a2: [{ to: 'x' }],
  b1: [{ to: 'x' }],
  c1: [{ to: 'x' }],
  c2: [{ to: 'x' }],
  x: [],
};

function html(name) {
  const links = (SITE[name] ?? [])
    .map((l) => {
      const attrs = [`data-to="${l.to}"`];
      if (l.source) attrs.push(`data-source="${l.source}"`);
      if (l.category) attrs.push(`data-category="${l.category}"`);
      return `<li><a class="link" ${attrs.join(' ')} href="#${l.to}">${l.to}</a></li>`;
    })
    .join('');
  return `<html><head><title>${name}</title></head><body><h1>${name}</h1><ul>${links}</ul></body></html>`;
}

export default async function crawlSite(ctx) {
  const name = String(ctx.job.page ?? 'home');
  const leafSleepMs = Number(ctx.job.leaf_sleep_ms ?? 0);
  const leaf = (SITE[name] ?? []).every((l) => l.to === 'x') && name !== 'x';
  const sleepMs = Number(ctx.job.sleep_ms ?? 0) + (leaf ? leafSleepMs : 0);
  await ctx.page.setContent(html(name), { waitUntil: 'domcontentloaded' });
  const title = await ctx.page.title();
  const links = await ctx.page.$$eval('a.link', (els) =>
    els.map((e) => ({ to: e.dataset.to, source: e.dataset.source, category: e.dataset.category })),
  );
  if (sleepMs > 0) await sleep(sleepMs);
  await ctx.emit.item({ item_type: 'page', data: { page: title, attempt: ctx.run.attempt } });
  for (const l of links) {
    const params = { page: l.to, sleep_ms: Number(ctx.job.sleep_ms ?? 0) };
    if (leafSleepMs > 0) params.leaf_sleep_ms = leafSleepMs;
    const req = { target: SELF, params };
    if (l.source) req.source = l.source;
    if (l.category) req.category = l.category;
    await ctx.emit.enqueue(req);
  }
}
