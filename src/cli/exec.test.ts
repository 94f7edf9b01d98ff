/**
 * `exec MODEL --input NAME=FILE.npy ... --out DIR [--all] [--float] [--random SEED]`, in-process through
 * run() and once as a real child process. The .npy files it writes are parsed here with a reader
 * written for this test.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { int64From, type Model } from '../core/ir/types.js';
import { decodeModel, encodeModel } from '../core/onnx/codec.js';
import { run } from './main.js';
import { repoRoot } from '../core/testing/paths.js';
import { readF32Npy } from '../core/testing/npyF32.js';

const ROOT = repoRoot();
const MODELS = path.resolve(ROOT, 'testdata/models');
const FP8 = path.join(MODELS, 'qonnx_act_weight_fp8.onnx');
const FP8_IN = path.join(MODELS, 'qonnx_act_weight_fp8.input.npy');
const FP8_OUT = path.join(MODELS, 'qonnx_act_weight_fp8.output.npy');
const TFC = path.join(MODELS, 'zoo_TFC_2W2A.onnx');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qonnx-exec-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function cli(...args: string[]) {
  let stdout = '', stderr = '';
  const code = await run(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const fp8 = decodeModel(new Uint8Array(fs.readFileSync(FP8)));
const FP8_INPUT = fp8.graph!.input![0].name!;
const FP8_OUTPUT = fp8.graph!.output![0].name!;
const tfc = decodeModel(new Uint8Array(fs.readFileSync(TFC)));

describe('cli exec', () => {
  it('--input NAME=FILE.npy --out DIR writes DIR/<output>.npy equal to Brevitas\' output (FP8 model) and prints the JSON summary', async () => {
    const out = path.join(tmp, 'fp8');
    const r = await cli('exec', FP8, '--input', `${FP8_INPUT}=${FP8_IN}`, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const file = path.join(out, `${FP8_OUTPUT}.npy`);
    expect(doc.outputs).toEqual([{ name: FP8_OUTPUT, shape: [1, 16], file }]);
    expect(doc.tensors_written).toBe(1);
    expect(typeof doc.run_ms).toBe('number');
    expect(doc.run_ms).toBeGreaterThan(0);
    expect(typeof doc.prepare_ms).toBe('number');
    expect(doc.onnxruntime_sessions).toBe(1);
    expect(doc.qonnx_kernel_steps).toBe(1);
    expect(doc.qonnx_ops_as_standard_ops).toBe(0); // FloatQuant stays a kernel
    expect(doc.float_twin).toBe(false);
    expect(fs.readdirSync(out)).toEqual([`${FP8_OUTPUT}.npy`]);
    const got = readF32Npy(file), want = readF32Npy(FP8_OUT);
    expect(got.shape).toEqual(want.shape);
    expect(Array.from(got.data)).toEqual(Array.from(want.data)); // exact
  });

  it('--float runs the float twin: a different output (the FloatQuant steps matter here)', async () => {
    const out = path.join(tmp, 'fp8-float');
    const r = await cli('exec', FP8, '--input', `${FP8_INPUT}=${FP8_IN}`, '--out', out, '--float');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.float_twin).toBe(true);
    expect(doc.qonnx_kernel_steps).toBe(0);
    const got = readF32Npy(path.join(out, `${FP8_OUTPUT}.npy`)), want = readF32Npy(FP8_OUT);
    const maxErr = Math.max(...Array.from(got.data, (v, i) => Math.abs(v - want.data[i])));
    expect(maxErr).toBeGreaterThan(1e-4);
  });

  it('--all writes every tensor: inputs, every node output (one file each) and the weights', async () => {
    const out = path.join(tmp, 'tfc-all');
    const r = await cli('exec', TFC, '--random', '1', '--out', out, '--all');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const files = new Set(fs.readdirSync(out));
    expect(doc.tensors_written).toBe(files.size);
    const safe = (t: string) => t.replace(/[^\w.-]+/g, '_');
    for (const n of tfc.graph!.node!) for (const o of n.output ?? []) expect(files.has(`${safe(o)}.npy`), o).toBe(true);
    expect(files.has(`${safe(tfc.graph!.input![0].name!)}.npy`)).toBe(true);
    // the output written with --all is the one written without it
    const single = path.join(tmp, 'tfc-one');
    expect((await cli('exec', TFC, '--random', '1', '--out', single)).code).toBe(0);
    const o = tfc.graph!.output![0].name!;
    expect(Array.from(readF32Npy(path.join(out, `${o}.npy`)).data)).toEqual(Array.from(readF32Npy(path.join(single, `${o}.npy`)).data));
    // the input file holds the seeded values (float in [-1, 1)), shape [1, 1, 28, 28]
    const x = readF32Npy(path.join(out, `${safe(tfc.graph!.input![0].name!)}.npy`));
    expect(x.shape).toEqual([1, 1, 28, 28]);
    expect(Array.from(x.data).every((v) => v >= -1 && v < 1)).toBe(true);
  });

  it('--random SEED is reproducible and the seed matters', async () => {
    const o = tfc.graph!.output![0].name!;
    const outs: Float32Array[] = [];
    for (const [dir, seed] of [['a', '5'], ['b', '5'], ['c', '6']]) {
      const r = await cli('exec', TFC, '--random', seed, '--out', path.join(tmp, `seed-${dir}`));
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.outputs.map((w: { name: string; shape: number[] }) => [w.name, w.shape])).toEqual([[o, [1, 10]]]);
      outs.push(readF32Npy(path.join(tmp, `seed-${dir}`, `${o}.npy`)).data);
    }
    expect(Array.from(outs[0])).toEqual(Array.from(outs[1]));
    expect(Array.from(outs[0])).not.toEqual(Array.from(outs[2]));
  });

  it('a missing input: exit 2 with a message naming it and the options', async () => {
    const r = await cli('exec', TFC, '--out', path.join(tmp, 'none'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`no value for graph input '${tfc.graph!.input![0].name}'`);
    expect(r.stderr).toMatch(/--input .*=FILE\.npy or --random SEED/);
  });

  it('usage errors: exit 2 (unknown input name, no --out, bad seed)', async () => {
    expect((await cli('exec', TFC, '--random', '1', '--input', `nope=${FP8_IN}`, '--out', path.join(tmp, 'x'))).stderr).toContain("the model has no graph input 'nope'");
    expect((await cli('exec', TFC, '--random', '1')).code).toBe(2);
    expect((await cli('exec', TFC, '--random', 'abc', '--out', path.join(tmp, 'x'))).code).toBe(2);
  });

  it('an .npy of the wrong size: exit 1 with the shapes', async () => {
    const r = await cli('exec', TFC, '--input', `${tfc.graph!.input![0].name}=${FP8_IN}`, '--out', path.join(tmp, 'bad'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has shape \(1, 3\) = 3 values, but the input needs \[1, 1, 28, 28\] = 784/);
  });

  it('a FINN hardware model: exit 1, "cannot execute" with op, domain and node, no stack trace', async () => {
    const r = await cli('exec', path.join(MODELS, 'finn_step_set_fifo_depths.onnx'), '--random', '1', '--out', path.join(tmp, 'hw'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/cannot execute/i);
    expect(r.stderr).toContain("StreamingFIFO_rtl (finn.custom_op.fpgadataflow.rtl) at node 'StreamingFIFO_rtl_0'");
    expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(fs.existsSync(path.join(tmp, 'hw'))).toBe(false);
  });

  it('a model with its weights in an external-data file next to it: read and inlined', async () => {
    // x [1, 2] @ Quant(W) with W [2, 2] in 'weights.bin' at byte 16 (after 16 bytes of something else)
    const dir = path.join(tmp, 'ext');
    fs.mkdirSync(dir, { recursive: true });
    const w = Float32Array.of(1.2, -0.6, 2.9, 0.4); // Quant 4-bit signed narrow, scale 0.5: 1, -0.5, 3, 0.5
    const data = new Uint8Array(16 + 16);
    data.set(new Uint8Array(w.buffer), 16);
    fs.writeFileSync(path.join(dir, 'weights.bin'), data);
    const f = (name: string, v: number) => ({ name, dims: [], dataType: 1, rawData: new Uint8Array(Float32Array.of(v).buffer) });
    const model: Model = {
      irVersion: int64From(8),
      opsetImport: [{ domain: '', version: int64From(13) }],
      graph: {
        name: 'ext',
        node: [
          { opType: 'Quant', domain: 'qonnx.custom_op.general', input: ['W', 's', 'z', 'b'], output: ['qw'], name: 'q', attribute: [{ name: 'signed', type: 2, i: int64From(1) }, { name: 'narrow', type: 2, i: int64From(1) }] },
          { opType: 'MatMul', input: ['x', 'qw'], output: ['y'], name: 'mm' },
        ],
        initializer: [
          { name: 'W', dims: [int64From(2), int64From(2)], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: '16' }, { key: 'length', value: '16' }] },
          f('s', 0.5),
          f('z', 0),
          f('b', 4),
        ],
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: int64From(1) }, { dimValue: int64From(2) }] } } } }],
        output: [{ name: 'y' }],
      },
    };
    fs.writeFileSync(path.join(dir, 'model.onnx'), encodeModel(model));
    // the input as .npy (v1 header written here)
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }";
    header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
    const npy = Buffer.concat([Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, header.length, 0]), Buffer.from(header, 'latin1'), Buffer.from(Float32Array.of(2, -1).buffer)]);
    fs.writeFileSync(path.join(dir, 'x.npy'), npy);
    const r = await cli('exec', path.join(dir, 'model.onnx'), '--input', `x=${path.join(dir, 'x.npy')}`, '--out', path.join(dir, 'out'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // [2, -1] @ [[1, -0.5], [3, 0.5]] = [2 - 3, -1 - 0.5]
    expect(Array.from(readF32Npy(path.join(dir, 'out', 'y.npy')).data)).toEqual([-1, -1.5]);
    // without the data file: exit 1 naming it
    fs.rmSync(path.join(dir, 'weights.bin'));
    const bad = await cli('exec', path.join(dir, 'model.onnx'), '--input', `x=${path.join(dir, 'x.npy')}`, '--out', path.join(dir, 'out2'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("External data file 'weights.bin' was not found");
  });

  it('as a real child process (tsx), the same file and summary', () => {
    const out = path.join(tmp, 'spawn');
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'exec', FP8, '--input', `${FP8_INPUT}=${FP8_IN}`, '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.outputs[0].name).toBe(FP8_OUTPUT);
    expect(Array.from(readF32Npy(path.join(out, `${FP8_OUTPUT}.npy`)).data)).toEqual(Array.from(readF32Npy(FP8_OUT).data));
    const bad = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'exec', path.join(MODELS, 'finn_cybsec_PE_SIMD.onnx'), '--random', '1', '--out', path.join(tmp, 'hw2')], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error: Cannot execute MVAU_hls \(finn\.custom_op\.fpgadataflow\.hls\)/);
  });
});
