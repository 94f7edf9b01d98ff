/**
 * Channels-last models get a cost (issue 13, point 2): a real model with Convs and its channels-last
 * twin made by the project's convert-to-channels-last pass (Conv / MaxPool in
 * qonnx.custom_op.channels_last, NHWC tensors, weights [OC, KH, KW, C]) give the same per-layer MACs,
 * BOPs, weight and output memory and the same reference keys; the channels-last Convs are marked as
 * layers qonnx-inference-cost cannot cost, and the CLI names them on stderr while printing the JSON.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import type { Model } from '../ir/types.js';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { convertToChannelsLast } from '../passes/convertToChannelsLast.js';
import { CHANNELS_LAST_DOMAIN } from '../qonnx/registry.js';
import { TEST_MODELS as MODELS } from '../testing/paths.js';
import { costJson, inferenceCost, type NodeCost } from './inferenceCost.js';

const load = (f: string): Model => decodeModel(new Uint8Array(fs.readFileSync(path.join(MODELS, f))));
const row = (c: NodeCost) => ({ opType: c.opType, macs: c.macs, bops: c.bops, memWElems: c.memWElems, memWBits: c.memWBits, memOElems: c.memOElems, memOBits: c.memOBits, raw: c.raw });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-cl-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.each(['qonnx_mnist_conv_float.onnx', 'qonnx_espcn_subpixel_quant.onnx'])('%s and its channels-last twin', (file) => {
  const nchw = load(file);
  const nhwc = convertToChannelsLast.run(nchw, {}).model;
  const clConvs = (nhwc.graph?.node ?? []).filter((n) => n.opType === 'Conv' && n.domain === CHANNELS_LAST_DOMAIN).length;

  it('the twin has channels-last Convs (and the reference rule fails on them: axis 1 is not the channels)', () => {
    expect(clConvs).toBe((nchw.graph?.node ?? []).filter((n) => n.opType === 'Conv').length);
    expect(clConvs).toBeGreaterThan(0);
  });

  it('same per-layer MACs, BOPs and memory, same totals', () => {
    const a = inferenceCost(nchw);
    const b = inferenceCost(nhwc);
    expect(b.errors).toEqual([]);
    expect(b.nodes.map(row)).toEqual(a.nodes.map(row));
    const totals = (r: typeof a) => Object.fromEntries(Object.entries(r.total_cost).filter(([k]) => k.startsWith('total_') || k.startsWith('op_mac') || k.startsWith('mem_')));
    expect(totals(b)).toEqual(totals(a));
    expect(totals(b).total_macs).toBeGreaterThan(0);
  });

  it('marks the channels-last Convs as layers the reference cannot cost, and nothing in the original', () => {
    expect(inferenceCost(nchw).nodes.filter((c) => c.referenceFails)).toEqual([]);
    const marked = inferenceCost(nhwc).nodes.filter((c) => c.referenceFails);
    expect(marked.length).toBe(clConvs);
    expect(marked.every((c) => c.opType === 'Conv')).toBe(true);
  });

  it('the CLI prints the JSON and names those layers on stderr', async () => {
    const f = path.join(tmp, file);
    fs.writeFileSync(f, encodeModel(nhwc));
    let stdout = '';
    let stderr = '';
    expect(await run(['cost', f], { out: (s) => (stdout += s), err: (s) => (stderr += s) })).toBe(0);
    expect(stdout).toBe(costJson(inferenceCost(nhwc), false) + '\n');
    expect(stderr).toContain(`qonnx-inference-cost cannot cost ${clConvs} layer`);
    for (const c of inferenceCost(nhwc).nodes.filter((x) => x.referenceFails)) expect(stderr).toContain(`  ${c.name}: qonnx-inference-cost cannot cost a channels-last Conv`);
  });
});
