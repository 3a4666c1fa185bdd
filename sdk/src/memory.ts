import { readFile } from 'node:fs/promises';
import { getHeapStatistics } from 'node:v8';
import type {
  MemoryAPI,
  MemoryLevel,
  MemorySnapshot,
  MemorySnapshotOptions,
  MemoryThresholds,
  MemoryUsage,
} from './memory-types.js';

export const DEFAULT_MEMORY_THRESHOLDS: Readonly<MemoryThresholds> = Object.freeze({
  moderate: 0.5,
  high: 0.7,
  critical: 0.9,
});

const LEVEL_RANK: Record<MemoryLevel, number> = { low: 0, moderate: 1, high: 2, critical: 3 };
const CGROUP_V1_UNLIMITED = 2 ** 62;

/** Merges custom thresholds over the defaults; each must be in (0, 1] and strictly increasing. */
export function resolveMemoryThresholds(custom?: Partial<MemoryThresholds>): MemoryThresholds {
  const t = { ...DEFAULT_MEMORY_THRESHOLDS, ...(custom ?? {}) };
  for (const level of ['moderate', 'high', 'critical'] as const) {
    const v = t[level];
    if (typeof v !== 'number' || !(v > 0 && v <= 1)) {
      throw new RangeError(`memory threshold "${level}" must be a number in (0, 1], got ${String(v)}`);
    }
  }
  if (!(t.moderate < t.high && t.high < t.critical)) {
    throw new RangeError('memory thresholds must increase strictly: moderate < high < critical');
  }
  return t;
}

export function memoryUsage(used: number, limit: number): MemoryUsage {
  return { used, limit, ratio: limit > 0 ? used / limit : 0 };
}

/** The level a ratio falls in: at or above a threshold selects that level. */
export function pressureLevel(ratio: number, thresholds: MemoryThresholds = DEFAULT_MEMORY_THRESHOLDS): MemoryLevel {
  if (ratio >= thresholds.critical) return 'critical';
  if (ratio >= thresholds.high) return 'high';
  if (ratio >= thresholds.moderate) return 'moderate';
  return 'low';
}

export function isMemoryLevel(v: unknown): v is MemoryLevel {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(LEVEL_RANK, v);
}

export function nodeHeapUsage(): MemoryUsage {
  const h = getHeapStatistics();
  return memoryUsage(h.used_heap_size, h.heap_size_limit);
}

async function readNumberFile(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return null;
  }
}

/** cgroup v2 first, then v1; null when unavailable or unlimited. */
export async function cgroupMemoryUsage(root = '/sys/fs/cgroup'): Promise<MemoryUsage | null> {
  const current = await readNumberFile(`${root}/memory.current`);
  if (current !== null) {
    const max = await readNumberFile(`${root}/memory.max`);
    if (max === null || max === 'max') return null;
    const used = Number(current);
    const limit = Number(max);
    return Number.isFinite(used) && Number.isFinite(limit) ? memoryUsage(used, limit) : null;
  }
  const usedV1 = await readNumberFile(`${root}/memory/memory.usage_in_bytes`);
  const limitV1 = await readNumberFile(`${root}/memory/memory.limit_in_bytes`);
  if (usedV1 === null || limitV1 === null) return null;
  const used = Number(usedV1);
  const limit = Number(limitV1);
  if (!Number.isFinite(used) || !Number.isFinite(limit) || limit >= CGROUP_V1_UNLIMITED) return null;
  return memoryUsage(used, limit);
}

/** What the memory API needs from a Puppeteer page. */
export interface PageMetricsSource {
  metrics(): Promise<{ JSHeapUsedSize?: number; JSHeapTotalSize?: number }>;
}

export interface MemoryAPIOptions {
  page?: PageMetricsSource | null;
  thresholds?: Partial<MemoryThresholds>;
  cgroupRoot?: string;
}

async function browserUsage(page: PageMetricsSource | null | undefined): Promise<MemoryUsage | null> {
  if (!page) return null;
  try {
    const m = await page.metrics();
    if (typeof m.JSHeapUsedSize !== 'number' || typeof m.JSHeapTotalSize !== 'number') return null;
    return memoryUsage(m.JSHeapUsedSize, m.JSHeapTotalSize);
  } catch {
    return null;
  }
}

/** ctx.memory: purely local readings, no frames (contract §20.7). */
export function createMemoryAPI(options: MemoryAPIOptions = {}): MemoryAPI {
  const base = resolveMemoryThresholds(options.thresholds);
  const snapshot = async (opts: MemorySnapshotOptions = {}): Promise<MemorySnapshot> => {
    const thresholds = opts.thresholds ? resolveMemoryThresholds({ ...base, ...opts.thresholds }) : base;
    const node = nodeHeapUsage();
    const [browser, cgroup] = await Promise.all([
      opts.browser === false ? Promise.resolve(null) : browserUsage(options.page),
      cgroupMemoryUsage(options.cgroupRoot),
    ]);
    let pressure: MemoryLevel = 'low';
    for (const u of [node, browser, cgroup]) {
      if (!u) continue;
      const level = pressureLevel(u.ratio, thresholds);
      if (LEVEL_RANK[level] > LEVEL_RANK[pressure]) pressure = level;
    }
    return { node, browser, cgroup, pressure, ts: new Date().toISOString() };
  };
  const isAbove = async (level: MemoryLevel, opts?: MemorySnapshotOptions): Promise<boolean> => {
    if (!isMemoryLevel(level)) throw new RangeError(`unknown memory level ${JSON.stringify(level)}`);
    const snap = await snapshot(opts);
    return LEVEL_RANK[snap.pressure] >= LEVEL_RANK[level];
  };
  return Object.freeze({ snapshot, isAbove });
}
