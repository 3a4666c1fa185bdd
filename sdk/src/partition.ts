import { StorageFilenameError } from './errors.js';
import type { StoragePartition } from './types.js';

// Bytes kept literal in Hive partition values (storage-and-policies §4.4); everything else,
// including every byte of a non-ASCII character, becomes %XX with uppercase hex.
const LITERAL = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~$&+:=@') {
  LITERAL[c.charCodeAt(0)] = 1;
}
const HEX = '0123456789ABCDEF';

export function escapePartitionValue(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (const b of bytes) {
    out += LITERAL[b] ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** Throws StorageFilenameError for a name the runtime would refuse (§6.5). */
export function validateStorageFilename(filename: unknown): asserts filename is string {
  if (typeof filename !== 'string') throw new StorageFilenameError(String(filename), 'must be a string');
  if (filename === '') throw new StorageFilenameError(filename, 'must not be empty');
  if (filename.includes('/')) throw new StorageFilenameError(filename, 'must not contain "/"');
  if (filename.includes('\\')) throw new StorageFilenameError(filename, 'must not contain "\\"');
  if (filename.includes('..')) throw new StorageFilenameError(filename, 'must not contain ".."');
}

/** Store-relative key of a sidecar file (§8.3, escaped per D11.11; the filename is not escaped). */
export function buildStorageKey(partition: StoragePartition, filename: string): string {
  validateStorageFilename(filename);
  return (
    `datasets/${partition.dataset}/partitions/` +
    `source=${escapePartitionValue(partition.source)}/` +
    `category=${escapePartitionValue(partition.category)}/` +
    `day=${escapePartitionValue(partition.day)}/` +
    `run_id=${escapePartitionValue(partition.run_id)}/files/${filename}`
  );
}

/** The run request's storage block when all five values are non-empty strings, else null. */
export function parseStoragePartition(block: unknown): StoragePartition | null {
  if (typeof block !== 'object' || block === null || Array.isArray(block)) return null;
  const b = block as Record<string, unknown>;
  const keys = ['dataset', 'source', 'category', 'day', 'run_id'] as const;
  for (const k of keys) {
    if (typeof b[k] !== 'string' || b[k] === '') return null;
  }
  return {
    dataset: b.dataset as string,
    source: b.source as string,
    category: b.category as string,
    day: b.day as string,
    run_id: b.run_id as string,
  };
}
