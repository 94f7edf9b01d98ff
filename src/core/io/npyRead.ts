/**
 * Reader for NumPy .npy files (versions 1-3): little-endian '<f4', '<f8', '<i8'
 * (plus '<i4', '|u1', '|i1'), C order only.
 */

export type NpyData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;

export interface NpyArray {
  descr: string;
  shape: number[];
  data: NpyData;
}

const SIZES: Record<string, number> = { '<f4': 4, '<f8': 8, '<i8': 8, '<i4': 4, '|u1': 1, '|i1': 1 };

export function readNpy(bytes: Uint8Array): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new Error('not a .npy file (bad magic)');
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = dv.getUint32(8, true);
    start = 12;
  } else throw new Error(`unsupported .npy version ${major}`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`cannot parse .npy header: ${header}`);
  if (fortran === 'True') throw new Error('Fortran-order .npy files are not supported');
  const size = SIZES[descr];
  if (!size) throw new Error(`unsupported .npy dtype '${descr}'`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const off = start + headerLen;
  if (bytes.length - off < count * size) throw new Error(`.npy body holds ${bytes.length - off} bytes, shape needs ${count * size}`);
  // copy so the typed array is aligned
  const body = bytes.slice(off, off + count * size).buffer;
  let data: NpyData;
  switch (descr) {
    case '<f4': data = new Float32Array(body); break;
    case '<f8': data = new Float64Array(body); break;
    case '<i8': data = new BigInt64Array(body); break;
    case '<i4': data = new Int32Array(body); break;
    case '|u1': data = new Uint8Array(body); break;
    default: data = new Int8Array(body); break;
  }
  return { descr, shape, data };
}

/** Values as plain numbers (int64 beyond 2^53 loses precision). */
export function npyNumbers(a: NpyArray): number[] {
  return Array.from(a.data as ArrayLike<number | bigint>, (v) => Number(v));
}
