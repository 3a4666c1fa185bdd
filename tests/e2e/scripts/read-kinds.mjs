// Every record kind for the read commands' tests (test_read_commands.py): two items, a log, an
// artifact (chunk + commit), a sidecar file, an enqueue (a task nobody schedules without
// --depth), then run_complete. job.fail: prepare throws (script_error, no browser started).
// job.hold_ms: emit one item, then wait (so a test can kill the run before its metrics record).
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function prepare(job) {
  if (job?.fail) throw new Error('planned failure for the read commands');
  return { action: 'continue' };
}

export default async function readKinds(ctx) {
  const job = ctx.job ?? {};
  if (job.hold_ms) {
    await ctx.emit.item({ item_type: 'held', data: { n: 1 } });
    await sleep(job.hold_ms);
    return;
  }
  await ctx.emit.item({ item_type: 'product', data: { sku: 'A1', price: 9.5 } });
  await ctx.emit.item({ item_type: 'product', data: { sku: 'A2', price: 3 } });
  await ctx.emit.info('page done', { step: 1 });
  await ctx.emit.artifact({
    name: 'bytes.bin',
    content_type: 'application/octet-stream',
    data: Buffer.from('abcdef'),
  });
  await ctx.storage.put({ filename: 'page.html', content_type: 'text/html', data: Buffer.from('<p>hi</p>') });
  await ctx.emit.enqueue({ target: 'tests/e2e/scripts/read-kinds.mjs', params: { page: 2 } });
  await ctx.emit.runComplete({ summary: { items: 2 } });
}
