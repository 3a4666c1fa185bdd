const TWO_32 = 4_294_967_296;

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/**
 * Decodes exactly one msgpack value spanning all of `bytes` (contract §5.3 rules: any integer
 * width, all str/bin widths, timestamp extension −1 only, string map keys only).
 * Integers beyond ±(2^53 − 1) come back as BigInt so nothing is silently rounded.
 */
export function decodeMsgpack(bytes: Uint8Array): unknown {
  const d = new Decoder(bytes);
  const v = d.value();
  if (d.pos !== bytes.length) throw new DecodeError(`trailing bytes after msgpack value at ${d.pos}`);
  return v;
}

class Decoder {
  pos = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): number {
    const at = this.pos;
    if (at + n > this.bytes.length) throw new DecodeError('unexpected end of msgpack data');
    this.pos += n;
    return at;
  }

  value(): unknown {
    const b = this.bytes[this.need(1)]!;
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if ((b & 0xe0) === 0xa0) return this.str(b & 0x1f);
    if ((b & 0xf0) === 0x80) return this.map(b & 0x0f);
    if ((b & 0xf0) === 0x90) return this.array(b & 0x0f);
    const v = this.view;
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.bin(v.getUint8(this.need(1)));
      case 0xc5: return this.bin(v.getUint16(this.need(2)));
      case 0xc6: return this.bin(v.getUint32(this.need(4)));
      case 0xc7: return this.ext(v.getUint8(this.need(1)));
      case 0xc8: return this.ext(v.getUint16(this.need(2)));
      case 0xc9: return this.ext(v.getUint32(this.need(4)));
      case 0xca: return v.getFloat32(this.need(4));
      case 0xcb: return v.getFloat64(this.need(8));
      case 0xcc: return v.getUint8(this.need(1));
      case 0xcd: return v.getUint16(this.need(2));
      case 0xce: return v.getUint32(this.need(4));
      case 0xcf: return safe(v.getBigUint64(this.need(8)));
      case 0xd0: return v.getInt8(this.need(1));
      case 0xd1: return v.getInt16(this.need(2));
      case 0xd2: return v.getInt32(this.need(4));
      case 0xd3: return safe(v.getBigInt64(this.need(8)));
      case 0xd4: return this.ext(1);
      case 0xd5: return this.ext(2);
      case 0xd6: return this.ext(4);
      case 0xd7: return this.ext(8);
      case 0xd8: return this.ext(16);
      case 0xd9: return this.str(v.getUint8(this.need(1)));
      case 0xda: return this.str(v.getUint16(this.need(2)));
      case 0xdb: return this.str(v.getUint32(this.need(4)));
      case 0xdc: return this.array(v.getUint16(this.need(2)));
      case 0xdd: return this.array(v.getUint32(this.need(4)));
      case 0xde: return this.map(v.getUint16(this.need(2)));
      case 0xdf: return this.map(v.getUint32(this.need(4)));
    }
    throw new DecodeError(`invalid msgpack type byte 0x${b.toString(16)}`);
  }

  private str(n: number): string {
    const at = this.need(n);
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + at, n).toString('utf8');
  }

  private bin(n: number): Buffer {
    const at = this.need(n);
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + at, n);
  }

  private array(n: number): unknown[] {
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.value();
    return out;
  }

  private map(n: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = this.value();
      if (typeof k !== 'string') throw new DecodeError('msgpack map key is not a string');
      const val = this.value();
      if (k === '__proto__') Object.defineProperty(out, k, { value: val, enumerable: true, writable: true, configurable: true });
      else out[k] = val;
    }
    return out;
  }

  private ext(n: number): Date {
    const type = this.view.getInt8(this.need(1));
    if (type !== -1) throw new DecodeError(`unsupported msgpack extension type ${type}`);
    const at = this.need(n);
    const v = this.view;
    if (n === 4) return new Date(v.getUint32(at) * 1000);
    if (n === 8) {
      const hi = v.getUint32(at);
      const lo = v.getUint32(at + 4);
      const nsec = Math.floor(hi / 4);
      const sec = (hi & 0x3) * TWO_32 + lo;
      return new Date(sec * 1000 + Math.floor(nsec / 1_000_000));
    }
    if (n === 12) {
      const nsec = v.getUint32(at);
      const sec = Number(v.getBigInt64(at + 4));
      return new Date(sec * 1000 + Math.floor(nsec / 1_000_000));
    }
    throw new DecodeError(`invalid timestamp extension length ${n}`);
  }
}

function safe(n: bigint): number | bigint {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(-Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}
