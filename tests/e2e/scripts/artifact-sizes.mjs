// Three artifacts at the chunk boundaries of executor-contract §12.1: empty, exactly 8 MiB and
// 8 MiB + 1 byte. Each byte is a function of its offset so reassembly errors are visible.
function pattern(size, seed) {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

export default async function artifactSizes(ctx) {
  const MiB8 = 8 * 1024 * 1024;
  for (const [name, size] of [['empty.bin', 0], ['eight.bin', MiB8], ['eight-plus-one.bin', MiB8 + 1]]) {
    const id = await ctx.emit.artifact({ name, content_type: 'application/octet-stream', data: pattern(size, name.length) });
    await ctx.emit.item({ item_type: 'artifact_id', data: { name, id, size } });
  }
}
