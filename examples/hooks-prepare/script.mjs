// hooks-prepare — `prepare` runs before any browser exists and may skip the job.
//   --job '{"url":"https://example.com"}'              → 1 item `page` {url, title: ""}
//   --job '{"url":"https://example.com","stale":true}' → skipped: only run_complete
//                                                         {summary: {skipped: true, reason: "job marked as stale"}}
// The page is built from a local template (no <title>, so the title is ""); nothing is fetched.
import { readFile } from 'node:fs/promises';

export function prepare(job) {
  if (job && job.stale === true) {
    return { action: 'skip', reason: 'job marked as stale' };
  }
  return { action: 'continue' };
}

const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

export default async function hooksPrepare(ctx) {
  const url = String(ctx.job.url ?? '');
  const template = await readFile(new URL('./template.html', import.meta.url), 'utf8');
  await ctx.page.setContent(template.replace('{{url}}', escapeHtml(url)), { waitUntil: 'domcontentloaded' });

  const heading = await ctx.page.$eval('#target', (h) => h.textContent);
  if (heading !== url) throw new Error(`heading mismatch: ${heading}`);
  await ctx.emit.item({ item_type: 'page', data: { url, title: await ctx.page.title() } });
}
