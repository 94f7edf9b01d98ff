import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError } from '../core/errors.js';
import type { Model, Tensor } from '../core/ir/types.js';
import { int64From } from '../core/ir/types.js';
import { encodeModel } from '../core/onnx/codec.js';
import { tensorValues } from '../core/onnx/tensorData.js';
import {
  copyExternalFiles,
  externalFileStatus,
  externalLocations,
  externalTensors,
  readExternalBytes,
  readModelFile,
  resolveExternalPath,
} from './nodeFiles.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'qonnx-nodefiles-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

function f32Bytes(values: number[]): Uint8Array {
  const dv = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  return new Uint8Array(dv.buffer);
}

function externalTensor(name: string, location: string, offset: number, length: number): Tensor {
  return {
    name,
    dataType: 1,
    dims: [int64From(2), int64From(2)],
    dataLocation: 1,
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(length) },
    ],
  };
}

function modelWithExternal(location = 'weights/w.bin'): Model {
  return {
    irVersion: int64From(8),
    opsetImport: [{ domain: '', version: int64From(13) }],
    graph: {
      name: 'ext',
      node: [{ opType: 'MatMul', name: 'mm', input: ['x', 'W'], output: ['y'] }],
      initializer: [externalTensor('W', location, 8, 16)],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: int64From(2) }, { dimValue: int64From(2) }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
    },
  };
}

/** Write model + external file into a fresh directory; returns the model path. */
function writeExternalModel(dirName: string): string {
  const dir = path.join(tmpRoot, dirName);
  fs.mkdirSync(path.join(dir, 'weights'), { recursive: true });
  const file = path.join(dir, 'model.onnx');
  fs.writeFileSync(file, encodeModel(modelWithExternal()));
  const data = new Uint8Array(24);
  data.set([9, 9, 9, 9, 9, 9, 9, 9]);
  data.set(f32Bytes([1, 2, 3, 4]), 8);
  fs.writeFileSync(path.join(dir, 'weights/w.bin'), data);
  return file;
}

function modelErrorOf(fn: () => unknown): ModelError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return e as ModelError;
  }
  throw new Error('expected a ModelError');
}

describe('external data from Node files', () => {
  it('finds external tensors and reads their byte range relative to the model file', () => {
    const file = writeExternalModel('read');
    const loaded = readModelFile(file);
    expect(loaded.dir).toBe(path.dirname(path.resolve(file)));
    const ext = externalTensors(loaded.model);
    expect(ext.map((e) => e.tensor.name)).toEqual(['W']);
    expect(ext[0].ref).toEqual({ location: 'weights/w.bin', offset: 8, length: 16 });
    expect(externalLocations(loaded.model)).toEqual(['weights/w.bin']);
    const bytes = readExternalBytes(loaded.dir, ext[0].tensor);
    expect(bytes.byteLength).toBe(16);
    expect(Array.from(tensorValues(ext[0].tensor, bytes).data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(externalFileStatus(loaded.model, loaded.dir)).toEqual([
      { location: 'weights/w.bin', path: path.join(loaded.dir, 'weights/w.bin'), exists: true, bytes: 24 },
    ]);
  });

  it('a missing external file -> missing-external-data naming the file', () => {
    const file = writeExternalModel('missing');
    fs.rmSync(path.join(path.dirname(file), 'weights/w.bin'));
    const loaded = readModelFile(file); // decoding does not need the weights
    const e = modelErrorOf(() => readExternalBytes(loaded.dir, externalTensors(loaded.model)[0].tensor));
    expect(e.code).toBe('missing-external-data');
    expect(e.message).toContain('weights/w.bin');
    expect(e.where).toContain("'W'");
    expect(externalFileStatus(loaded.model, loaded.dir)[0].exists).toBe(false);
    expect(modelErrorOf(() => copyExternalFiles(loaded.model, loaded.dir, path.join(tmpRoot, 'elsewhere'))).code).toBe('missing-external-data');
  });

  it('a range beyond the end of the external file -> bad-external-data', () => {
    const dir = path.join(tmpRoot, 'short');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'w.bin'), new Uint8Array(20));
    const e = modelErrorOf(() => readExternalBytes(dir, externalTensor('W', 'w.bin', 8, 16)));
    expect(e.code).toBe('bad-external-data');
    expect(e.message).toContain('20');
  });

  it('refuses locations outside the model directory', () => {
    const dir = path.join(tmpRoot, 'jail');
    expect(modelErrorOf(() => resolveExternalPath(dir, '../secret.bin')).code).toBe('bad-external-data');
    expect(modelErrorOf(() => resolveExternalPath(dir, '/etc/passwd')).code).toBe('bad-external-data');
    expect(modelErrorOf(() => resolveExternalPath(dir, 'a/../../x')).code).toBe('bad-external-data');
    expect(modelErrorOf(() => resolveExternalPath(dir, '')).code).toBe('bad-external-data');
    expect(resolveExternalPath(dir, 'sub/w.bin')).toBe(path.join(dir, 'sub/w.bin'));
  });

  it('copies external files to the same relative location, and not onto themselves', () => {
    const file = writeExternalModel('copy');
    const loaded = readModelFile(file);
    const to = path.join(tmpRoot, 'copy-out');
    expect(copyExternalFiles(loaded.model, loaded.dir, to)).toEqual(['weights/w.bin']);
    expect(Buffer.compare(fs.readFileSync(path.join(to, 'weights/w.bin')), fs.readFileSync(path.join(loaded.dir, 'weights/w.bin')))).toBe(0);
    expect(copyExternalFiles(loaded.model, loaded.dir, loaded.dir)).toEqual([]);
  });
});

describe('readModelFile', () => {
  it('reports a missing file and a directory clearly', () => {
    expect(() => readModelFile(path.join(tmpRoot, 'nope.onnx'))).toThrow(/cannot read .*nope\.onnx.*no such file/);
    expect(() => readModelFile(tmpRoot)).toThrow(/cannot read .*directory/);
  });

  it('refuses a file over 2 GiB from its size alone', () => {
    const file = path.join(tmpRoot, 'sparse.onnx');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 2 ** 31);
    const e = modelErrorOf(() => readModelFile(file));
    expect(e.code).toBe('too-large');
    expect(e.message).toContain('over 2 GiB');
    fs.rmSync(file);
  });
});
