import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { isModelError, ModelError } from '../errors.js';
import type { Model, ValueInfo } from '../ir/types.js';
import { int64From } from '../ir/types.js';
import { validateModel } from '../ir/validate.js';
import { encodeLenField, encodeTag, encodeVarint } from '../testing/wireWalker.js';
import { decodeModel, encodeModel } from './codec.js';
import { TEST_MODELS as MODELS } from '../testing/paths.js';


/** Decode and return the ModelError it throws (fails the test on success or on another error type). */
function decodeError(bytes: Uint8Array, fileName?: string): ModelError {
  let thrown: unknown;
  try {
    decodeModel(bytes, { fileName });
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'decodeModel should have thrown').toBeDefined();
  expect(thrown).toBeInstanceOf(ModelError);
  const e = thrown as ModelError;
  expect(e.message.length).toBeGreaterThan(10);
  return e;
}

/** mulberry32: small seeded PRNG, so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ascii = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)));

describe('bad input to decodeModel', () => {
  it('empty bytes -> empty-file', () => {
    expect(decodeError(new Uint8Array(0)).code).toBe('empty-file');
  });

  it.each([1, 2, 3, 7, 42, 1234, 99991, 2 ** 31 - 1])('random bytes (seed %i) -> a ModelError, never another exception', (seed) => {
    const r = prng(seed);
    for (let trial = 0; trial < 20; trial++) {
      const len = 1 + Math.floor(r() * 3000);
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) b[i] = Math.floor(r() * 256);
      const e = decodeError(b);
      expect(['corrupt', 'truncated', 'not-onnx', 'wrong-format']).toContain(e.code);
    }
  });

  it.each([0.1, 0.5, 0.999])('a real model cut at %f of its length -> truncated, with a byte position', (frac) => {
    const full = new Uint8Array(fs.readFileSync(path.join(MODELS, 'zoo_TFC_2W2A.onnx')));
    const cut = Math.floor(full.length * frac);
    const e = decodeError(full.slice(0, cut), 'zoo_TFC_2W2A.onnx');
    expect(e.code).toBe('truncated');
    expect(e.message).toMatch(/truncated/);
    expect(e.message).toMatch(/byte \d/);
    expect(e.message).toContain(cut.toLocaleString('en-US'));
    expect(e.where).toMatch(/^byte \d+$/);
  });

  it('a cut inside a top-level varint -> truncated at the end of the file', () => {
    // ir_version tag, then the first byte of a two-byte varint
    const e = decodeError(new Uint8Array([0x08, 0x96]));
    expect(e.code).toBe('truncated');
    expect(e.message).toMatch(/ends at byte 2\b/);
  });

  it('a length that overflows its enclosing message (but not the file) is corrupt, not truncated', () => {
    // ModelProto { ir_version: 7, graph { node { name: <claims 10 bytes, node holds 1> } } } + padding
    const node = [...encodeTag(3, 2), 10, 0x41];
    const graph = encodeLenField(1, node);
    // unknown varint fields after the graph, so the bad length stays well inside the file
    const tail: number[] = [];
    for (let i = 0; i < 20; i++) tail.push(...encodeTag(51, 0), 1);
    const bytes = new Uint8Array([...encodeTag(1, 0), 7, ...encodeLenField(7, graph), ...tail]);
    const e = decodeError(bytes);
    expect(e.code).toBe('corrupt');
    expect(e.message).toMatch(/byte \d/);
  });

  it.each([
    ['zip', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]), /ZIP archive/],
    ['json', ascii('{"format": "onnx", "graph": {"node": []}}\n'), /JSON text/],
    ['png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), /PNG image/],
    ['hdf5', new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0, 0, 8, 8, 0]), /HDF5 file/],
  ] as const)('a %s file named .onnx -> wrong-format with a specific description', (_kind, bytes, pattern) => {
    const e = decodeError(bytes, 'model.onnx');
    expect(e.code).toBe('wrong-format');
    expect(e.message).toMatch(pattern);
    expect(e.message).toContain("'model.onnx'");
  });

  it('a valid protobuf that is not ONNX -> not-onnx', () => {
    // field 50 varint 1, field 51 length-delimited "hello", field 60 fixed32
    const bytes = new Uint8Array([
      ...encodeTag(50, 0), ...encodeVarint(1),
      ...encodeLenField(51, Array.from(ascii('hello'))),
      ...encodeTag(60, 5), 1, 2, 3, 4,
    ]);
    expect(bytes[0]).toBe(0x90);
    expect(decodeError(bytes).code).toBe('not-onnx');
  });

  it('a protobuf whose field 7 holds no graph content -> not-onnx', () => {
    const bytes = new Uint8Array([...encodeLenField(7, [...encodeTag(40, 0), 5]), ...encodeTag(9, 0), 3]);
    expect(decodeError(bytes).code).toBe('not-onnx');
  });
});

const vi = (name: string): ValueInfo => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: int64From(4) }] } } } });

function smallModel(nodes: NonNullable<Model['graph']>['node'], inputs: string[], outputs: string[]): Model {
  return {
    irVersion: int64From(8),
    producerName: 'badInput.test',
    opsetImport: [{ domain: '', version: int64From(13) }],
    graph: { name: 'g', node: nodes, input: inputs.map(vi), output: outputs.map(vi) },
  };
}

describe('structurally broken models decode but do not validate', () => {
  it('a dangling input is reported naming the node and the tensor', () => {
    const bytes = encodeModel(
      smallModel(
        [
          { opType: 'Relu', name: 'relu1', input: ['x'], output: ['y'] },
          { opType: 'Add', name: 'add_ghost', input: ['y', 'ghost'], output: ['z'] },
        ],
        ['x'],
        ['z'],
      ),
    );
    const m = decodeModel(bytes);
    expect(m.graph!.node).toHaveLength(2);
    const problems = validateModel(m);
    const p = problems.find((x) => x.code === 'dangling-input');
    expect(p).toBeDefined();
    expect(p!.severity).toBe('error');
    expect(p!.node).toBe(1);
    expect(p!.tensor).toBe('ghost');
    expect(p!.message).toContain('add_ghost');
    expect(p!.message).toContain("'ghost'");
    expect(problems.filter((x) => x.code === 'dangling-input')).toHaveLength(1);
    expect(problems.some((x) => x.code === 'cycle')).toBe(false);
  });

  it('a cycle is reported naming the nodes on it', () => {
    const bytes = encodeModel(
      smallModel(
        [
          { opType: 'Relu', name: 'entry', input: ['x'], output: ['x1'] },
          { opType: 'Add', name: 'cycA', input: ['x1', 'c'], output: ['a'] },
          { opType: 'Relu', name: 'cycB', input: ['a'], output: ['b'] },
          { opType: 'Neg', name: 'cycC', input: ['b'], output: ['c'] },
        ],
        ['x'],
        ['c'],
      ),
    );
    const m = decodeModel(bytes);
    const problems = validateModel(m);
    const p = problems.find((x) => x.code === 'cycle');
    expect(p).toBeDefined();
    expect(p!.severity).toBe('error');
    for (const name of ['cycA', 'cycB', 'cycC']) expect(p!.message).toContain(name);
    expect(p!.message).not.toContain('entry');
    expect(problems.some((x) => x.code === 'dangling-input')).toBe(false);
  });

  it('a well-formed small model has no problems', () => {
    const m = decodeModel(encodeModel(smallModel([{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], ['x'], ['y'])));
    expect(validateModel(m)).toEqual([]);
  });
});

describe('files over 2 GiB', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qonnx-big-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('the CLI refuses a sparse 2 GiB+ file from its size, without reading it', async () => {
    const file = path.join(tmp, 'huge.onnx');
    fs.writeFileSync(file, new Uint8Array([0x08, 0x07]));
    fs.truncateSync(file, 2 ** 31 + 10);
    expect(fs.statSync(file).size).toBe(2 ** 31 + 10);
    let out = '';
    let err = '';
    const t0 = Date.now();
    const code = await run(['info', file], { out: (s) => (out += s), err: (s) => (err += s) });
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/^error: /);
    expect(err).toContain('over 2 GiB');
    expect(err).toContain('huge.onnx');
    expect(err).not.toMatch(/\n\s+at .*\.ts:\d+/); // no stack trace
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('isModelError', () => {
  it('recognises errors that lost their class through postMessage', () => {
    const e = Object.assign(new Error('x'), { name: 'ModelError', code: 'corrupt' });
    expect(isModelError(e)).toBe(true);
    expect(isModelError(new RangeError('x'))).toBe(false);
  });
});
