/**
 * `cost --effective-bits` (issue 13, point 4): a scaled BipolarQuant and a Quant whose bit width is a
 * 1-element array are FLOAT32 for the reference, so `cost` prints FLOAT32 keys (1,024 BOPs a MAC);
 * with --effective-bits the same JSON counts them with the bits they have. Models built here as a
 * one-MatMul layer (x [1,4] · w [4,3]: 12 MACs, 12 weights, 3 outputs); the totals are worked out by
 * hand, and the op_mac / mem_w keys equal the reference's keys on the control model (scale 1, scalar
 * bit width) that the reference itself types as integers.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { costJson, inferenceCost } from '../core/analysis/inferenceCost.js';
import type { Model } from '../core/ir/types.js';
import { encodeModel } from '../core/onnx/codec.js';
import { bipolarMlp, quantMlp } from '../core/testing/floatQuantModels.js';
import { run } from './main.js';

const total = (m: Model, effectiveBits: boolean) => inferenceCost(m, { effectiveBits }).total_cost;
const macAndWeightKeys = (t: Record<string, unknown>) => Object.fromEntries(Object.entries(t).filter(([k]) => k.startsWith('op_mac_') || k.startsWith('mem_w_')));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-eff-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
async function cli(m: Model, ...flags: string[]) {
  const f = path.join(tmp, `m${Math.random().toString(36).slice(2)}.onnx`);
  fs.writeFileSync(f, encodeModel(m));
  let stdout = '';
  const code = await run(['cost', f, ...flags], { out: (s) => (stdout += s), err: () => {} });
  expect(code).toBe(0);
  return stdout;
}

describe('cost --effective-bits', () => {
  it('a Quant with a 1-element bit width: FLOAT32 for cost, INT4 x INT2 with --effective-bits', () => {
    const m = quantMlp([1]);
    const ref = total(m, false);
    expect(ref).toMatchObject({ op_mac_FLOAT32_FLOAT32: 12, mem_w_FLOAT32: 12, total_macs: 12, total_bops: 32 * 32 * 12, total_mem_w_bits: 32 * 12 });
    const eff = total(m, true);
    // 12 MACs of a 4-bit input by a 2-bit weight; 12 weights of 2 bits; outputs as the reference (3 FLOAT32)
    expect(eff).toMatchObject({ op_mac_INT4_INT2: 12, mem_w_INT2: 12, total_macs: 12, total_bops: 4 * 2 * 12, total_mem_w_bits: 2 * 12, total_mem_w_elems: 12 });
    expect(Object.keys(eff).some((k) => k.includes('FLOAT32') && !k.startsWith('mem_o_'))).toBe(false);
    expect(eff.mem_o_FLOAT32).toBe(ref.mem_o_FLOAT32);
    expect(eff.total_mem_o_bits).toBe(ref.total_mem_o_bits);
    // the keys the reference gives the same layer with a scalar bit width
    expect(macAndWeightKeys(eff)).toEqual(macAndWeightKeys(total(quantMlp([]), false)));
  });

  it('a scaled BipolarQuant: FLOAT32 for cost, BIPOLAR with --effective-bits', () => {
    const m = bipolarMlp(0.5, 2);
    expect(total(m, false)).toMatchObject({ op_mac_FLOAT32_FLOAT32: 12, total_bops: 1024 * 12 });
    const eff = total(m, true);
    expect(eff).toMatchObject({ op_mac_BIPOLAR_BIPOLAR: 12, mem_w_BIPOLAR: 12, total_bops: 1 * 1 * 12, total_mem_w_bits: 12 });
    expect(macAndWeightKeys(eff)).toEqual(macAndWeightKeys(total(bipolarMlp(1, 1), false)));
  });

  it('changes nothing where the reference already has the bits', () => {
    for (const m of [quantMlp([]), bipolarMlp(1, 1)]) expect(costJson(inferenceCost(m, { effectiveBits: true }), true)).toBe(costJson(inferenceCost(m), true));
  });

  it('the CLI: cost prints the reference JSON, --effective-bits the same keys with the real widths', async () => {
    const m = quantMlp([1]);
    const plain = await cli(m, '--cost-breakdown');
    expect(plain).toBe(costJson(inferenceCost(m), true) + '\n');
    expect(plain).toContain('"op_mac_FLOAT32_FLOAT32": 12.0');
    const eff = await cli(m, '--cost-breakdown', '--effective-bits');
    expect(eff).toBe(costJson(inferenceCost(m, { effectiveBits: true }), true) + '\n');
    expect(eff).toContain('"op_mac_INT4_INT2": 12.0');
    expect(eff).toContain('"total_bops": 96.0');
    expect(eff).not.toContain('op_mac_FLOAT32');
  });
});
