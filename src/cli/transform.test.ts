/**
 * `transform IN OUT [--pass ...] [--set-bits ...]` and `transform --list`, then `cost` on the result:
 * the BOPs are computed here by hand from TFC's layer sizes (784-64-64-64-10, 2-bit activations).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listQuantizers } from '../core/ir/quantEdit.js';
import { decodeModel, encodeModel } from '../core/onnx/codec.js';
import { tensorValues, toNumbers } from '../core/onnx/tensorData.js';
import { SELECTOR_HELP } from '../core/ir/bulkQuantEdit.js';
import { brevitasGemm, qkerasDense } from '../core/testing/quantModels.js';
import { transforms } from '../core/passes/registry.js';
import { run } from './main.js';
import { repoRoot } from '../core/testing/paths.js';

const ROOT = repoRoot();
const TFC = path.resolve(ROOT, 'testdata/models/zoo_TFC_2W2A.onnx');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'qonnx-transform-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));
const out = (name: string) => path.join(TMP, name);

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

async function denseBops(file: string): Promise<number> {
  const r = await cli('cost', file, '--no-discount-sparsity');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).total_cost.total_bops;
}

/** MACs per layer of TFC: 784*64, 64*64, 64*64, 64*10 */
const MACS = [50176, 4096, 4096, 640];
const bops = (act: number[], w: number[]) => MACS.reduce((s, m, k) => s + m * act[k] * w[k], 0);
const load = (f: string) => decodeModel(new Uint8Array(fs.readFileSync(f)));

describe('cli transform --set-bits', () => {
  it('MatMul_20=4 (the first layer, by name): its weight quantizer gets 4 bits, and cost agrees (real process)', () => {
    const o = out('l0w4.onnx');
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'transform', TFC, o, '--set-bits', 'MatMul_20=4'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ steps: [{ set_bits: 'MatMul_20', quantizer: 'Quant_18', bits: 4 }], out: o });
    const c = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'cost', o, '--no-discount-sparsity'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(c.status).toBe(0);
    const total = JSON.parse(c.stdout).total_cost;
    // 50176 MACs of 2-bit x 4-bit, 8832 of 2-bit x 2-bit
    expect(total.total_bops).toBe(50176 * 2 * 4 + 8832 * 2 * 2);
    expect(total.total_bops).toBe(436736);
    expect(total.op_mac_INT2_INT4).toBe(50176);
    expect(total.op_mac_INT2_INT2).toBe(8832);
    expect(c.stdout).toContain('"total_bops": 436736.0,');
  });

  it('targets: a quantizer name, a tensor it produces, a tensor it reads; steps run in order', async () => {
    const o = out('mixed.onnx');
    // 68: produced by Quant_42 (weights of MatMul_44); 77: the weights Quant_54 reads; 39: produced by Quant_13
    const r = await cli('transform', TFC, o, '--set-bits', 'Quant_30=3', '--set-bits', '68=5', '--set-bits', '77=6', '--set-bits', '39=4', '--set-bits', 'Quant_30=8');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).steps.map((s: { quantizer: string }) => s.quantizer)).toEqual(['Quant_30', 'Quant_42', 'Quant_54', 'Quant_13', 'Quant_30']);
    const m = load(o);
    expect(listQuantizers(m).map((q) => `${q.name}:${q.bits}`)).toEqual(['Quant_13:4', 'Quant_18:2', 'Quant_25:2', 'Quant_30:8', 'Quant_37:2', 'Quant_42:5', 'Quant_49:2', 'Quant_54:6']);
    expect(await denseBops(o)).toBe(bops([4, 2, 2, 2], [2, 8, 5, 6]));
  });

  it('every weight quantizer at 4 bits: 2 x 4 BOPs per MAC', async () => {
    const o = out('w4.onnx');
    const r = await cli('transform', TFC, o, ...['MatMul_20', 'MatMul_32', 'MatMul_44', 'MatMul_56'].flatMap((l) => ['--set-bits', `${l}=4`]));
    expect(r.code).toBe(0);
    expect(await denseBops(o)).toBe(2 * 4 * 59008);
    expect(await denseBops(o)).toBe(472064);
  });

  it('bad --set-bits arguments are usage errors (exit 2); an unknown target fails (exit 1)', async () => {
    for (const bad of ['MatMul_20', 'MatMul_20=0', 'MatMul_20=33', 'MatMul_20=2.5', '=4', 'MatMul_20=x']) {
      const r = await cli('transform', TFC, out('x.onnx'), '--set-bits', bad);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain(`--set-bits needs TARGET=BITS with BITS in 1..32, got '${bad}'`);
    }
    // 69 is the Transpose's output after Quant_42, read by MatMul_44: no quantizer produces or reads it
    const t = await cli('transform', TFC, out('x.onnx'), '--set-bits', '69=4');
    expect(t.code).toBe(1);
    expect(t.stderr).toContain("'69' is not a quantizer");
    const r = await cli('transform', TFC, out('x.onnx'), '--set-bits', 'BatchNormalization_21=4');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: --set-bits: 'BatchNormalization_21' is not a quantizer, a tensor of one, or a layer with a weight quantizer\n");
    expect(fs.existsSync(out('x.onnx'))).toBe(false);
  });
});

