import { AckError, type AckTracker } from './acks.js';
import { toBytes } from './binary.js';
import { MAX_CHUNK_SIZE } from './constants.js';
import type { EmitChain } from './emit-chain.js';
import { encodeFrame } from './framing.js';
import { buildStorageKey, validateStorageFilename } from './partition.js';
import type { StorageAPI, StoragePartition, StoragePutOptions, StoragePutResult } from './types.js';

/**
 * storage.put (contract §20.5, D9): checks run in the chain before anything is written; the
 * frame write is serialized with emits, but the ack wait happens outside the chain so emits and
 * other puts are not held up by storage latency.
 */
export function createStorageAPI(
  chain: EmitChain,
  acks: AckTracker,
  partition: StoragePartition | null,
): StorageAPI {
  const put = async (opts: StoragePutOptions): Promise<StoragePutResult> => {
    const { filename, ack } = await chain.run(async () => {
      chain.assertWritable('storage.put');
      if (typeof opts !== 'object' || opts === null) throw new TypeError('storage.put expects an options object');
      const { filename, content_type } = opts;
      validateStorageFilename(filename);
      if (typeof content_type !== 'string') throw new TypeError('storage.put: content_type must be a string');
      const data = toBytes(opts.data, 'storage.put');
      if (data.length > MAX_CHUNK_SIZE) {
        throw new RangeError(
          `storage.put: data for "${filename}" is ${data.length} bytes; the limit is 8 MiB (${MAX_CHUNK_SIZE} bytes)`,
        );
      }
      // The id is only taken once encoding succeeded, so a refused put consumes none.
      const writeId = acks.peekWriteId();
      const frame = encodeFrame(chain.encoder, { type: 'file_write', write_id: writeId, filename, content_type, data });
      acks.takeWriteId();
      const ack = acks.expect(writeId);
      ack.catch(() => undefined);
      try {
        await chain.writeFrame(frame);
      } catch (err) {
        acks.cancel(writeId);
        throw err;
      }
      // Wrapped so the chain does not adopt (and wait for) the ack promise.
      return { filename, ack };
    });
    try {
      await ack;
    } catch (err) {
      const text = err instanceof AckError ? err.message : String(err);
      throw new Error(`storage.put failed for "${filename}": ${text}`);
    }
    return { key: partition ? buildStorageKey(partition, filename) : '' };
  };
  return Object.freeze({ put });
}

