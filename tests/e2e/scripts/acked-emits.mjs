// Emits item i, then a one-byte sidecar put and waits for its ack, then appends i to the ledger file
// named by the job. The runtime handles frames in order and strict writes each item before it reads
// the next frame, so a ledger entry i means the runtime had accepted items 1..i (the put's ack is the
// only answer the script gets). Runs until it is killed.
import { appendFileSync } from 'node:fs';

export default async function ackedEmits(ctx) {
  const ledger = String(ctx.job.ledger);
  for (let i = 1; i <= 100000; i += 1) {
    await ctx.emit.item({ item_type: 'acked', data: { i, pad: 'x'.repeat(120) } });
    await ctx.storage.put({ filename: `mark-${i}.txt`, content_type: 'text/plain', data: Buffer.from('m') });
    appendFileSync(ledger, `${i}\n`);
  }
}
