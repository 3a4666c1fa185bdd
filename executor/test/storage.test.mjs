import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ackFrame, fixture, runExecutor, startSharedBrowser } from './harness.mjs';

// Runs are independent processes; a few at a time keep the suite short on two cores.
describe('storage.put through the executor', { concurrency: 3 }, () => {
  let shared;
  before(async () => {
    shared = await startSharedBrowser();
  });
  after(async () => {
    await shared.stop();
  });

  const STORAGE = { dataset: 'quarry', source: 'shop eu/1', category: 'products', day: '2026-03-22', run_id: 'run-1' };
  const FILES = 'datasets/quarry/partitions/source=shop%20eu%2F1/category=products/day=2026-03-22/run_id=run-1/files';

  /** A runtime stand-in that acks each file_write (refusing names listed in `refuse`). */
  function acking(refuse = {}) {
    const seen = [];
    return {
      seen,
      onFrame(frame, write) {
        if (frame.type !== 'file_write') return;
        seen.push([frame.write_id, frame.filename]);
        const error = refuse[frame.filename];
        write(ackFrame(frame.write_id, error === undefined, error));
      },
    };
  }

  function run(job, { storage = STORAGE, ...rest } = {}) {
    const request = { run_id: 'run-1', attempt: 1, job, browser_ws_endpoint: shared.endpoint };
    if (storage !== null) request.storage = storage;
    return runExecutor({ args: [fixture('storage.mjs')], request, ...rest });
  }

  test('puts are acked; an error ack fails only that put (D9); keys are escaped (D11.11); oversize is a RangeError', async () => {
    const runtime = acking({ 'dup.txt': 'path already exists' });
    const r = await run(
      {
        puts: [
          { filename: 'a.txt', data: 'A' },
          { filename: 'dup.txt', data: 'B' },
          { filename: '../x', data: 'C' },
          { filename: 'c.txt', data: 'D' },
        ],
        big: true,
      },
      { onFrame: runtime.onFrame },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(runtime.seen, [[1, 'a.txt'], [2, 'dup.txt'], [3, 'c.txt']]);
    const items = r.events.filter((e) => e.type === 'item').map((e) => e.payload);
    assert.deepEqual(items[0], { item_type: 'stored', data: { filename: 'a.txt', key: `${FILES}/a.txt` } });
    assert.deepEqual(items[1], {
      item_type: 'put_failed',
      data: { filename: 'dup.txt', name: 'Error', message: 'storage.put failed for "dup.txt": path already exists' },
    });
    assert.equal(items[2].data.name, 'StorageFilenameError');
    assert.deepEqual(items[3], { item_type: 'stored', data: { filename: 'c.txt', key: `${FILES}/c.txt` } });
    assert.equal(items[4].data.rangeError, true);
    assert.match(items[4].data.message, /8 MiB/);
    assert.equal(r.events.at(-1).type, 'run_complete');
    assert.deepEqual(r.events.map((e) => e.seq), r.events.map((_, i) => i + 1));
    assert.deepEqual(r.runResult.outcome, { status: 'completed', message: 'run completed' });
  });

  test('without acks (stdin closed after the request) puts resolve fire-and-forget', async () => {
    const r = await run({ puts: [{ filename: 'a.txt', data: 'A' }] }, { closeStdin: 'now' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.events[0].payload.data, { filename: 'a.txt', key: `${FILES}/a.txt` });
  });

  test('an invalid storage block only warns; keys are then ""', async () => {
    const runtime = acking();
    const r = await run({ puts: [{ filename: 'a.txt', data: 'A' }] }, { storage: { ...STORAGE, day: '' }, onFrame: runtime.onFrame });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Warning: .*storage/m);
    assert.deepEqual(r.events[0].payload.data, { filename: 'a.txt', key: '' });
    const absent = await run({ puts: [{ filename: 'b.txt', data: 'B' }] }, { storage: null, onFrame: acking().onFrame });
    assert.equal(absent.events[0].payload.data.key, '');
    assert.doesNotMatch(absent.stderr, /Warning/);
  });

  test('bytes after the LF in the same write belong to the ack stream', async () => {
    // A foreign frame split across the request write and a later write: if the bytes after the LF
    // were dropped, the ack stream would be misaligned and the put's ack never matched.
    const foreign = Buffer.from('0000000881a474797065a178', 'hex');
    const request = { run_id: 'run-1', attempt: 1, job: { puts: [{ filename: 'a.txt', data: 'A' }] }, browser_ws_endpoint: shared.endpoint, storage: STORAGE };
    let sentRest = false;
    const r = await runExecutor({
      args: [fixture('storage.mjs')],
      stdin: Buffer.concat([Buffer.from(`${JSON.stringify(request)}\n`), foreign.subarray(0, 6)]),
      onFrame(frame, write) {
        if (frame.type !== 'file_write') return;
        write(Buffer.concat([foreign.subarray(6), ackFrame(frame.write_id, false, 'refused on purpose')]));
        sentRest = true;
      },
    });
    assert.ok(sentRest);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.events[0].payload.item_type, 'put_failed');
    assert.match(r.events[0].payload.data.message, /refused on purpose/);
  });
});
