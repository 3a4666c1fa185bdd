import { MAX_NESTING } from './constants.js';
import { EncodeError } from './errors.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TWO_32 = 4_294_967_296;
const TWO_34 = 17_179_869_184;
/** Small frames are copied out of the shared scratch buffer; big ones take it over. */
const COPY_OUT_LIMIT = 65_536;
const INITIAL_SCRATCH = 65_536;

type PathKey = string | number;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function formatPath(keys: readonly PathKey[]): string {
  if (keys.length === 0) return '<root>';
  let out = '';
  for (const k of keys) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (IDENT.test(k)) out += out === '' ? k : `.${k}`;
    else out += `[${JSON.stringify(k)}]`;
  }
  return out;
}

/**
 * msgpack encoder with the exact rules of contract §5.1. One instance is reused for every frame
 * of a run; it is not re-entrant (the emit chain serializes callers).
 */
export class MsgpackEncoder {
  private buf: Buffer = Buffer.allocUnsafe(INITIAL_SCRATCH);
  private pos = 0;
  private limit = Infinity;
  private maxBytes = Infinity;
  private readonly path: PathKey[] = [];
  /** Containers being encoded, outermost first; an array because typical depth is tiny. */
  private readonly ancestors: object[] = [];

  /**
   * Encodes `value` behind `prefixBytes` reserved bytes. Throws EncodeError for un-encodable
   * values and RangeError when the encoded value would exceed `maxBytes`.
   */
  encode(value: unknown, maxBytes = Infinity, prefixBytes = 0): Buffer {
    this.pos = prefixBytes;
    this.limit = maxBytes + prefixBytes;
    this.maxBytes = maxBytes;
    this.path.length = 0;
    this.ancestors.length = 0;
    try {
      this.value(value);
    } finally {
      this.ancestors.length = 0;
    }
    const len = this.pos;
    if (len <= COPY_OUT_LIMIT) {
      const out = Buffer.allocUnsafe(len);
      this.buf.copy(out, 0, 0, len);
      return out;
    }
    const out = this.buf.subarray(0, len);
    this.buf = Buffer.allocUnsafe(INITIAL_SCRATCH);
    return out;
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need > this.limit) {
      throw new RangeError(
        `encoded value exceeds the maximum payload size of ${this.maxBytes} bytes (at ${formatPath(this.path)})`,
      );
    }
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private u8(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  private headU8(tag: number, v: number): void {
    this.ensure(2);
    this.buf[this.pos++] = tag;
    this.buf[this.pos++] = v;
  }

  private headU16(tag: number, v: number): void {
    this.ensure(3);
    this.buf[this.pos++] = tag;
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  private headU32(tag: number, v: number): void {
    this.ensure(5);
    this.buf[this.pos++] = tag;
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  private value(v: unknown): void {
    switch (typeof v) {
      case 'string':
        return this.str(v);
      case 'number':
        return this.num(v);
      case 'boolean':
        return this.u8(v ? 0xc3 : 0xc2);
      case 'undefined':
        return this.u8(0xc0);
      case 'object':
        return v === null ? this.u8(0xc0) : this.obj(v);
      case 'bigint':
        throw new EncodeError(formatPath(this.path), 'a BigInt');
      case 'symbol':
        throw new EncodeError(formatPath(this.path), 'a symbol');
      case 'function':
        throw new EncodeError(formatPath(this.path), 'a function');
    }
  }

  private num(n: number): void {
    if (Number.isInteger(n) && n <= MAX_SAFE && n >= -MAX_SAFE) return this.int(n);
    this.ensure(9);
    this.buf[this.pos++] = 0xcb;
    this.buf.writeDoubleBE(n, this.pos);
    this.pos += 8;
  }

  private int(n: number): void {
    if (n >= 0) {
      if (n < 0x80) return this.u8(n);
      if (n <= 0xff) return this.headU8(0xcc, n);
      if (n <= 0xffff) return this.headU16(0xcd, n);
      if (n < TWO_32) return this.headU32(0xce, n);
      this.ensure(9);
      this.buf[this.pos++] = 0xcf;
      this.buf.writeUInt32BE(Math.floor(n / TWO_32), this.pos);
      this.buf.writeUInt32BE(n >>> 0, this.pos + 4);
      this.pos += 8;
      return;
    }
    if (n >= -32) return this.u8(n & 0xff);
    if (n >= -0x80) return this.headU8(0xd0, n & 0xff);
    if (n >= -0x8000) {
      this.ensure(3);
      this.buf[this.pos++] = 0xd1;
      this.buf.writeInt16BE(n, this.pos);
      this.pos += 2;
      return;
    }
    if (n >= -0x80000000) {
      this.ensure(5);
      this.buf[this.pos++] = 0xd2;
      this.buf.writeInt32BE(n, this.pos);
      this.pos += 4;
      return;
    }
    this.ensure(9);
    this.buf[this.pos++] = 0xd3;
    this.buf.writeBigInt64BE(BigInt(n), this.pos);
    this.pos += 8;
  }

  private str(s: string): void {
    const len = s.length;
    // Short ASCII strings (keys, types, most values) are copied byte by byte: cheaper than a
    // Buffer.write call. Anything else falls through to the UTF-8 encoder.
    if (len < 32) {
      this.ensure(1 + len);
      const buf = this.buf;
      let at = this.pos + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at++] = c;
      }
      if (i === len) {
        buf[this.pos] = 0xa0 | len;
        this.pos = at;
        return;
      }
    }
    // Short strings: reserve the UTF-8 worst case and patch the fixstr header afterwards,
    // which avoids measuring the string twice.
    if (len <= 10) {
      this.ensure(1 + len * 3);
      const n = this.buf.write(s, this.pos + 1, 'utf8');
      this.buf[this.pos] = 0xa0 | n;
      this.pos += 1 + n;
      return;
    }
    const n = Buffer.byteLength(s, 'utf8');
    if (n < 32) this.u8(0xa0 | n);
    else if (n <= 0xff) this.headU8(0xd9, n);
    else if (n <= 0xffff) this.headU16(0xda, n);
    else this.headU32(0xdb, n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  private bin(bytes: Uint8Array): void {
    const n = bytes.byteLength;
    if (n <= 0xff) this.headU8(0xc4, n);
    else if (n <= 0xffff) this.headU16(0xc5, n);
    else this.headU32(0xc6, n);
    this.ensure(n);
    this.buf.set(bytes, this.pos);
    this.pos += n;
  }

  private mapHeader(n: number): void {
    if (n < 16) this.u8(0x80 | n);
    else if (n <= 0xffff) this.headU16(0xde, n);
    else this.headU32(0xdf, n);
  }

  private arrayHeader(n: number): void {
    if (n < 16) this.u8(0x90 | n);
    else if (n <= 0xffff) this.headU16(0xdc, n);
    else this.headU32(0xdd, n);
  }

  private date(d: Date): void {
    const ms = d.getTime();
    if (!Number.isFinite(ms)) throw new EncodeError(formatPath(this.path), 'an invalid Date');
    const sec = Math.floor(ms / 1000);
    const nsec = (ms - sec * 1000) * 1_000_000;
    if (sec >= 0 && sec < TWO_34) {
      if (nsec === 0 && sec < TWO_32) {
        this.ensure(6);
        this.buf[this.pos++] = 0xd6;
        this.buf[this.pos++] = 0xff;
        this.buf.writeUInt32BE(sec, this.pos);
        this.pos += 4;
        return;
      }
      this.ensure(10);
      this.buf[this.pos++] = 0xd7;
      this.buf[this.pos++] = 0xff;
      this.buf.writeUInt32BE(nsec * 4 + Math.floor(sec / TWO_32), this.pos);
      this.buf.writeUInt32BE(sec >>> 0, this.pos + 4);
      this.pos += 8;
      return;
    }
    this.ensure(15);
    this.buf[this.pos++] = 0xc7;
    this.buf[this.pos++] = 12;
    this.buf[this.pos++] = 0xff;
    this.buf.writeUInt32BE(nsec, this.pos);
    this.buf.writeBigInt64BE(BigInt(sec), this.pos + 4);
    this.pos += 12;
  }

  private obj(o: object): void {
    const proto = Object.getPrototypeOf(o);
    const plain = proto === Object.prototype || proto === null;
    if (!plain) {
      if (o instanceof Uint8Array) return this.bin(o);
      if (ArrayBuffer.isView(o)) return this.bin(new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
      if (o instanceof ArrayBuffer) return this.bin(new Uint8Array(o));
      if (o instanceof Date) return this.date(o);
    }
    // ancestors[0] is the envelope, so a container's payload level is ancestors.length.
    if (this.ancestors.length > MAX_NESTING) {
      const path = formatPath(this.path);
      const shown = path.length > 120 ? `${path.slice(0, 60)}…${path.slice(-40)}` : path;
      throw new EncodeError(shown, `a value nested deeper than ${MAX_NESTING} levels`);
    }
    if (this.ancestors.includes(o)) throw new EncodeError(formatPath(this.path), 'a circular reference');
    this.ancestors.push(o);
    if (plain && typeof (o as { toJSON?: unknown }).toJSON !== 'function') this.plain(o as Record<string, unknown>);
    else if (Array.isArray(o)) this.array(o);
    else if (o instanceof Map) this.map(o);
    else if (o instanceof Set) this.array([...o]);
    else if (typeof (o as { toJSON?: unknown }).toJSON === 'function') {
      this.ancestors.pop();
      return this.value((o as { toJSON(): unknown }).toJSON());
    } else this.plain(o as Record<string, unknown>);
    this.ancestors.pop();
  }

  private array(a: readonly unknown[]): void {
    this.arrayHeader(a.length);
    for (let i = 0; i < a.length; i++) {
      this.path.push(i);
      this.value(a[i]);
      this.path.pop();
    }
  }

  private plain(o: Record<string, unknown>): void {
    const keys = Object.keys(o);
    this.mapHeader(keys.length);
    for (const k of keys) {
      this.str(k);
      this.path.push(k);
      this.value(o[k]);
      this.path.pop();
    }
  }

  private map(m: Map<unknown, unknown>): void {
    for (const k of m.keys()) {
      if (typeof k !== 'string') {
        throw new EncodeError(formatPath(this.path), `a Map with a non-string key (${typeof k})`);
      }
    }
    this.mapHeader(m.size);
    for (const [k, v] of m as Map<string, unknown>) {
      this.str(k);
      this.path.push(k);
      this.value(v);
      this.path.pop();
    }
  }
}

/** One-off encoding (tests, tools); the emit chain reuses its own encoder. */
export function encodeMsgpack(value: unknown): Buffer {
  return new MsgpackEncoder().encode(value);
}
