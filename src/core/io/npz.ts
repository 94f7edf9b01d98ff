/**
 * Reader for NumPy .npz files: a zip archive of .npy files (np.savez stores them, np.savez_compressed
 * deflates them). The zip reader takes what numpy writes: stored and deflated entries, ZIP64 extra
 * fields (numpy forces them on every entry), no encryption, no multi-disk archives. Sizes and offsets
 * come from the central directory (the local headers of numpy's entries hold 0xFFFFFFFF placeholders);
 * deflate is decompressed with the platform's DecompressionStream('deflate-raw').
 */
import { readNpy, type NpyArray } from './npyRead.js';

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated */
  method: number;
  compressedSize: number;
  size: number;
  /** offset of the entry's local header */
  offset: number;
}

function u64(dv: DataView, at: number): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('zip: a size or offset beyond 2^53');
  return Number(v);
}

/** The entries listed in the archive's central directory. */
export function zipEntries(bytes: Uint8Array): ZipEntry[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // the end-of-central-directory record: 22 bytes plus a comment of at most 65535 bytes
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (dv.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory record)');
  let count = dv.getUint16(eocd + 10, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  const loc = eocd - 20;
  if ((count === 0xffff || cdOffset === 0xffffffff) && loc >= 0 && dv.getUint32(loc, true) === EOCD64_LOCATOR) {
    const at = u64(dv, loc + 8);
    if (dv.getUint32(at, true) !== EOCD64) throw new Error('zip: bad ZIP64 end of central directory record');
    count = u64(dv, at + 32);
    cdOffset = u64(dv, at + 48);
  }
  const out: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.length || dv.getUint32(p, true) !== CENTRAL) throw new Error(`zip: central directory entry ${k} is damaged`);
    const flags = dv.getUint16(p + 8, true);
    if (flags & 1) throw new Error('zip: encrypted entries are not supported');
    const method = dv.getUint16(p + 10, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let offset = dv.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field: the 64-bit values of the fields that hold 0xFFFFFFFF, in this order
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) (size = u64(dv, q)), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(dv, q)), (q += 8);
        if (offset === 0xffffffff) offset = u64(dv, q);
      }
      e += 4 + len;
    }
    out.push({ name, method, compressedSize, size, offset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

async function inflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The bytes of one entry, decompressed. */
export async function zipEntryBytes(bytes: Uint8Array, e: ZipEntry): Promise<Uint8Array> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (e.offset + 30 > bytes.length || dv.getUint32(e.offset, true) !== LOCAL) throw new Error(`zip: the local header of '${e.name}' is damaged`);
  const start = e.offset + 30 + dv.getUint16(e.offset + 26, true) + dv.getUint16(e.offset + 28, true);
  if (start + e.compressedSize > bytes.length) throw new Error(`zip: '${e.name}' runs past the end of the archive`);
  const raw = bytes.subarray(start, start + e.compressedSize);
  let data: Uint8Array;
  if (e.method === 0) data = raw;
  else if (e.method === 8) data = await inflateRaw(raw);
  else throw new Error(`zip: '${e.name}' uses compression method ${e.method} (only stored and deflate are read)`);
  if (data.length !== e.size) throw new Error(`zip: '${e.name}' decompressed to ${data.length} bytes, the directory says ${e.size}`);
  return data;
}

/** Every array of a .npz file, by name without the ".npy" suffix (np.savez(x=...) gives 'x'). */
export async function readNpz(bytes: Uint8Array): Promise<Map<string, NpyArray>> {
  const out = new Map<string, NpyArray>();
  for (const e of zipEntries(bytes)) {
    if (e.name.endsWith('/')) continue;
    const name = e.name.replace(/\.npy$/, '');
    try {
      out.set(name, readNpy(await zipEntryBytes(bytes, e)));
    } catch (err) {
      throw new Error(`${e.name} in the .npz: ${(err as Error).message}`);
    }
  }
  return out;
}
