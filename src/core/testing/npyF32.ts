import * as fs from 'node:fs';

/**
 * A .npy v1.0 file of little-endian float32 in C order (what `exec` writes), read with every header
 * field checked, written apart from the app's own reader so that tests of `exec` do not check the
 * writer with its twin.
 */
export function readF32Npy(file: string): { shape: number[]; data: Float32Array } {
  const b = fs.readFileSync(file);
  const fail = (why: string): never => {
    throw new Error(`${file}: ${why}`);
  };
  if (b.subarray(0, 6).toString('latin1') !== '\x93NUMPY') fail('no .npy magic');
  if (b[6] !== 1) fail(`format version ${b[6]}, expected 1`);
  const hlen = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + hlen).toString('latin1');
  if (!/'descr': '<f4'/.test(header)) fail(`not little-endian float32: ${header}`);
  if (!/'fortran_order': False/.test(header)) fail('Fortran order');
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const body = b.subarray(10 + hlen);
  const data = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  if (data.length !== shape.reduce((a, c) => a * c, 1)) fail(`${data.length} values for shape [${shape}]`);
  return { shape, data };
}
