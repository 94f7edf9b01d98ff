import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../errors.js';
import { int64From, type Tensor } from '../ir/types.js';
import { readFields, walkModel } from '../testing/wireWalker.js';
import { decodeModel } from './codec.js';
import { numberView, tensorValues, toNumbers } from './tensorData.js';
import { TEST_MODELS } from '../testing/paths.js';

const dims = (...d: number[]) => d.map((x) => int64From(x));

/** Little-endian bytes of float32 values, written with DataView (independent of typed-array views). */
function f32Bytes(values: number[]): Uint8Array {
  const dv = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  return new Uint8Array(dv.buffer);
}

function modelError(fn: () => unknown): ModelError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return e as ModelError;
  }
  throw new Error('expected a ModelError');
}

describe('FLOAT', () => {
  it('raw_data', () => {
    const v = tensorValues({ name: 'w', dataType: 1, dims: dims(3), rawData: f32Bytes([1.5, -2, 3.25]) });
    expect(v.shape).toEqual([3]);
    expect(v.data).toBeInstanceOf(Float32Array);
    expect(Array.from(v.data as Float32Array)).toEqual([1.5, -2, 3.25]);
  });

  it('float_data', () => {
    const v = tensorValues({ dataType: 1, dims: dims(2, 2), floatData: [1, 2, 3, 4.5] });
    expect(v.shape).toEqual([2, 2]);
    expect(Array.from(v.data as Float32Array)).toEqual([1, 2, 3, 4.5]);
  });

  it('aligned raw_data is a view, not a copy', () => {
    const raw = f32Bytes([1, 2]);
    const v = tensorValues({ dataType: 1, dims: dims(2), rawData: raw });
    expect((v.data as Float32Array).buffer).toBe(raw.buffer);
  });

  it('unaligned raw_data is copied and read correctly', () => {
    const backing = new Uint8Array(13);
    backing.set(f32Bytes([0.5, -7, 1e-3]), 1);
    const raw = backing.subarray(1);
    expect(raw.byteOffset % 4).toBe(1);
    const v = tensorValues({ dataType: 1, dims: dims(3), rawData: raw });
    const d = v.data as Float32Array;
    expect(d.byteOffset % 4).toBe(0);
    expect(Array.from(d)).toEqual([0.5, -7, Math.fround(1e-3)]);
  });

  it('wrong byte length -> corrupt', () => {
    const e = modelError(() => tensorValues({ name: 'short', dataType: 1, dims: dims(3), rawData: f32Bytes([1, 2]) }));
    expect(e.code).toBe('corrupt');
    expect(e.message).toContain('8');
    expect(e.message).toContain('12');
    expect(e.where).toContain('short');
  });

  it('wrong value count in float_data -> corrupt', () => {
    expect(modelError(() => tensorValues({ dataType: 1, dims: dims(3), floatData: [1, 2] })).code).toBe('corrupt');
  });

  it('a scalar (no dims) holds one value', () => {
    const v = tensorValues({ dataType: 1, rawData: f32Bytes([42]) });
    expect(v.shape).toEqual([]);
    expect(Array.from(v.data as Float32Array)).toEqual([42]);
  });
});

describe('INT8', () => {
  it('raw_data is two’s complement', () => {
    const v = tensorValues({ dataType: 3, dims: dims(4), rawData: new Uint8Array([0x7f, 0x80, 0xff, 0x00]) });
    expect(Array.from(v.data as Int8Array)).toEqual([127, -128, -1, 0]);
  });

  it('int32_data', () => {
    const v = tensorValues({ dataType: 3, dims: dims(3), int32Data: [-5, 7, -128] });
    expect(Array.from(v.data as Int8Array)).toEqual([-5, 7, -128]);
  });
});

describe('INT64', () => {
  it('raw_data (little-endian, signed)', () => {
    const dv = new DataView(new ArrayBuffer(16));
    dv.setBigInt64(0, -2n, true);
    dv.setBigInt64(8, 2n ** 40n + 3n, true);
    const v = tensorValues({ dataType: 7, dims: dims(2), rawData: new Uint8Array(dv.buffer) });
    expect(Array.from(v.data as BigInt64Array)).toEqual([-2n, 2n ** 40n + 3n]);
  });

  it('int64_data', () => {
    const v = tensorValues({ dataType: 7, dims: dims(3), int64Data: [int64From(-3), int64From(2 ** 33), int64From(0)] });
    expect(Array.from(v.data as BigInt64Array)).toEqual([-3n, 2n ** 33n, 0n]);
  });
});

describe('FLOAT16', () => {
  it('raw_data: 1.0 = 0x3C00, -2 = 0xC000', () => {
    const v = tensorValues({ dataType: 10, dims: dims(3), rawData: new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x7c]) });
    expect(Array.from(v.data as Uint16Array)).toEqual([0x3c00, 0xc000, 0x7c00]);
    expect(Array.from(toNumbers(v))).toEqual([1, -2, Infinity]);
  });

  it('int32_data holds the bit patterns', () => {
    const v = tensorValues({ dataType: 10, dims: dims(3), int32Data: [0x3c00, 0xc000, 0x3800] });
    expect(Array.from(toNumbers(v))).toEqual([1, -2, 0.5]);
  });

  it('subnormals', () => {
    const v = tensorValues({ dataType: 10, dims: dims(1), int32Data: [0x0001] });
    expect(toNumbers(v)[0]).toBe(2 ** -24);
  });
});

