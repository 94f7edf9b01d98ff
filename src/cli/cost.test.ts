/**
 * `cost MODEL`: the exact text qonnx-inference-cost writes for zoo_TFC_2W2A (built by hand from the
 * golden values published by qonnx (its own tests): keys sorted, indent 2, numbers as Python floats), the options,
 * the CSV, and errors.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './main.js';
import { repoRoot } from '../core/testing/paths.js';

const ROOT = repoRoot();
const TFC = path.resolve(ROOT, 'testdata/models/zoo_TFC_2W2A.onnx');

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

/** The reference's total_cost block, written out by hand. */
function totalCost(o: { sparse: boolean; macs: string; bops: string; wBits: string }): string[] {
  return [
    '  "total_cost": {',
    `    "discount_sparsity": ${o.sparse ? 'true' : 'false'},`,
    '    "mem_o_INT32": 202.0,',
    `    "mem_w_INT2": ${o.macs},`,
    `    "op_mac_INT2_INT2": ${o.macs},`,
    `    "total_bops": ${o.bops},`,
    `    "total_macs": ${o.macs},`,
    '    "total_mem_o_bits": 6464.0,',
    '    "total_mem_o_elems": 202.0,',
    `    "total_mem_w_bits": ${o.wBits},`,
    `    "total_mem_w_elems": ${o.macs},`,
    '    "unsupported": "set()"',
    '  }',
  ];
}
const SPARSE = ['{', ...totalCost({ sparse: true, macs: '22355.0', bops: '89420.0', wBits: '44710.0' }), '}', ''].join('\n');
const DENSE = ['{', ...totalCost({ sparse: false, macs: '59008.0', bops: '236032.0', wBits: '118016.0' }), '}', ''].join('\n');

