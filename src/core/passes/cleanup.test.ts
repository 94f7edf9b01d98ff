/**
 * qonnx-cleanup on the Brevitas exports, with the structure the reference produces worked out from
 * its semantics: every step is followed by SortGraph, whose level order puts the weight quantizers
 * (initializer inputs only) first, so they are Quant_0..3 and the input quantizer is Quant_4; the
 * Shape -> Gather -> Unsqueeze -> Concat chain and the Pow fold into initializers; the Transposes after
 * the weight quantizers fold into the quantized weights; tensors are named global_in, <node>_out0,
 * <node>_param<k>. The cleaned models compute what the originals compute.
 */
import { describe, expect, it } from 'vitest';
import { indexGraph } from '../ir/graphIndex.js';
import { shapeOfType } from '../ir/tensorInfo.js';
import type { Model } from '../ir/types.js';
import { tensorShape } from '../onnx/tensorData.js';
import { opsetVersion, QONNX_DOMAIN } from '../qonnx/registry.js';
import { cleanup, setQonnxDomains } from './cleanup.js';
import { build, count, errorsOf, initF, loadModel, nd, nodeNames, reread, sameOutputs, vi } from './passTestSupport.js';
import { runTransform } from './tidy.js';

const tfcNames = (w: string, a: string) => [
  `${w}_0`, `${w}_1`, `${w}_2`, `${w}_3`,
  'Reshape_0', 'Mul_0', 'Sub_0', `${a}_${a === w ? 4 : 0}`,
  'MatMul_0', 'BatchNormalization_0', `${a}_${a === w ? 5 : 1}`,
  'MatMul_1', 'BatchNormalization_1', `${a}_${a === w ? 6 : 2}`,
  'MatMul_2', 'BatchNormalization_2', `${a}_${a === w ? 7 : 3}`,
  'MatMul_3', 'Sub_1', 'Div_0', 'Mul_1', 'Add_0',
];

const initShape = (m: Model, t: string) => tensorShape(indexGraph(m.graph!).initializer.get(t)!);
const nodeByName = (m: Model, name: string) => m.graph!.node!.find((n) => n.name === name)!;