describe('4-bit integers: two per byte, low nibble first', () => {
  it('INT4 sign-extends', () => {
    const raw = new Uint8Array([0x21, 0xf8]);
    const v = tensorValues({ dataType: 22, dims: dims(4), rawData: raw });
    expect(Array.from(v.data as Int8Array)).toEqual([1, 2, -8, -1]);
  });

  it('INT4 with an odd count ignores the last high nibble', () => {
    const v = tensorValues({ dataType: 22, dims: dims(3), rawData: new Uint8Array([0x7f, 0x09]) });
    expect(Array.from(v.data as Int8Array)).toEqual([-1, 7, -7]);
  });

  it('INT4 in int32_data (one packed byte per entry)', () => {
    const v = tensorValues({ dataType: 22, dims: dims(2), int32Data: [0x9e] });
    expect(Array.from(v.data as Int8Array)).toEqual([-2, -7]);
  });

  it('UINT4 does not sign-extend', () => {
    const v = tensorValues({ dataType: 21, dims: dims(4), rawData: new Uint8Array([0x21, 0xf8]) });
    expect(Array.from(v.data as Uint8Array)).toEqual([1, 2, 8, 15]);
  });

  it('INT4 with too few bytes -> corrupt', () => {
    expect(modelError(() => tensorValues({ dataType: 22, dims: dims(5), rawData: new Uint8Array([0x21, 0xf8]) })).code).toBe('corrupt');
  });
});

describe('minifloats', () => {
  it('FLOAT8E4M3FN: 0x7E = 448, 0x01 = 2^-9, 0x38 = 1, 0x7F = NaN, 0xFE = -448', () => {
    const v = tensorValues({ dataType: 17, dims: dims(5), rawData: new Uint8Array([0x7e, 0x01, 0x38, 0x7f, 0xfe]) });
    const n = toNumbers(v);
    expect(n[0]).toBe(448);
    expect(n[1]).toBe(2 ** -9);
    expect(n[2]).toBe(1);
    expect(n[3]).toBeNaN();
    expect(n[4]).toBe(-448);
  });

  it('FLOAT4E2M1: 0x7 = 6, 0x2 = 1, 0x1 = 0.5, 0xF = -6 (packed, low nibble first)', () => {
    const v = tensorValues({ dataType: 23, dims: dims(4), rawData: new Uint8Array([0x27, 0xf1]) });
    expect(Array.from(toNumbers(v))).toEqual([6, 1, 0.5, -6]);
  });
});

describe('external data', () => {
  it('without its bytes -> missing-external-data naming the file', () => {
    const t: Tensor = {
      name: 'w',
      dataType: 1,
      dims: dims(2),
      dataLocation: 1,
      externalData: [
        { key: 'location', value: 'weights.bin' },
        { key: 'offset', value: '0' },
        { key: 'length', value: '8' },
      ],
    };
    const e = modelError(() => tensorValues(t));
    expect(e.code).toBe('missing-external-data');
    expect(e.message).toContain('weights.bin');
    expect(Array.from(tensorValues(t, f32Bytes([3, 4])).data as Float32Array)).toEqual([3, 4]);
  });
});

describe('a real initializer', () => {
  it('matches its raw bytes read with DataView', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(TEST_MODELS, 'zoo_TFC_2W2A.onnx')));
    const m = decodeModel(bytes);
    const t = m.graph!.initializer!.find((x) => x.name === '77')!; // [10, 64] FLOAT
    const v = tensorValues(t);
    expect(v.shape).toEqual([10, 64]);
    // Locate the same initializer's raw_data in the file with the wire walker.
    const w = walkModel(bytes);
    const graphField = readFields(bytes).find((f) => f.field === 7)!;
    const inits = readFields(bytes, graphField.dataStart, graphField.dataEnd).filter((f) => f.field === 5);
    const k = w.graph!.initializers.findIndex((x) => x.name === '77');
    const raw = readFields(bytes, inits[k].dataStart, inits[k].dataEnd).find((f) => f.field === 9)!;
    const dv = new DataView(bytes.buffer, bytes.byteOffset + raw.dataStart!, raw.dataEnd! - raw.dataStart!);
    const want = Array.from({ length: 640 }, (_, i) => dv.getFloat32(i * 4, true));
    expect(Array.from(v.data as Float32Array)).toEqual(want);
  });
});

describe('numberView', () => {
  const raw = (dataType: number, bytes: ArrayBufferView, dims: number[]): Tensor => ({ name: 't', dataType, dims: dims.map((d) => int64From(d)), rawData: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  it('hands out the stored array itself for float32 and small integers (no 2x copy of a large weight)', () => {
    for (const [type, arr] of [[1, Float32Array.of(1.5, -2, 3.25)], [3, Int8Array.of(-1, 2, 3)], [6, Int32Array.of(-7, 8, 1 << 30)]] as const) {
      const v = tensorValues(raw(type, arr, [3]));
      const view = numberView(v);
      expect(view).toBe(v.data);
      expect(Array.from(view)).toEqual(Array.from(toNumbers(v)));
    }
  });
  it('decodes what typed arrays do not hold as numbers (int64, float16) like toNumbers', () => {
    for (const [type, arr] of [[7, BigInt64Array.of(-5n, 2n ** 40n)], [10, Uint16Array.of(0x3c00, 0xc000)]] as const) {
      const v = tensorValues(raw(type, arr, [2]));
      const view = numberView(v);
      expect(view).toBeInstanceOf(Float64Array);
      expect(Array.from(view)).toEqual(Array.from(toNumbers(v)));
    }
    expect(Array.from(numberView(tensorValues(raw(10, Uint16Array.of(0x3c00, 0xc000), [2]))))).toEqual([1, -2]);
  });
});
