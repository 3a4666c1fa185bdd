import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  DEFAULT_MEMORY_THRESHOLDS,
  cgroupMemoryUsage,
  createMemoryAPI,
  pressureLevel,
  resolveMemoryThresholds,
} from '../dist/index.js';

test('default thresholds are 0.5 / 0.7 / 0.9 and a ratio at a threshold selects that level', () => {
  assert.deepEqual({ ...DEFAULT_MEMORY_THRESHOLDS }, { moderate: 0.5, high: 0.7, critical: 0.9 });
  assert.equal(pressureLevel(0.49), 'low');
  assert.equal(pressureLevel(0.5), 'moderate');
  assert.equal(pressureLevel(0.7), 'high');
  assert.equal(pressureLevel(0.9), 'critical');
  assert.equal(pressureLevel(1.2), 'critical');
});

test('custom thresholds must lie in (0, 1] and increase strictly', () => {
  assert.deepEqual(resolveMemoryThresholds({ high: 0.8 }), { moderate: 0.5, high: 0.8, critical: 0.9 });
  assert.deepEqual(resolveMemoryThresholds({ moderate: 0.2, high: 0.3, critical: 1 }), { moderate: 0.2, high: 0.3, critical: 1 });
  for (const bad of [{ moderate: 0 }, { critical: 1.1 }, { high: 0.5 }, { moderate: 0.8 }, { high: NaN }, { moderate: '0.1' }]) {
    assert.throws(() => resolveMemoryThresholds(bad), RangeError, JSON.stringify(bad));
  }
  assert.throws(() => createMemoryAPI({ thresholds: { moderate: 0.9, high: 0.8 } }), RangeError);
});

async function fakeCgroup(files) {
  const root = await mkdtemp(path.join(tmpdir(), 'quarry-cg-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
  return root;
}

test('cgroup v2 and v1 readings, and their unavailable cases', async () => {
  assert.deepEqual(await cgroupMemoryUsage(await fakeCgroup({ 'memory.current': '300\n', 'memory.max': '1000\n' })), {
    used: 300, limit: 1000, ratio: 0.3,
  });
  assert.equal(await cgroupMemoryUsage(await fakeCgroup({ 'memory.current': '300', 'memory.max': 'max' })), null);
  assert.deepEqual(
    await cgroupMemoryUsage(await fakeCgroup({ 'memory/memory.usage_in_bytes': '50', 'memory/memory.limit_in_bytes': '200' })),
    { used: 50, limit: 200, ratio: 0.25 },
  );
  assert.equal(
    await cgroupMemoryUsage(
      await fakeCgroup({ 'memory/memory.usage_in_bytes': '50', 'memory/memory.limit_in_bytes': '9223372036854771712' }),
    ),
    null,
  );
  assert.equal(await cgroupMemoryUsage(await fakeCgroup({})), null);
});

test('snapshot combines node, browser and cgroup; pressure is the highest level', async () => {
  const page = { metrics: async () => ({ JSHeapUsedSize: 80, JSHeapTotalSize: 100 }) };
  const cgroupRoot = await fakeCgroup({ 'memory.current': '10', 'memory.max': '100' });
  const memory = createMemoryAPI({ page, cgroupRoot });
  const snap = await memory.snapshot();
  assert.ok(snap.node.used > 0 && snap.node.limit > snap.node.used);
  assert.equal(snap.node.ratio, snap.node.used / snap.node.limit);
  assert.deepEqual(snap.browser, { used: 80, limit: 100, ratio: 0.8 });
  assert.deepEqual(snap.cgroup, { used: 10, limit: 100, ratio: 0.1 });
  assert.equal(snap.pressure, 'high');
  assert.match(snap.ts, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  assert.equal(await memory.isAbove('high'), true);
  assert.equal(await memory.isAbove('critical'), false);
  assert.equal(await memory.isAbove('moderate', { browser: false }), false);
  const off = await memory.snapshot({ browser: false });
  assert.equal(off.browser, null);
  assert.equal(off.pressure, 'low');
  assert.equal((await memory.snapshot({ thresholds: { moderate: 0.05, high: 0.5, critical: 0.79 } })).pressure, 'critical');
  await assert.rejects(memory.isAbove('extreme'), RangeError);
});

test('a failing or missing page metrics call gives browser null; zero limits give ratio 0', async () => {
  const failing = createMemoryAPI({ page: { metrics: async () => { throw new Error('closed'); } } });
  assert.equal((await failing.snapshot()).browser, null);
  assert.equal((await createMemoryAPI().snapshot()).browser, null);
  const zero = createMemoryAPI({ page: { metrics: async () => ({ JSHeapUsedSize: 5, JSHeapTotalSize: 0 }) } });
  assert.deepEqual((await zero.snapshot()).browser, { used: 5, limit: 0, ratio: 0 });
});
