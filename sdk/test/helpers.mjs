import { FrameReader, decodeMsgpack } from '../dist/index.js';

/** A FrameSink that records every frame; `failWith` makes later writes fail like a broken pipe. */
export class MemorySink {
  frames = [];
  failure = undefined;
  failAfter = Infinity;

  write(frame) {
    if (this.failure) return Promise.reject(this.failure);
    if (this.frames.length >= this.failAfter) {
      this.failure = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      return Promise.reject(this.failure);
    }
    this.frames.push(Buffer.from(frame));
    return Promise.resolve();
  }

  /** Decoded payloads, checking each frame's length prefix. */
  decoded() {
    return this.frames.map((f) => {
      const len = f.readUInt32BE(0);
      if (len !== f.length - 4) throw new Error(`bad prefix ${len} for ${f.length - 4} payload bytes`);
      return decodeMsgpack(f.subarray(4));
    });
  }

  events() {
    return this.decoded().filter((m) => !['artifact_chunk', 'file_write', 'run_result'].includes(m.type));
  }
}

export function decodeStream(bytes) {
  const reader = new FrameReader();
  const out = reader.push(bytes).map((p) => decodeMsgpack(p));
  if (reader.buffered !== 0) throw new Error(`${reader.buffered} trailing bytes`);
  return out;
}

export const IDENTITY = Object.freeze({ run_id: 'run-1', attempt: 1 });

export function ackFrame(writeId, ok, error) {
  // Built by hand in the runtime's exact layout: write_id always as uint32 (0xce).
  const parts = [Buffer.from([error === undefined ? 0x83 : 0x84])];
  const str = (s) => {
    const b = Buffer.from(s);
    if (b.length < 32) return Buffer.concat([Buffer.from([0xa0 | b.length]), b]);
    return Buffer.concat([Buffer.from([0xd9, b.length]), b]);
  };
  parts.push(str('type'), str('file_write_ack'), str('write_id'));
  const id = Buffer.alloc(5);
  id[0] = 0xce;
  id.writeUInt32BE(writeId, 1);
  parts.push(id, str('ok'), Buffer.from([ok ? 0xc3 : 0xc2]));
  if (error !== undefined) parts.push(str('error'), str(error));
  const payload = Buffer.concat(parts);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(payload.length);
  return Buffer.concat([prefix, payload]);
}

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const ISO_MS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
