/**
 * `shapes MODEL` and `datatypes MODEL [--allow-scaledint]`: JSON with every tensor of the graph, checked
 * against the model file itself (tensor names, initializer dims, declared input/output shapes) and
 * against values worked out by hand for the TFC MLP (784 -> 64 -> 64 -> 64 -> 10, 2-bit weights).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../core/onnx/codec.js';
import { shapeOfType } from '../core/ir/tensorInfo.js';
import { int64ToNumber, type Model } from '../core/ir/types.js';
import { run } from './main.js';
import { repoRoot } from '../core/testing/paths.js';

const ROOT = repoRoot();
const MODELS = path.resolve(ROOT, 'testdata/models');
const TFC = path.join(MODELS, 'zoo_TFC_2W2A.onnx');
const ESPCN = path.join(MODELS, 'qonnx_espcn_nnresize_quant.onnx');

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const load = (file: string): Model => decodeModel(new Uint8Array(fs.readFileSync(file)));

/** Every tensor name the file mentions at top level: inputs, initializers, node outputs, outputs. */
function tensorNames(m: Model): Set<string> {
  const g = m.graph!;
  const s = new Set<string>();
  for (const v of g.input ?? []) s.add(v.name!);
  for (const t of g.initializer ?? []) s.add(t.name!);
  for (const n of g.node ?? []) for (const o of n.output ?? []) if (o) s.add(o);
  for (const v of g.output ?? []) s.add(v.name!);
  return s;
}

/** Output tensor of the node with this name. */
const outOf = (m: Model, nodeName: string) => m.graph!.node!.find((n) => n.name === nodeName)!.output![0];

describe('cli shapes', () => {
  it('prints a JSON object with exactly the graph’s tensors and the hand-computed TFC shapes', async () => {
    const r = await cli('shapes', TFC);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const shapes = JSON.parse(r.stdout) as Record<string, (number | string | null)[] | null>;
    const m = load(TFC);
    expect(new Set(Object.keys(shapes))).toEqual(tensorNames(m));

    const g = m.graph!;
    expect(shapes[g.input![0].name!]).toEqual([1, 1, 28, 28]);
    expect(shapes[g.output![0].name!]).toEqual([1, 10]);
    // initializers: their own dims
    for (const t of g.initializer ?? []) expect(shapes[t.name!], t.name!).toEqual((t.dims ?? []).map((d) => int64ToNumber(d)));
    // Shape -> Gather -> Unsqueeze -> Concat -> Reshape flattens the image to [1, 784]
    expect(shapes[outOf(m, 'Shape_0')]).toEqual([4]);
    expect(shapes[outOf(m, 'Reshape_5')]).toEqual([1, 784]);
    // weights are stored [out, in] and transposed before MatMul
    expect(shapes[outOf(m, 'Quant_18')]).toEqual([64, 784]);
    expect(shapes[outOf(m, 'Transpose_19')]).toEqual([784, 64]);
    expect(['MatMul_20', 'MatMul_32', 'MatMul_44', 'MatMul_56'].map((n) => shapes[outOf(m, n)])).toEqual([
      [1, 64],
      [1, 64],
      [1, 64],
      [1, 10],
    ]);
    // no tensor is left unknown in this model
    expect(Object.entries(shapes).filter(([, s]) => s === null || s.some((d) => typeof d !== 'number'))).toEqual([]);
  });

  it('agrees with the declared shapes of a model that has value_info', async () => {
    const file = path.join(MODELS, 'qonnx_mnist_conv_float.onnx');
    const r = await cli('shapes', file);
    expect(r.code).toBe(0);
    const shapes = JSON.parse(r.stdout);
    const g = load(file).graph!;
    expect(g.valueInfo!.length).toBeGreaterThan(0);
    for (const v of [...g.valueInfo!, ...g.output!]) expect(shapes[v.name!], v.name!).toEqual(shapeOfType(v.type));
  });

  it('refuses options it does not know', async () => {
    const r = await cli('shapes', TFC, '--allow-scaledint');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("unknown option '--allow-scaledint'");
  });
});

