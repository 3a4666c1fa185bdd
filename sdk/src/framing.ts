import { LENGTH_PREFIX_SIZE, MAX_PAYLOAD_SIZE } from './constants.js';
import { MsgpackEncoder } from './msgpack-encode.js';

/**
 * Encodes `value` as one frame (uint32 BE length + msgpack payload). Throws before anything can
 * be written when the payload would exceed MAX_PAYLOAD_SIZE or holds an un-encodable value.
 */
export function encodeFrame(encoder: MsgpackEncoder, value: unknown): Buffer {
  const frame = encoder.encode(value, MAX_PAYLOAD_SIZE, LENGTH_PREFIX_SIZE);
  frame.writeUInt32BE(frame.length - LENGTH_PREFIX_SIZE, 0);
  return frame;
}

/** Incremental splitter of a byte stream into frame payloads; never resynchronises. */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Bytes needed before parsing is worth a concat (avoids quadratic copying of big frames). */
  private needed = LENGTH_PREFIX_SIZE;

  constructor(private readonly maxPayload = MAX_PAYLOAD_SIZE) {}

  /** Appends bytes and returns every payload completed by them. Throws on an oversized prefix. */
  push(chunk: Uint8Array): Buffer[] {
    if (chunk.length > 0) {
      this.pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.pendingLength += chunk.length;
    }
    const out: Buffer[] = [];
    if (this.pendingLength < this.needed) return out;
    let buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLength);
    let at = 0;
    while (buf.length - at >= LENGTH_PREFIX_SIZE) {
      const len = buf.readUInt32BE(at);
      if (len > this.maxPayload) throw new RangeError(`frame too large: ${len} bytes`);
      if (buf.length - at - LENGTH_PREFIX_SIZE < len) break;
      out.push(buf.subarray(at + LENGTH_PREFIX_SIZE, at + LENGTH_PREFIX_SIZE + len));
      at += LENGTH_PREFIX_SIZE + len;
    }
    buf = buf.subarray(at);
    this.pending = buf.length > 0 ? [buf] : [];
    this.pendingLength = buf.length;
    this.needed = buf.length >= LENGTH_PREFIX_SIZE ? LENGTH_PREFIX_SIZE + buf.readUInt32BE(0) : LENGTH_PREFIX_SIZE;
    return out;
  }

  /** Bytes held that do not yet form a complete frame. */
  get buffered(): number {
    return this.pendingLength;
  }
}
