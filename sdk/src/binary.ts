/** Normalises the data accepted by artifact and storage calls to a Buffer without copying. */
export function toBytes(data: unknown, what: string): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  throw new TypeError(`${what}: data must be a Buffer, Uint8Array, ArrayBuffer or string`);
}