describe('cleanup (qonnx-cleanup)', () => {
  const cases: [string, string, string][] = [
    ['zoo_TFC_2W2A.onnx', 'Quant', 'Quant'],
    ['zoo_TFC_1W2A.onnx', 'BipolarQuant', 'Quant'],
    ['zoo_TFC_1W1A.onnx', 'BipolarQuant', 'BipolarQuant'],
  ];
  for (const [file, w, a] of cases) {
    it(`${file}: reference structure and names, same outputs, idempotent`, async () => {
      const m = loadModel(file);
      const r = runTransform(cleanup, m, {});
      expect(r.modified).toBe(true);
      const c = r.model;
      expect(nodeNames(c)).toEqual(tfcNames(w, a));
      expect(c.graph!.node!.every((n) => n.name!.startsWith(`${n.opType}_`))).toBe(true);
      // quantizers kept, in the QONNX domain; nothing of the Shape chain, the Pow or the Transposes left
      for (const n of c.graph!.node!) if (/Quant/.test(n.opType!)) expect(n.domain).toBe(QONNX_DOMAIN);
      expect(opsetVersion(c, QONNX_DOMAIN)).toBe(1);
      for (const op of ['Shape', 'Gather', 'Unsqueeze', 'Concat', 'Pow', 'Transpose']) expect(count(c, op)).toBe(0);
      // readable names
      const g = c.graph!;
      expect(g.input!.map((i) => i.name)).toEqual(['global_in']);
      expect(g.output!.map((o) => o.name)).toEqual(['global_out']);
      expect(nodeByName(c, 'Reshape_0').input).toEqual(['global_in', 'Reshape_0_param0']);
      expect(nodeByName(c, 'MatMul_0').input).toEqual([`${a}_${a === w ? 4 : 0}_out0`, `${w}_0_out0`]);
      expect(nodeByName(c, 'Add_0').output).toEqual(['global_out']);
      // weights transposed into the quantizers: [in, out]
      expect([0, 1, 2, 3].map((k) => initShape(c, `${w}_${k}_param0`))).toEqual([
        [784, 64],
        [64, 64],
        [64, 64],
        [64, 10],
      ]);
      // the folded Reshape target; BN parameters stay initializers (no static graph inputs left)
      expect(initShape(c, 'Reshape_0_param0')).toEqual([2]);
      expect(nodeByName(c, 'BatchNormalization_0').input).toEqual(['MatMul_0_out0', ...[0, 1, 2, 3].map((k) => `BatchNormalization_0_param${k}`)]);
      // shapes written as value_info
      const viOf = (t: string) => shapeOfType(g.valueInfo!.find((v) => v.name === t)?.type);
      expect(viOf('Reshape_0_out0')).toEqual([1, 784]);
      expect(viOf('MatMul_0_out0')).toEqual([1, 64]);
      expect(viOf(`${w}_0_out0`)).toEqual([784, 64]);
      expect(errorsOf(reread(c))).toEqual([]);
      expect((await sameOutputs(m, c)).mismatches).toEqual([]);
      const again = runTransform(cleanup, c, {});
      expect(again.modified).toBe(false);
      expect(again.model).toBe(c);
    });
  }

  const espcn: [string, string, string[]][] = [
    [
      'qonnx_espcn_nnresize_quant.onnx',
      'Quant_4_out0',
      ['Relu_0', 'Quant_0', 'Quant_1', 'Quant_2', 'Quant_3', 'Quant_4', 'Conv_0', 'BatchNormalization_0', 'Relu_1', 'Quant_5', 'Conv_1', 'BatchNormalization_1', 'Relu_2', 'Quant_6', 'Conv_2', 'BatchNormalization_2', 'Relu_3', 'Quant_7', 'Resize_0', 'Conv_3', 'Relu_4', 'Quant_8'],
    ],
    [
      'qonnx_espcn_subpixel_quant.onnx',
      'global_in',
      ['Quant_0', 'Quant_1', 'Quant_2', 'Quant_3', 'Conv_0', 'BatchNormalization_0', 'Relu_0', 'Quant_4', 'Conv_1', 'BatchNormalization_1', 'Relu_1', 'Quant_5', 'Conv_2', 'BatchNormalization_2', 'Relu_2', 'Quant_6', 'Conv_3', 'DepthToSpace_0', 'Relu_3', 'Quant_7'],
    ],
  ];
  for (const [file, convIn, names] of espcn) {
    it(`${file}: reference structure and names, quantized output bit-exact`, async () => {
      const m = loadModel(file);
      const c = runTransform(cleanup, m, {}).model;
      expect(nodeNames(c)).toEqual(names);
      const g = c.graph!;
      expect(g.input!.map((i) => i.name)).toEqual(['global_in']);
      expect(g.node!.at(-1)!.output).toEqual(['global_out']);
      // per-channel weight scales stay with their quantizers; Conv biases stay in the Convs
      expect(initShape(c, 'Quant_0_param1')).toEqual([64, 1, 1, 1]);
      expect(nodeByName(c, 'Conv_0').input).toEqual([convIn, 'Quant_0_out0', 'Conv_0_param0']);
      expect(errorsOf(reread(c))).toEqual([]);
      expect((await sameOutputs(m, c, [1])).mismatches).toEqual([]);
      expect(runTransform(cleanup, c, {}).modified).toBe(false);
    });
  }

  it('extract_conv_bias: every biased Conv is followed by an Add, names given again', async () => {
    const m = loadModel('qonnx_espcn_subpixel_quant.onnx');
    const c = runTransform(cleanup, m, { extract_conv_bias: true }).model;
    expect(count(c, 'Conv')).toBe(4);
    expect(count(c, 'Add')).toBe(3);
    expect(nodeByName(c, 'Conv_0').input!.length).toBe(2);
    expect(nodeByName(c, 'Add_0').input).toEqual(['Conv_0_out0', 'Add_0_param0']);
    expect(initShape(c, 'Add_0_param0')).toEqual([1, 64, 1, 1]);
    expect(errorsOf(reread(c))).toEqual([]);
    expect((await sameOutputs(m, c, [1])).mismatches).toEqual([]);
  });

  it('override_inpsize: an integer sets the batch size, a list the whole input shape', () => {
    const m = loadModel('zoo_TFC_2W2A.onnx');
    const b = runTransform(cleanup, m, { override_inpsize: 4 }).model;
    expect(shapeOfType(b.graph!.input![0].type)).toEqual([4, 1, 28, 28]);
    expect(shapeOfType(b.graph!.output![0].type)).toEqual([4, 10]);
    expect(shapeOfType(b.graph!.valueInfo!.find((v) => v.name === 'Reshape_0_out0')!.type)).toEqual([4, 784]);
    const e = loadModel('qonnx_espcn_subpixel_quant.onnx');
    const s = runTransform(cleanup, e, { override_inpsize: [2, 3, 64, 64] }).model;
    expect(shapeOfType(s.graph!.input![0].type)).toEqual([2, 3, 64, 64]);
    expect(shapeOfType(s.graph!.valueInfo!.find((v) => v.name === 'Conv_0_out0')!.type)).toEqual([2, 64, 64, 64]);
    expect(() => cleanup.run(m, { override_inpsize: 'big' as never })).toThrow(/override_inpsize/);
  });

  it('preserve_qnt_ops false folds the weight quantizers (and the Transposes after them)', async () => {
    const m = loadModel('zoo_TFC_2W2A.onnx');
    const c = runTransform(cleanup, m, { preserve_qnt_ops: false }).model;
    expect(count(c, 'Quant')).toBe(4);
    expect(nodeNames(c).slice(0, 4)).toEqual(['Reshape_0', 'Mul_0', 'Sub_0', 'Quant_0']);
    expect(initShape(c, 'MatMul_0_param0')).toEqual([784, 64]);
    expect((await sameOutputs(m, c)).mismatches).toEqual([]);
  });
});