describe('cli transform --set-bits with a group selector (weights, biases, activations, all, op:X)', () => {
  const brevitas = out('brevitas.onnx');
  const qkeras = out('qkeras.onnx');
  fs.writeFileSync(brevitas, encodeModel(brevitasGemm()));
  fs.writeFileSync(qkeras, encodeModel(qkerasDense()));
  /** the bit width each Quant node reads from its initializer, or 'computed' */
  const widths = (f: string) => {
    const m = load(f);
    const inits = new Map((m.graph!.initializer ?? []).map((t) => [t.name, t]));
    return Object.fromEntries(m.graph!.node!.filter((n) => n.opType === 'Quant').map((n) => {
      const t = inits.get(n.input![3]);
      return [n.name, t ? toNumbers(tensorValues(t))[0] : 'computed'];
    }));
  };

  it('TFC weights=4: the four weight quantizers, the same file and cost as naming the four layers', async () => {
    const o = out('tfc-weights4.onnx');
    const r = await cli('transform', TFC, o, '--set-bits', 'weights=4');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ steps: [{ set_bits: 'weights', bits: 4, changed: ['Quant_18', 'Quant_30', 'Quant_42', 'Quant_54'], unchanged: [], skipped: [] }], out: o });
    expect(await denseBops(o)).toBe(bops([2, 2, 2, 2], [4, 4, 4, 4]));
    const byName = out('tfc-layers4.onnx');
    await cli('transform', TFC, byName, ...['MatMul_20', 'MatMul_32', 'MatMul_44', 'MatMul_56'].flatMap((l) => ['--set-bits', `${l}=4`]));
    expect(fs.readFileSync(o)).toEqual(fs.readFileSync(byName));
    // activations=3 then op:MatMul=5
    const o2 = out('tfc-mixed.onnx');
    const r2 = await cli('transform', TFC, o2, '--set-bits', 'activations=3', '--set-bits', 'op:MatMul=5', '--set-bits', 'biases=8');
    expect(r2.code).toBe(0);
    const steps = JSON.parse(r2.stdout).steps;
    expect(steps[0].changed).toEqual(['Quant_13', 'Quant_25', 'Quant_37', 'Quant_49']);
    expect(steps[1].changed).toEqual(['Quant_18', 'Quant_30', 'Quant_42', 'Quant_54']);
    expect(steps[2]).toEqual({ set_bits: 'biases', bits: 8, changed: [], unchanged: [], skipped: [] });
    expect(await denseBops(o2)).toBe(bops([3, 3, 3, 3], [5, 5, 5, 5]));
  });

  it('Brevitas Gemm weights=4: the computed weight width is listed as skipped with the reason; the bias is untouched; cost has 8 x 4-bit MACs', async () => {
    const o = out('brevitas-w4.onnx');
    const r = await cli('transform', brevitas, o, '--set-bits', 'weights=4');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).steps).toEqual([
      { set_bits: 'weights', bits: 4, changed: ['Quant_w1'], unchanged: [], skipped: [{ quantizer: 'Quant_w2', reason: 'its bit width is computed by the graph (by Cast Cast_w2_bw), not a constant' }] },
    ]);
    expect(widths(o)).toEqual({ Quant_in: 8, Quant_w1: 4, Quant_b1: 'computed', Quant_a1: 8, Quant_w2: 'computed' });
    const c = await cli('cost', o, '--no-discount-sparsity');
    const total = JSON.parse(c.stdout).total_cost;
    // Gemm_1: 4 x 8 MACs of the 8-bit input and the 4-bit weights (scales 0.5 and 0.25: SCALEDINT)
    expect(total['op_mac_SCALEDINT<8>_SCALEDINT<4>']).toBe(32);
    const c0 = JSON.parse((await cli('cost', brevitas, '--no-discount-sparsity')).stdout).total_cost;
    expect(c0['op_mac_SCALEDINT<8>_SCALEDINT<8>']).toBe(32);
    expect(c0.total_bops - total.total_bops).toBe(32 * 8 * 4);
    // again on the result: nothing changes, the same bytes
    const o2 = out('brevitas-w4-again.onnx');
    const r2 = await cli('transform', o, o2, '--set-bits', 'weights=4');
    expect(JSON.parse(r2.stdout).steps[0]).toMatchObject({ changed: [], unchanged: ['Quant_w1'] });
    expect(fs.readFileSync(o2)).toEqual(fs.readFileSync(o));
  });

  it('Brevitas Gemm all=6 and biases=6: the bias quantizer with a computed width is skipped, the rest change', async () => {
    const o = out('brevitas-all6.onnx');
    const r = await cli('transform', brevitas, o, '--set-bits', 'all=6', '--set-bits', 'biases=6');
    expect(r.code).toBe(0);
    const [all, biases] = JSON.parse(r.stdout).steps;
    expect(all.changed).toEqual(['Quant_in', 'Quant_w1', 'Quant_a1']);
    expect(all.skipped.map((s: { quantizer: string }) => s.quantizer)).toEqual(['Quant_b1', 'Quant_w2']);
    expect(biases).toEqual({ set_bits: 'biases', bits: 6, changed: [], unchanged: [], skipped: [{ quantizer: 'Quant_b1', reason: 'its bit width is computed by the graph (by Add Add_b1_bw), not a constant' }] });
    expect(widths(o)).toEqual({ Quant_in: 6, Quant_w1: 6, Quant_b1: 'computed', Quant_a1: 6, Quant_w2: 'computed' });
  });

  it('QKeras Dense weights=4 leaves the bias constants at 8; biases=5 sets them', async () => {
    const o = out('qkeras-w4.onnx');
    const r = await cli('transform', qkeras, o, '--set-bits', 'weights=4');
    expect(JSON.parse(r.stdout).steps[0].changed).toEqual(['Quant_w1', 'Quant_w2']);
    expect(widths(o)).toEqual({ Quant_in: 8, Quant_w1: 4, Quant_b1: 8, Quant_a1: 8, Quant_w2: 4, Quant_b2: 8 });
    const o2 = out('qkeras-b5.onnx');
    await cli('transform', o, o2, '--set-bits', 'biases=5');
    expect(widths(o2)).toEqual({ Quant_in: 8, Quant_w1: 4, Quant_b1: 5, Quant_a1: 8, Quant_w2: 4, Quant_b2: 5 });
  });

  it('a named quantizer that cannot take the width fails with the reason; op:X with no such layer fails naming the op types there are', async () => {
    let r = await cli('transform', brevitas, out('n.onnx'), '--set-bits', 'Quant_b1=4');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: --set-bits Quant_b1=4: Quant_b1: its bit width is computed by the graph (by Add Add_b1_bw), not a constant\n');
    r = await cli('transform', TFC, out('n.onnx'), '--set-bits', 'op:Conv=4');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: --set-bits: op:Conv: no Conv layer has a weight quantizer (layers with one: op:MatMul)\n');
    expect(fs.existsSync(out('n.onnx'))).toBe(false);
  });

  it('help transform describes every selector', async () => {
    const r = await cli('help', 'transform');
    expect(r.code).toBe(0);
    for (const line of SELECTOR_HELP) expect(r.stdout).toContain(line);
    expect(r.stdout).toContain('op:<OpType>   the weight quantizers of the layers of that op type');
  });
});

