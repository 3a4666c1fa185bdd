// Fan-out fixture: one node of a crawl tree, described entirely by its job, so one script makes
// every shape test_fanout.py needs.
//   job.id          the node's name (in its `node` item, or in a leaf's skip reason)
//   job.kids        [{job, source?, category?, target?}]: one `enqueue` each, in order (the target
//                   defaults to this script; repeated entries exercise dedup)
//   job.hold_ms     a node with kids waits this long after enqueueing (children start meanwhile)
//   job.sleep_ms    a leaf waits this long in prepare (so a signal or kill finds it running)
//   job.fail_file   a leaf counts its attempts in this file and fails (prepare throws) while the
//   job.fail_times  count is below fail_times
// A node with kids opens the browser (connect mode to the crawl's managed browser); a leaf ends in
// prepare with `skip` and starts no browser, which keeps crawls of many children fast.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = path.relative(process.cwd(), fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function prepare(job) {
  if (Array.isArray(job.kids) && job.kids.length > 0) return { action: 'continue' };
  if (job.sleep_ms) await sleep(job.sleep_ms);
  if (job.fail_file) {
    let n = 0;
    try {
      n = Number(fs.readFileSync(job.fail_file, 'utf8')) || 0;
    } catch {
      n = 0;
    }
    fs.writeFileSync(job.fail_file, String(n + 1));
    if (n < (job.fail_times ?? 0)) throw new Error(`planned failure ${n + 1} of ${job.fail_times}`);
  }
  return { action: 'skip', reason: `leaf ${job.id ?? '?'}` };
}

export default async function node(ctx) {
  const job = ctx.job;
  await ctx.emit.item({ item_type: 'node', data: { id: job.id ?? 'root', kids: job.kids.length } });
  for (const kid of job.kids) {
    const payload = { target: kid.target ?? SELF, params: kid.job ?? {} };
    if (kid.source !== undefined) payload.source = kid.source;
    if (kid.category !== undefined) payload.category = kid.category;
    await ctx.emit.enqueue(payload);
  }
  if (job.hold_ms) await sleep(job.hold_ms);
}
