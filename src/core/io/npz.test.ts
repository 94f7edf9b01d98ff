import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../testing/paths.js';
import { readNpy } from './npyRead.js';
import { readNpz, zipEntries } from './npz.js';

// written by numpy (see testdata/calibration/README.md): a = arange(12).reshape(3, 4) / 4 as <f4, b = arange(5) - 2 as <i8
const dir = path.join(repoRoot(), 'testdata/calibration');
const file = (n: string) => new Uint8Array(readFileSync(path.join(dir, n)));

describe('readNpz', () => {
  for (const [name, method] of [['arange_stored.npz', 0], ['arange_deflate.npz', 8]] as const) {
    it(`reads numpy's ${method ? 'np.savez_compressed (deflate)' : 'np.savez (stored, ZIP64 local headers)'}`, async () => {
      const bytes = file(name);
      expect(zipEntries(bytes).map((e) => [e.name, e.method])).toEqual([['a.npy', method], ['b.npy', method]]);
      const arrays = await readNpz(bytes);
      expect([...arrays.keys()]).toEqual(['a', 'b']);
      const a = arrays.get('a')!, b = arrays.get('b')!;
      expect(a.descr).toBe('<f4');
      expect(a.shape).toEqual([3, 4]);
      expect(Array.from(a.data as Float32Array)).toEqual(Array.from({ length: 12 }, (_, i) => i / 4));
      expect(b.descr).toBe('<i8');
      expect(b.shape).toEqual([5]);
      expect(Array.from(b.data as BigInt64Array, Number)).toEqual([-2, -1, 0, 1, 2]);
    });
  }

  it('gives the same array as the .npy numpy saved beside the .npz', async () => {
    const z = (await readNpz(file('tfc_6samples.npz'))).get('0')!;
    const y = readNpy(file('tfc_6samples.npy'));
    expect(z.shape).toEqual([6, 1, 28, 28]);
    expect(z.shape).toEqual(y.shape);
    expect(Buffer.from(z.data.buffer).equals(Buffer.from(y.data.buffer))).toBe(true);
  });

  it('names a file that is not a zip, and a damaged entry', async () => {
    await expect(readNpz(file('tfc_6samples.npy'))).rejects.toThrow(/not a zip archive/);
    const bytes = file('arange_deflate.npz').slice();
    const e = zipEntries(bytes)[0];
    // corrupt the deflate stream of a.npy
    const start = e.offset + 30 + bytes[e.offset + 26] + bytes[e.offset + 28];
    bytes.fill(0xff, start, start + 8);
    await expect(readNpz(bytes)).rejects.toThrow(/a\.npy/);
  });
});