describe('setQonnxDomains', () => {
  it('moves Quant/Trunc/BipolarQuant from alias and default domains, keeps other domains, imports the domain at the old version', () => {
    const m = build({
      nodes: [
        nd('Trunc', ['x', 's', 'z', 'b', 's', 'b'], ['t'], 'trunc', [], 'onnx.brevitas'),
        nd('Quant', ['t', 's', 'z', 'b'], ['q'], 'q', [], ''),
        nd('BipolarQuant', ['q', 's'], ['y'], 'bq', [], 'finn'),
        nd('Quant', ['y', 's', 'z', 'b'], ['y2'], 'other', [], 'my.domain'),
      ],
      inits: [initF('s', [], [1]), initF('z', [], [0]), initF('b', [], [4])],
      inputs: [vi('x', [4])],
      outputs: [vi('y2', [4])],
    });
    const withBrevitas2 = { ...m, opsetImport: [...m.opsetImport!.filter((o) => o.domain !== QONNX_DOMAIN), { domain: 'onnx.brevitas', version: 2 as never }] };
    const r = setQonnxDomains.run(withBrevitas2, {});
    expect(r.model.graph!.node!.map((n) => n.domain)).toEqual([QONNX_DOMAIN, QONNX_DOMAIN, QONNX_DOMAIN, 'my.domain']);
    expect(opsetVersion(r.model, QONNX_DOMAIN)).toBe(2);
    expect(setQonnxDomains.run(r.model, {}).modified).toBe(false);
  });
});
