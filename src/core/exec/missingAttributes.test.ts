/**
 * Custom-op attributes left out (issue 13, point 3), on real models: a FINN MultiThreshold without
 * out_dtype (which only names the output datatype) and without a name still runs, with the same
 * outputs as the untouched model, and Problems warns; an attribute the computation needs (a
 * channels-last MaxPool's kernel_shape) stops the run with a message naming the node by index and op
 * type, the attribute and what to set, and Problems shows the same as an error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { analyzeModel } from '../analysis/modelAnalysis.js';
import { validateModel } from '../ir/validate.js';
import type { Model, Node } from '../ir/types.js';
import { decodeModel } from '../onnx/codec.js';
import { convertToChannelsLast } from '../passes/convertToChannelsLast.js';
import { TEST_MODELS as MODELS } from '../testing/paths.js';
import { Engine, ExecError, type OrtApi } from './engine.js';
import { randomInput } from './inputs.js';
import type { RuntimeTensor } from './runtimeTensor.js';

ort.env.wasm.numThreads = 1;
const ORT = ort as unknown as OrtApi;
const load = (f: string): Model => decodeModel(new Uint8Array(fs.readFileSync(path.join(MODELS, f))));

/** the model with `edit` applied to every node `pick` selects */
function editNodes(m: Model, pick: (n: Node) => boolean, edit: (n: Node) => Node): Model {
  const g = m.graph!;
  return { ...m, graph: { ...g, node: (g.node ?? []).map((n) => (pick(n) ? edit(n) : n)) } };
}

function feedsFor(m: Model, seed: number): Map<string, RuntimeTensor> {
  const a = analyzeModel(m);
  const inits = new Set((m.graph?.initializer ?? []).map((t) => t.name));
  const feeds = new Map<string, RuntimeTensor>();
  for (const i of m.graph?.input ?? []) {
    if (inits.has(i.name)) continue;
    const dims = (i.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 1));
    feeds.set(i.name!, randomInput(dims, i.type?.tensorType?.elemType ?? 1, a.datatypeOf(i.name!), seed));
  }
  return feeds;
}

describe('a FINN MultiThreshold without out_dtype and without a name', () => {
  const original = load('finn_build_dataflow_model.onnx');
  const isMT = (n: Node) => n.opType === 'MultiThreshold';
  const stripped = editNodes(original, isMT, (n) => ({ ...n, name: '', attribute: (n.attribute ?? []).filter((a) => a.name !== 'out_dtype') }));
  const mtIndices = (original.graph!.node ?? []).flatMap((n, i) => (isMT(n) ? [i] : []));

  it('has MultiThresholds with out_dtype and names to strip', () => {
    expect(mtIndices.length).toBe(4);
    for (const i of mtIndices) {
      const n = original.graph!.node![i];
      expect(n.name).toBeTruthy();
      expect((n.attribute ?? []).some((a) => a.name === 'out_dtype')).toBe(true);
    }
  });

  it('runs in the engine with the same outputs as the original', async () => {
    for (const seed of [1, 2, 3]) {
      const feeds = feedsFor(original, seed);
      const a = await new Engine(original, ORT).run(feeds);
      const b = await new Engine(stripped, ORT).run(feeds);
      expect(b.outputNames).toEqual(a.outputNames);
      for (const o of a.outputNames) expect(Array.from(b.tensors.get(o)!.data as ArrayLike<number>)).toEqual(Array.from(a.tensors.get(o)!.data as ArrayLike<number>));
    }
  });

  it('Problems warns, naming each node by index and op type', () => {
    expect(validateModel(original).filter((p) => p.code === 'missing-attribute')).toEqual([]);
    const warnings = validateModel(stripped).filter((p) => p.code === 'missing-attribute');
    expect(warnings.map((p) => [p.severity, p.node, p.message])).toEqual(
      mtIndices.map((i) => ['warning', i, `Node #${i} (MultiThreshold): out_dtype missing: output datatype unknown`]),
    );
  });

  it('the analysis still types the rest of the model (the thresholded tensors become FLOAT32)', () => {
    const types = analyzeModel(stripped).datatypes.types;
    const out = original.graph!.node![mtIndices[0]].output![0];
    expect(analyzeModel(original).datatypes.types.get(out)?.name).not.toBe('FLOAT32');
    expect(types.get(out)?.name).toBe('FLOAT32');
    expect(types.size).toBeGreaterThan(0);
  });
});

describe('an attribute the computation needs', () => {
  // qonnx_mnist_conv_float in channels-last form: its MaxPools become qonnx.custom_op.channels_last ops
  const cl = convertToChannelsLast.run(load('qonnx_mnist_conv_float.onnx'), {}).model;
  const isPool = (n: Node) => n.opType === 'MaxPool' && n.domain === 'qonnx.custom_op.channels_last';
  const k = (cl.graph!.node ?? []).findIndex(isPool);
  let seen = 0;
  const broken = editNodes(cl, (n) => isPool(n) && seen++ === 0, (n) => ({ ...n, name: '', attribute: (n.attribute ?? []).filter((a) => a.name !== 'kernel_shape') }));

  it('the channels-last model runs as it is', async () => {
    expect(k).toBeGreaterThanOrEqual(0);
    const r = await new Engine(cl, ORT).run(feedsFor(cl, 1));
    expect(r.tensors.size).toBe(r.outputNames.length);
  });

  it('stops the run with node #k (Op), the attribute and what to set', async () => {
    const err = await new Engine(broken, ORT).run(feedsFor(broken, 1)).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ExecError);
    const msg = (err as ExecError).message;
    expect(msg).toContain(`node #${k} (MaxPool)`);
    expect(msg).toContain("required attribute 'kernel_shape' is missing: set kernel_shape to a list of integers (Window size per spatial axis)");
  });

  it('Problems shows it as an error at that node', () => {
    const p = validateModel(broken).filter((q) => q.code === 'missing-attribute');
    expect(p).toEqual([
      expect.objectContaining({ severity: 'error', node: k, message: expect.stringContaining(`Node #${k} (MaxPool): required attribute 'kernel_shape' is missing: set kernel_shape`) }),
    ]);
  });
});
