/** Writer for NumPy .npy files (format version 1.0, little-endian, C order). */
import type { TensorArray } from '../onnx/tensorData.js';

const DESCR: Record<string, string> = {
  Float32Array: '<f4',
  Float64Array: '<f8',
  Int8Array: '|i1',
  Uint8Array: '|u1',
  Int16Array: '<i2',
  Uint16Array: '<u2',
  Int32Array: '<i4',
  Uint32Array: '<u4',
  BigInt64Array: '<i8',
  BigUint64Array: '<u8',
};

export function npyDescr(data: TensorArray): string {
  const d = DESCR[data.constructor.name];
  if (!d) throw new Error(`No .npy type for ${data.constructor.name}`);
  return d;
}

export function encodeNpy(data: TensorArray, shape: readonly number[], descr = npyDescr(data)): Uint8Array {
  const shapeText = shape.length === 0 ? '()' : shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // magic(6) + version(2) + header length(2) + header, padded with spaces to a multiple of 64, ending in \n
  const pre = 10;
  const padded = Math.ceil((pre + header.length + 1) / 64) * 64;
  header = header + ' '.repeat(padded - pre - header.length - 1) + '\n';
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(padded + body.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  out.set(body, padded);
  return out;
}