describe('cli datatypes', () => {
  it('prints every tensor; TFC_2W2A: 2-bit weights and activations, INT32 accumulators, float elsewhere', async () => {
    const r = await cli('datatypes', TFC);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const types = JSON.parse(r.stdout) as Record<string, string>;
    const m = load(TFC);
    expect(new Set(Object.keys(types))).toEqual(tensorNames(m));
    // weight quantizers (scale 1, 2 bits, signed) and the transposes after them
    for (const n of ['Quant_18', 'Quant_30', 'Quant_42', 'Quant_54', 'Transpose_19', 'Transpose_31', 'Transpose_43', 'Transpose_55']) expect(types[outOf(m, n)], n).toBe('INT2');
    // activation quantizers
    for (const n of ['Quant_13', 'Quant_25', 'Quant_37', 'Quant_49']) expect(types[outOf(m, n)], n).toBe('INT2');
    for (const n of ['MatMul_20', 'MatMul_32', 'MatMul_44', 'MatMul_56']) expect(types[outOf(m, n)], n).toBe('INT32');
    expect(types[m.graph!.input![0].name!]).toBe('FLOAT32');
    expect(types[m.graph!.output![0].name!]).toBe('FLOAT32');
    expect(types[outOf(m, 'BatchNormalization_21')]).toBe('FLOAT32');
    const counts: Record<string, number> = {};
    for (const v of Object.values(types)) counts[v] = (counts[v] ?? 0) + 1;
    expect(counts).toEqual({ INT2: 12, INT32: 4, FLOAT32: Object.keys(types).length - 16 });
  });

  it('--allow-scaledint keeps SCALEDINT results that are FLOAT32 without it', async () => {
    const plain = JSON.parse((await cli('datatypes', ESPCN)).stdout) as Record<string, string>;
    const r = await cli('datatypes', ESPCN, '--allow-scaledint');
    expect(r.code).toBe(0);
    const scaled = JSON.parse(r.stdout) as Record<string, string>;
    expect(Object.keys(scaled).sort()).toEqual(Object.keys(plain).sort());
    // Quant with a non-unit scale: 8-bit first and last layer weights, 4-bit in between
    expect([scaled.quant_weight, scaled['quant_weight.3'], scaled['quant_weight.7'], scaled['quant_weight.11']]).toEqual(['SCALEDINT<8>', 'SCALEDINT<4>', 'SCALEDINT<4>', 'SCALEDINT<8>']);
    expect([plain.quant_weight, plain['quant_weight.3'], plain['quant_weight.7'], plain['quant_weight.11']]).toEqual(['FLOAT32', 'FLOAT32', 'FLOAT32', 'FLOAT32']);
    expect(Object.values(plain).some((v) => v.startsWith('SCALEDINT'))).toBe(false);
    // only SCALEDINT entries differ between the two runs
    for (const [t, v] of Object.entries(scaled)) if (!v.startsWith('SCALEDINT')) expect(plain[t], t).toBe(v);
    // the nearest-neighbour Resize passes its input's type through
    expect(scaled['x.23']).toBe(scaled['onnx::Resize_80']);
    expect(scaled['x.23']).toBe('SCALEDINT<8>');
  });

  it('usage errors exit 2, a missing file exits 1', async () => {
    const noModel = await cli('datatypes');
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toContain('missing MODEL');
    const badFlag = await cli('datatypes', TFC, '--scaled');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("unknown option '--scaled'");
    const twoModels = await cli('datatypes', TFC, TFC);
    expect(twoModels.code).toBe(2);
    const missing = await cli('datatypes', path.join(MODELS, 'no_such_model.onnx'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such file/);
  });

  it('works as a real process: stdout is the JSON and nothing else', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'datatypes', TFC, '--allow-scaledint'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const types = JSON.parse(r.stdout) as Record<string, string>;
    expect(types[outOf(load(TFC), 'MatMul_56')]).toBe('INT32');
  });
});