describe('cli transform --pass', () => {
  it('cleanup: node names become <OpType>_<k>', async () => {
    const o = out('clean.onnx');
    const r = await cli('transform', TFC, o, '--pass', 'cleanup');
    expect(r.code).toBe(0);
    const step = JSON.parse(r.stdout).steps[0];
    expect(step).toMatchObject({ pass: 'cleanup', modified: true, nodes_added: 0, nodes_removed: 9, nodes_changed: 22, notes: [] });
    const nodes = load(o).graph!.node!;
    const count = new Map<string, number>();
    for (const n of nodes) {
      const k = count.get(n.opType!) ?? 0;
      count.set(n.opType!, k + 1);
      expect(n.name).toBe(`${n.opType}_${k}`);
    }
    expect(Object.fromEntries(count)).toEqual({ Quant: 8, Reshape: 1, Mul: 2, Sub: 2, MatMul: 4, BatchNormalization: 3, Div: 1, Add: 1 });
    // and the cost is that of the original (dense 2 x 2 bits per MAC)
    expect(await denseBops(o)).toBe(4 * 59008);
  });

  it('passes with JSON parameters, then bit widths by the new names', async () => {
    const o = out('fold.onnx');
    const r = await cli('transform', TFC, o, '--pass', 'cleanup', '--pass', 'fold-constants:{"excludeOpTypes":["Quant"]}', '--set-bits', 'MatMul_0=4');
    expect(r.code).toBe(0);
    const steps = JSON.parse(r.stdout).steps;
    expect(steps.map((s: { pass?: string; set_bits?: string }) => s.pass ?? s.set_bits)).toEqual(['cleanup', 'fold-constants', 'MatMul_0']);
    expect(steps[1].modified).toBe(false);
    expect(await denseBops(o)).toBe(bops([2, 2, 2, 2], [4, 2, 2, 2]));
  });

  it('unknown pass: exit 1 and a message naming the known ones', async () => {
    const r = await cli('transform', TFC, out('u.onnx'), '--pass', 'make-it-fast');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: Unknown transformation 'make-it-fast'\. Known: /);
    for (const t of transforms()) expect(r.stderr).toContain(t.id);
    expect(fs.existsSync(out('u.onnx'))).toBe(false);
  });

  it('bad JSON parameters and bad parameter values: exit 1 with what is wrong', async () => {
    let r = await cli('transform', TFC, out('j.onnx'), '--pass', 'cleanup:{preserve_qnt_ops:false}');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: --pass cleanup: parameters must be a JSON object, got \{preserve_qnt_ops:false\} \(.+\)\n$/);
    r = await cli('transform', TFC, out('j.onnx'), '--pass', 'cleanup:[]');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: --pass cleanup: parameters must be a JSON object\n');
    r = await cli('transform', TFC, out('j.onnx'), '--pass', 'cleanup:{"preserve_qnt_ops":"no"}');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: cleanup: parameter 'preserve_qnt_ops' must be boolean, got "no"\n`);
    r = await cli('transform', TFC, out('j.onnx'), '--pass', 'change-batch-size');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: change-batch-size: parameter 'batch' is required/);
    expect(fs.existsSync(out('j.onnx'))).toBe(false);
  });

  it('usage errors: missing OUT, --pass without an id, unknown option', async () => {
    for (const args of [[TFC], [TFC, out('a.onnx'), '--pass'], [TFC, out('a.onnx'), '--frobnicate']]) {
      const r = await cli('transform', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr).toContain('usage: qonnx-studio transform IN OUT');
    }
  });
});

describe('cli transform --list', () => {
  it('lists every registered transformation with its parameters', async () => {
    const r = await cli('transform', '--list');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const heads = lines.filter((l) => !l.startsWith(' '));
    expect(heads.map((l) => l.split(/[: ]/)[0])).toEqual(transforms().map((t) => t.id));
    for (const t of transforms()) {
      const at = lines.findIndex((l) => l.startsWith(`${t.id}${t.lossy ? ' (changes results)' : ''}: ${t.title}`));
      expect(at, t.id).toBeGreaterThanOrEqual(0);
      expect(lines[at + 1]).toBe(`    ${t.summary}`);
      t.params.forEach((p, k) => {
        const l = lines[at + 2 + k];
        expect(l.startsWith(`    ${p.name} (${p.kind}`), `${t.id}.${p.name}`).toBe(true);
        expect(l.endsWith(`): ${p.doc}`)).toBe(true);
        if (p.required) expect(l).toContain(', required');
        else if (p.default !== undefined) expect(l).toContain(`, default ${JSON.stringify(p.default)}`);
      });
    }
    // spot checks written out
    expect(r.stdout).toContain('cleanup: QONNX cleanup\n');
    expect(r.stdout).toContain('    batch (integer, required): ');
    expect(r.stdout).toContain('    excludeOpTypes (json, default ["Quant","BipolarQuant","QuantizeLinear","DequantizeLinear"]): ');
  });
});