describe('cli cost', () => {
  it('prints exactly the reference JSON for TFC_2W2A (real process)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'cost', TFC], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(SPARSE);
  });

  it('--no-discount-sparsity: the dense golden values', async () => {
    const r = await cli('cost', TFC, '--no-discount-sparsity');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(DENSE);
  });

  it('--cost-breakdown adds optype_cost and node_cost (MatMul_0..MatMul_3) whose sums are the totals', async () => {
    const r = await cli('cost', TFC, '--cost-breakdown', '--no-discount-sparsity');
    expect(r.code).toBe(0);
    // the total block is unchanged, at the end (keys sorted: node_cost, optype_cost, total_cost)
    expect(r.stdout.endsWith(['', ...totalCost({ sparse: false, macs: '59008.0', bops: '236032.0', wBits: '118016.0' }), '}', ''].join('\n'))).toBe(true);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['node_cost', 'optype_cost', 'total_cost']);
    expect(Object.keys(doc.node_cost)).toEqual(['MatMul_0', 'MatMul_1', 'MatMul_2', 'MatMul_3']);
    // dense: 784*64, 64*64, 64*64, 64*10 MACs; 64, 64, 64, 10 outputs
    expect(Object.values(doc.node_cost).map((c) => (c as Record<string, number>).total_macs)).toEqual([50176, 4096, 4096, 640]);
    expect(doc.node_cost.MatMul_3).toEqual({
      mem_o_INT32: 10,
      mem_w_INT2: 640,
      op_mac_INT2_INT2: 640,
      total_bops: 2560,
      total_macs: 640,
      total_mem_o_bits: 320,
      total_mem_o_elems: 10,
      total_mem_w_bits: 1280,
      total_mem_w_elems: 640,
    });
    for (const k of ['total_macs', 'total_bops', 'total_mem_w_bits', 'total_mem_o_bits', 'op_mac_INT2_INT2', 'mem_w_INT2', 'mem_o_INT32']) {
      const sum = Object.values(doc.node_cost).reduce((s: number, c) => s + (c as Record<string, number>)[k], 0);
      expect(sum, k).toBe(doc.total_cost[k]);
      expect(doc.optype_cost.MatMul[k], k).toBe(doc.total_cost[k]);
    }
    expect(doc.optype_cost.MatMul).not.toHaveProperty('unsupported');
    // floats in the text, as Python writes them
    expect(r.stdout).toContain('"total_macs": 50176.0');
  });

  it('--cost-breakdown with sparsity: per-layer sums are the sparse totals', async () => {
    const doc = JSON.parse((await cli('cost', TFC, '--cost-breakdown')).stdout);
    const macs = Object.values(doc.node_cost).map((c) => (c as Record<string, number>).total_macs);
    expect(macs.reduce((a, b) => a + b, 0)).toBe(22355);
    expect(doc.total_cost.total_bops).toBe(89420);
  });

  it('--csv: a header and one row per MatMul', async () => {
    const r = await cli('cost', TFC, '--csv');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    const head = lines[0].split(',');
    expect(head.slice(0, 7)).toEqual(['node', 'op_type', 'input_datatype', 'weight_datatype', 'output_datatype', 'macs', 'bops']);
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v])));
    expect(rows.map((x) => x.node)).toEqual(['MatMul_0', 'MatMul_1', 'MatMul_2', 'MatMul_3']);
    for (const x of rows) expect([x.op_type, x.input_datatype, x.weight_datatype, x.output_datatype]).toEqual(['MatMul', 'INT2', 'INT2', 'INT32']);
    expect(rows.reduce((s, x) => s + Number(x.macs), 0)).toBe(22355);
    expect(rows.reduce((s, x) => s + Number(x.bops), 0)).toBe(89420);
    expect(rows.map((x) => Number(x.mem_o_bits))).toEqual([64 * 32, 64 * 32, 64 * 32, 10 * 32]);
    // weight_density = macs / dense MACs; BOPs with accumulator m*n*(density*2*2 + 2 + 2 + log2 n):
    // MatMul_1 has m = 64 outputs, n = 64, density 3032/4096: 4096 * (2.9609375 + 4 + 6) = 53088
    expect(Number(rows[1].macs)).toBe(3032);
    expect(Number(rows[1].weight_density)).toBe(3032 / 4096);
    expect(Number(rows[1].bops_with_accumulator)).toBe(53088);
  });

  it('--no-preprocess on TFC: the weights stay behind their quantizers and nothing is annotated, so all FLOAT32 and no weight memory', async () => {
    const doc = JSON.parse((await cli('cost', TFC, '--no-preprocess')).stdout);
    expect(doc.total_cost.op_mac_FLOAT32_FLOAT32).toBe(59008);
    expect(doc.total_cost.mem_w_FLOAT32).toBe(0);
    expect(doc.total_cost.total_bops).toBe(59008 * 1024);
    // Shape -> Gather -> Unsqueeze (the flatten) and Pow are not folded without preprocessing
    expect(doc.total_cost.unsupported).toBe("{'Gather', 'Pow', 'Shape', 'Unsqueeze'}");
  });

  it('a partial result: stdout stays the reference JSON (no added keys), stderr names the layers left out', async () => {
    const r = await cli('cost', path.resolve(ROOT, 'testdata/models/finn_cybsec_PE_SIMD.onnx'));
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['total_cost']);
    // nothing costed: the reference's totals, all zero, and its unsupported set
    expect(doc.total_cost).toEqual({ discount_sparsity: true, total_bops: 0, total_macs: 0, total_mem_o_bits: 0, total_mem_o_elems: 0, total_mem_w_bits: 0, total_mem_w_elems: 0, unsupported: "{'MVAU_hls'}" });
    // the file's four MVAU_hls nodes have no names: each is named by its position
    expect(r.stderr.split('\n')).toEqual([
      'note: partial: 4 of 4 layers not costed (the totals leave them out):',
      ...[0, 1, 2, 3].map((k) => `  node #${k} (MVAU_hls): qonnx-inference-cost has no cost model for MVAU_hls`),
      '',
    ]);
  });

  it('errors: missing file, missing argument, unknown option', async () => {
    const missing = await cli('cost', path.join(ROOT, 'no-such-model.onnx'));
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/no-such-model\.onnx/);
    expect((await cli('cost')).code).toBe(2);
    const bad = await cli('cost', TFC, '--bogus');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--bogus/);
  });
});
