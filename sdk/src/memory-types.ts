export type MemoryLevel = 'low' | 'moderate' | 'high' | 'critical';

export interface MemoryUsage {
  used: number;
  limit: number;
  /** used / limit; 0 when the limit is 0. */
  ratio: number;
}

export interface MemorySnapshot {
  node: MemoryUsage;
  browser: MemoryUsage | null;
  cgroup: MemoryUsage | null;
  pressure: MemoryLevel;
  ts: string;
}

/** Ratios at or above which each level starts; each in (0, 1], strictly increasing. */
export interface MemoryThresholds {
  moderate: number;
  high: number;
  critical: number;
}

export interface MemorySnapshotOptions {
  /** Read the page's JS heap too (default true). */
  browser?: boolean;
  thresholds?: Partial<MemoryThresholds>;
}

export interface MemoryAPI {
  snapshot(opts?: MemorySnapshotOptions): Promise<MemorySnapshot>;
  isAbove(level: MemoryLevel, opts?: MemorySnapshotOptions): Promise<boolean>;
}
