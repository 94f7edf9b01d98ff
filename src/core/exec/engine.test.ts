/**
 * The execution engine on the real models of testdata/models.
 *
 * 1. The Brevitas FP8 export reproduces Brevitas' own output exactly.
 * 2. Every model without FINN hardware ops runs; the hardware ones fail with an ExecError naming op,
 *    domain and node. Each runnable model, on seeded random inputs, is checked against
 *    (a) onnxruntime on an all-standard-op twin of the model built here (Quant, BipolarQuant and
 *        MultiThreshold rewritten into Div/Add/Max/Min/Round/Sub/Mul, Less/Cast, Reshape/MatMul...),
 *    (b) the QONNX kernel run directly on the engine's own inputs of every QONNX node.
 * 3. ESPCN: SQNR of the quantized model against its float twin and against the separately trained
 *    float model.
 *
 * The reference twin is built from the ONNX spec and QONNX.md, not from the engine: the engine folds
 * weight quantizers with the kernels and cuts the graph into sessions, the twin computes everything
 * (weight quantizers included) at run time in one onnxruntime session.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeModel } from '../analysis/modelAnalysis.js';
import { readNpy } from '../io/npyRead.js';
import { int64From, int64ToNumber, type Attribute, type Model, type Node, type Tensor } from '../ir/types.js';
import { decodeModel, encodeModel } from '../onnx/codec.js';
import { tensorValues, toNumbers } from '../onnx/tensorData.js';
import type { AttrValue, F32Tensor } from '../qonnx/opTypes.js';
import { BipolarQuantOp } from '../qonnx/ops/bipolarQuant.js';
import { FloatQuantOp } from '../qonnx/ops/floatQuant.js';
import { MultiThresholdOp } from '../qonnx/ops/multiThreshold.js';
import { QuantOp } from '../qonnx/ops/quant.js';
import { Engine, ExecError, type OrtApi } from './engine.js';
import { randomInput } from './inputs.js';
import { RunStore } from './runs.js';
import type { RuntimeTensor } from './runtimeTensor.js';
import { TEST_MODELS as MODELS } from '../testing/paths.js';

ort.env.wasm.numThreads = 1;
const ORT = ort as unknown as OrtApi;

const readBytes = (f: string) => new Uint8Array(fs.readFileSync(path.join(MODELS, f)));
const load = (f: string) => decodeModel(readBytes(f), { fileName: f });
const f32 = Math.fround;

/** The models that hold FINN hardware (fpgadataflow) layers: they cannot run. */
const HARDWARE: Record<string, { op: string; domain: string; node: string }> = {
  'finn_cybsec_PE_SIMD.onnx': { op: 'MVAU_hls', domain: 'finn.custom_op.fpgadataflow.hls', node: '#0' },
  'finn_residual_testcase.onnx': { op: 'DuplicateStreams_Batch', domain: 'finn.custom_op.fpgadataflow', node: 'DuplicateStreams_Batch_0' },
  'finn_step_set_fifo_depths.onnx': { op: 'StreamingFIFO_rtl', domain: 'finn.custom_op.fpgadataflow.rtl', node: 'StreamingFIFO_rtl_0' },
  // an older FINN export: its hardware layer sits in the legacy 'finn' domain
  'finn_tfc_w1a1_after_conv_to_hls.onnx': { op: 'StreamingFCLayer_Batch', domain: 'finn', node: '#2' },
  'finnplus_metafi_step_specialize_layers.onnx': { op: 'FMPadding_rtl', domain: 'finn.custom_op.fpgadataflow.rtl', node: '#0' },
};

/**
 * Every other model of testdata/models, with what the reference comparison (a) does with it.
 * skipRef: FloatQuant has no standard-op equivalent here (it is covered by test 1 and by (b)).
 */
const RUNNABLE: Record<string, { skipRef?: string }> = {
  'finn_build_dataflow_model.onnx': {},
  'finnplus_metafi_step_qonnx_to_finn.onnx': {},
  'qonnx_act_weight_fp8.onnx': { skipRef: 'FloatQuant (exact against Brevitas in test 1)' },
  'qonnx_eltwise_chanlast_testcase.onnx': {},
  'qonnx_espcn_nnresize_float.onnx': {},
  'qonnx_espcn_nnresize_quant.onnx': {},
  'qonnx_espcn_subpixel_float.onnx': {},
  'qonnx_espcn_subpixel_quant.onnx': {},
  'qonnx_hist_keras_dense_conversion_float.onnx': {},
  'qonnx_hist_qkeras_qactivation_16.onnx': {},
  'qonnx_mnist_conv_float.onnx': {},
  'qonnx_residual_block_clean.onnx': {},
  'qonnx_sdp.onnx': {},
  'zoo_TFC_1W1A.onnx': {},
  'zoo_TFC_1W2A.onnx': {},
  'zoo_TFC_2W2A.onnx': {},
};

// ---------------------------------------------------------------------------------------------
// Small helpers, written for this test (not the project's): attributes, initializers, QONNX nodes.

function attrs(n: Node): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const a of n.attribute ?? []) {
    if (a.type === 1) out[a.name!] = a.f ?? 0;
    else if (a.type === 2) out[a.name!] = int64ToNumber(a.i);
    else if (a.type === 3) out[a.name!] = new TextDecoder().decode(a.s ?? new Uint8Array());
    else if (a.type === 6) out[a.name!] = [...(a.floats ?? [])];
    else if (a.type === 7) out[a.name!] = (a.ints ?? []).map((v) => int64ToNumber(v));
  }
  return out;
}

const QONNX_DOMAINS = new Set(['qonnx.custom_op.general', 'onnx.brevitas', 'finn.custom_op.general', 'finn']);
const QONNX_OPS = new Set(['Quant', 'IntQuant', 'BipolarQuant', 'Trunc', 'FloatQuant', 'MultiThreshold']);
const isQonnx = (n: Node) => QONNX_DOMAINS.has(n.domain ?? '') || ((n.domain ?? '') === '' && QONNX_OPS.has(n.opType ?? ''));

function initializers(m: Model): Map<string, F32Tensor> {
  const out = new Map<string, F32Tensor>();
  for (const t of m.graph?.initializer ?? []) {
    const v = tensorValues(t);
    out.set(t.name!, { shape: v.shape, data: Float32Array.from(toNumbers(v)) });
  }
  return out;
}

function defaultOpset(m: Model): number {
  const o = (m.opsetImport ?? []).find((x) => !x.domain || x.domain === 'ai.onnx');
  return o ? int64ToNumber(o.version) : 1;
}

const nums = (t: RuntimeTensor): ArrayLike<number> => (t.data instanceof Float32Array ? t.data : Float64Array.from(t.data as ArrayLike<number | bigint>, Number));
const floats = (t: RuntimeTensor): Float32Array => (t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number));

// ---------------------------------------------------------------------------------------------
// The all-standard-op twin.

const fTensor = (name: string, dims: number[], values: ArrayLike<number>): Tensor => ({
  name,
  dims: dims.map((d) => int64From(d)),
  dataType: 1,
  rawData: new Uint8Array(Float32Array.from(values).buffer),
});
const i64Tensor = (name: string, values: number[]): Tensor => ({
  name,
  dims: [int64From(values.length)],
  dataType: 7,
  rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
});
const intAttr = (name: string, v: number): Attribute => ({ name, type: 2, i: int64From(v) });
const std = (opType: string, input: string[], output: string[], attribute: Attribute[] = []): Node => ({ opType, domain: '', input, output, attribute, name: output[0] });

/** Why a model's twin cannot be built (ops without a standard-op rewrite here). */
class SkipRef extends Error {}

/**
 * The model with every Quant, BipolarQuant and MultiThreshold replaced by standard ONNX ops, and
 * every tensor a graph output. `shapes` gives the run-time shape of MultiThreshold inputs.
 *
 * Quant:        y = x / s + z; y = Min(Max(y, qmin), qmax); y = round_half_even(y); out = (y - z) * s
 *               (bit width 1 and signed: y = 1 - 2 * Cast(y < 0))
 * BipolarQuant: out = (1 - 2 * Cast(x < 0)) * s       (x >= 0, zero included, gives +1)
 * MultiThreshold: count = Reshape(v, [..., 1]) >= T (T: thresholds shaped to broadcast on the channel
 *               axis), summed over the threshold axis with a MatMul by ones; out = count * scale + bias
 * round_half_even is ONNX Round (opset >= 11). Models of an older opset (Round does not exist there,
 * and bumping their opset would change Unsqueeze/Clip/... semantics) use the exact construction
 *   f = Floor(y); d = y - f; r = f + [d > 0.5] + [d == 0.5] * (f - 2 * Floor(f / 2))
 * (all steps exact in float32 for |y| < 2^23), checked against Round below.
 */
function standardOpTwin(model: Model, shapes: Map<string, number[]>): Model {
  const g = model.graph!;
  const inits = initializers(model);
  const initTypes = new Map((g.initializer ?? []).map((t) => [t.name!, t.dataType ?? 1]));
  const opset = defaultOpset(model);
  const nodes: Node[] = [];
  const extra: Tensor[] = [];
  let k = 0;
  const konst = (values: number[], dims: number[] = []): string => {
    const name = `__ref_c${k++}`;
    extra.push(fTensor(name, dims, values));
    return name;
  };
  const tmp = (p: string, s: string) => `${p}__${s}`;
  const roundHalfEven = (p: string, y: string, out: string) => {
    if (opset >= 11) {
      nodes.push(std('Round', [y], [out]));
      return;
    }
    const half = konst([0.5]), two = konst([2]);
    nodes.push(
      std('Floor', [y], [tmp(p, 'f')]),
      std('Sub', [y, tmp(p, 'f')], [tmp(p, 'd')]),
      std('Greater', [tmp(p, 'd'), half], [tmp(p, 'gtb')]),
      std('Less', [tmp(p, 'd'), half], [tmp(p, 'ltb')]),
      std('Or', [tmp(p, 'gtb'), tmp(p, 'ltb')], [tmp(p, 'neb')]),
      std('Not', [tmp(p, 'neb')], [tmp(p, 'eqb')]),
      std('Cast', [tmp(p, 'gtb')], [tmp(p, 'gt')], [intAttr('to', 1)]),
      std('Cast', [tmp(p, 'eqb')], [tmp(p, 'eq')], [intAttr('to', 1)]),
      std('Div', [tmp(p, 'f'), two], [tmp(p, 'fh')]),
      std('Floor', [tmp(p, 'fh')], [tmp(p, 'fhf')]),
      std('Mul', [tmp(p, 'fhf'), two], [tmp(p, 'even')]),
      std('Sub', [tmp(p, 'f'), tmp(p, 'even')], [tmp(p, 'odd')]),
      std('Mul', [tmp(p, 'eq'), tmp(p, 'odd')], [tmp(p, 'tie')]),
      std('Add', [tmp(p, 'f'), tmp(p, 'gt')], [tmp(p, 'r1')]),
      std('Add', [tmp(p, 'r1'), tmp(p, 'tie')], [out]),
    );
  };
  /** 1 - 2 * Cast(y < 0): +1 for y >= 0 (zero included), -1 below */
  const signOf = (p: string, y: string, out: string) => {
    nodes.push(
      std('Less', [y, konst([0])], [tmp(p, 'negb')]),
      std('Cast', [tmp(p, 'negb')], [tmp(p, 'neg')], [intAttr('to', 1)]),
      std('Mul', [tmp(p, 'neg'), konst([2])], [tmp(p, 'neg2')]),
      std('Sub', [konst([1]), tmp(p, 'neg2')], [out]),
    );
  };
  g.node!.forEach((n, i) => {
    const p = `__ref${i}`;
    const a = attrs(n);
    const op = n.opType ?? '';
    if (!isQonnx(n)) {
      nodes.push(n);
      return;
    }
    // quantizer parameters stored as integers (e.g. int64 in QKeras exports): a float32 copy
    const asFloat = (t: string): string => {
      if ((initTypes.get(t) ?? 1) === 1) return t;
      const name = `${p}__${t}__f32`;
      const v = inits.get(t)!;
      extra.push(fTensor(name, v.shape, v.data));
      return name;
    };
    const [x0, s0, z0, b] = n.input ?? [];
    const [x, s, z] = [x0, s0 && asFloat(s0), z0 && asFloat(z0)];
    const out = n.output![0];
    if (op === 'Quant' || op === 'IntQuant') {
      if ((a.rounding_mode ?? 'ROUND').toString().toUpperCase() !== 'ROUND') throw new SkipRef(`Quant rounding mode ${a.rounding_mode}`);
      const bits = inits.get(b)?.data;
      if (!bits || bits.length !== 1) throw new SkipRef('Quant with a computed or per-element bit width');
      const signed = Number(a.signed ?? 1) !== 0;
      const narrow = Number(a.narrow ?? 1) !== 0; // QONNX code default (QONNX.md)
      const w = bits[0];
      nodes.push(std('Div', [x, s], [tmp(p, 'div')]), std('Add', [tmp(p, 'div'), z], [tmp(p, 'y')]));
      if (w === 1 && signed) signOf(p, tmp(p, 'y'), tmp(p, 'r'));
      else {
        const lo = signed ? -(2 ** (w - 1)) + (narrow ? 1 : 0) : 0;
        const hi = signed ? 2 ** (w - 1) - 1 : 2 ** w - 1 - (narrow ? 1 : 0);
        nodes.push(std('Max', [tmp(p, 'y'), konst([lo])], [tmp(p, 'lo')]), std('Min', [tmp(p, 'lo'), konst([hi])], [tmp(p, 'hi')]));
        roundHalfEven(p, tmp(p, 'hi'), tmp(p, 'r'));
      }
      nodes.push(std('Sub', [tmp(p, 'r'), z], [tmp(p, 'q')]), std('Mul', [tmp(p, 'q'), s], [out]));
    } else if (op === 'BipolarQuant') {
      signOf(p, x, tmp(p, 'sign'));
      nodes.push(std('Mul', [tmp(p, 'sign'), s], [out]));
    } else if (op === 'MultiThreshold') {
      const thr = inits.get(n.input![1]);
      const vs = shapes.get(x);
      if (!thr || !vs) throw new SkipRef('MultiThreshold with computed thresholds');
      const [tc, B] = thr.shape;
      const layout = String(a.data_layout ?? 'NCHW');
      const tShape = layout.endsWith('C') ? [tc, B] : [tc, ...vs.slice(2).map(() => 1), B];
      const T = `${p}__T`;
      extra.push(fTensor(T, tShape, thr.data));
      const v1 = `${p}__v1shape`, vsh = `${p}__vshape`;
      extra.push(i64Tensor(v1, [...vs, 1]), i64Tensor(vsh, vs));
      nodes.push(
        std('Reshape', [x, v1], [tmp(p, 'v')]),
        std('Less', [tmp(p, 'v'), T], [tmp(p, 'ltb')]),
        std('Not', [tmp(p, 'ltb')], [tmp(p, 'geb')]),
        std('Cast', [tmp(p, 'geb')], [tmp(p, 'ge')], [intAttr('to', 1)]),
        std('MatMul', [tmp(p, 'ge'), konst(new Array(B).fill(1), [B, 1])], [tmp(p, 'cnt1')]),
        std('Reshape', [tmp(p, 'cnt1'), vsh], [tmp(p, 'cnt')]),
        std('Mul', [tmp(p, 'cnt'), konst([Number(a.out_scale ?? 1)])], [tmp(p, 'sc')]),
        std('Add', [tmp(p, 'sc'), konst([Number(a.out_bias ?? 0)])], [out]),
      );
    } else throw new SkipRef(`${op} has no standard-op rewrite here`);
  });
  const outputs = new Set<string>();
  for (const n of g.node ?? []) for (const o of n.output ?? []) if (o) outputs.add(o);
  for (const o of g.output ?? []) outputs.add(o.name!);
  return {
    irVersion: model.irVersion,
    opsetImport: (model.opsetImport ?? []).filter((o) => !o.domain || o.domain === 'ai.onnx'),
    producerName: 'engine.test reference twin',
    graph: {
      name: 'reference',
      node: nodes,
      initializer: [...(g.initializer ?? []), ...extra],
      input: g.input,
      output: [...outputs].map((name) => ({ name })),
    },
  };
}

async function runOrt(model: Model, feeds: Map<string, RuntimeTensor>): Promise<Map<string, RuntimeTensor>> {
  const s = await ort.InferenceSession.create(encodeModel(model), { graphOptimizationLevel: 'disabled' });
  const f: Record<string, ort.Tensor> = {};
  const types: Record<number, ort.Tensor.Type> = { 1: 'float32', 7: 'int64', 6: 'int32', 2: 'uint8', 3: 'int8', 9: 'bool' };
  for (const [k, v] of feeds) f[k] = new ort.Tensor(types[v.dataType], v.data as Float32Array, v.shape);
  const r = await s.run(f);
  await s.release();
  const out = new Map<string, RuntimeTensor>();
  const back: Record<string, number> = { float32: 1, int64: 7, int32: 6, uint8: 2, int8: 3, bool: 9 };
  for (const [k, t] of Object.entries(r)) out.set(k, { dataType: back[t.type] ?? 0, shape: [...t.dims], data: t.data as Float32Array });
  return out;
}

/** Seeded random values for every graph input (shape as declared, symbolic dims taken as 1). */
function randomFeeds(model: Model, seed: number): Map<string, RuntimeTensor> {
  const g = model.graph!;
  const initNames = new Set((g.initializer ?? []).map((t) => t.name));
  const a = analyzeModel(model);
  const feeds = new Map<string, RuntimeTensor>();
  for (const i of g.input ?? []) {
    if (initNames.has(i.name)) continue;
    const dims = (i.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue != null && int64ToNumber(d.dimValue) > 0 ? int64ToNumber(d.dimValue) : 1));
    feeds.set(i.name!, randomInput(dims, i.type?.tensorType?.elemType ?? 1, a.datatypeOf(i.name!), seed));
  }
  return feeds;
}

/** Tensors that come out of a quantizer (or a MultiThreshold): their values must agree exactly. */
function quantizedTensors(model: Model): Set<string> {
  const out = new Set<string>();
  for (const n of model.graph?.node ?? []) if (isQonnx(n) && ['Quant', 'IntQuant', 'BipolarQuant', 'MultiThreshold'].includes(n.opType ?? '')) out.add(n.output![0]);
  return out;
}

// ---------------------------------------------------------------------------------------------

const engines: Engine[] = [];
afterAll(async () => {
  for (const e of engines) await e.release();
});
const engineFor = (m: Model, bypass = false) => {
  const e = new Engine(m, ORT, { bypassQuantizers: bypass });
  engines.push(e);
  return e;
};

describe('1. FP8 model (Brevitas FloatQuant export) through the Engine', () => {
  it('reproduces Brevitas\' output.npy exactly', async () => {
    const model = load('qonnx_act_weight_fp8.onnx');
    const x = readNpy(readBytes('qonnx_act_weight_fp8.input.npy'));
    const want = readNpy(readBytes('qonnx_act_weight_fp8.output.npy'));
    const e = engineFor(model);
    const inputName = model.graph!.input![0].name!;
    const r = await e.run(new Map([[inputName, { dataType: 1, shape: x.shape, data: x.data as Float32Array }]]));
    expect(r.outputNames).toEqual([model.graph!.output![0].name]);
    const y = r.tensors.get(r.outputNames[0])!;
    expect(y.shape).toEqual(want.shape);
    // Exact: the two FloatQuant kernels are float32-exact and onnxruntime's Gemm on these 3-term dot
    // products rounds like Brevitas' (PyTorch) float32 Gemm. Max |error| is 0.
    expect(Array.from(floats(y))).toEqual(Array.from(want.data as Float32Array));
    // The weight FloatQuant was folded at prepare time; the input FloatQuant runs as a kernel step.
    expect(e.stats()).toEqual({ sessions: 1, kernelSteps: 1, lowered: 0 }); // FloatQuant is never rewritten
  });
});

describe('2. which models run', () => {
  it('the list of models is complete (every .onnx in testdata/models is classified)', () => {
    const all = fs.readdirSync(MODELS).filter((f) => f.endsWith('.onnx')).sort();
    expect(all).toEqual([...Object.keys(HARDWARE), ...Object.keys(RUNNABLE)].sort());
  });

  for (const [file, want] of Object.entries(HARDWARE)) {
    it(`${file}: ExecError naming ${want.op}, ${want.domain} and node ${want.node}`, async () => {
      const e = engineFor(load(file));
      const err = await e.prepare().then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(err).toBeInstanceOf(ExecError);
      const msg = (err as Error).message;
      expect(msg).toContain(want.op);
      expect(msg).toContain(`(${want.domain})`);
      // an unnamed node is named by its index in the model as given and its op type
      expect(msg).toContain(want.node.startsWith('#') ? `node ${want.node} (${want.op})` : `node '${want.node}'`);
      if (want.domain.startsWith('finn.custom_op.fpgadataflow')) expect(msg).toMatch(/FINN hardware op/);
    });
  }
});

describe('2a/2b. every runnable model against an all-standard-op onnxruntime twin and against the kernels', () => {
  /** Largest relative difference over float tensors, per model (reported in the final check). */
  const report: string[] = [];
  afterAll(() => {
    // eslint-disable-next-line no-console
    if (process.env.ENGINE_TEST_REPORT) console.log(report.join('\n'));
  });

  for (const [file, info] of Object.entries(RUNNABLE)) {
    it(file, async () => {
      const model = load(file);
      const feeds = randomFeeds(model, 7);
      const e = engineFor(model);
      const r = await e.run(feeds, { keepAll: true });
      for (const o of model.graph!.output!) expect(r.tensors.has(o.name!), o.name!).toBe(true);

      // (b) node by node: the kernel on the engine's own input tensors gives the engine's output
      // exactly. The original model's QONNX nodes include the weight quantizers the engine folded at
      // prepare time: their folded initializers must be the kernel's output too.
      const kernels: Record<string, { execute: (i: F32Tensor[], a: Record<string, AttrValue>) => F32Tensor[] }> = {
        Quant: QuantOp,
        IntQuant: QuantOp,
        BipolarQuant: BipolarQuantOp,
        FloatQuant: FloatQuantOp,
        MultiThreshold: MultiThresholdOp,
      };
      let checked = 0;
      for (const n of model.graph!.node!) {
        if (!isQonnx(n)) continue;
        const kernel = kernels[n.opType!];
        expect(kernel, `kernel for ${n.opType}`).toBeDefined();
        const ins = n.input!.map((t) => {
          const v = r.tensors.get(t);
          expect(v, `input ${t} of ${n.name}`).toBeDefined();
          return { shape: v!.shape, data: floats(v!) };
        });
        const [want] = kernel.execute(ins, attrs(n));
        const got = r.tensors.get(n.output![0])!;
        expect(got.shape, n.output![0]).toEqual(want.shape);
        // equal values, element for element (NaN equals NaN; -0 equals +0: a quantizer the engine
        // rewrote into standard ops may give a zero of the other sign, the same value)
        const g = floats(got);
        let bad = -1;
        for (let i = 0; i < g.length && bad < 0; i++) if (g[i] !== want.data[i] && !(Number.isNaN(g[i]) && Number.isNaN(want.data[i]))) bad = i;
        expect(bad, `${n.opType} ${n.name} -> ${n.output![0]}: element ${bad} is ${g[bad]}, kernel ${want.data[bad]}`).toBe(-1);
        checked++;
      }

      // (c) the engine with no quantizer rewritten into standard ops (every QONNX node a kernel step)
      // computes the same value for every tensor
      const plain = await new Engine(model, ORT, { lowerQuantizers: false }).run(feeds, { keepAll: true });
      expect([...plain.tensors.keys()].sort()).toEqual([...r.tensors.keys()].sort());
      for (const [name, want] of plain.tensors) {
        const a = nums(r.tensors.get(name)!), b = nums(want);
        let bad = -1;
        for (let i = 0; i < b.length && bad < 0; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) bad = i;
        expect(bad, `${name}: element ${bad} is ${a[bad]} with quantizers rewritten, ${b[bad]} with kernels`).toBe(-1);
      }

      // (a) reference twin on onnxruntime
      if (info.skipRef) {
        report.push(`${file}: (b) ${checked} QONNX nodes exact; (a) skipped: ${info.skipRef}`);
        return;
      }
      const shapes = new Map([...r.tensors].map(([k, v]) => [k, v.shape]));
      const twin = standardOpTwin(model, shapes);
      const ref = await runOrt(twin, feeds);
      const quantized = quantizedTensors(model);
      let exact = 0, close = 0, maxRel = 0;
      for (const [name, want] of ref) {
        if (name.startsWith('__ref')) continue;
        const got = r.tensors.get(name);
        expect(got, `engine has ${name}`).toBeDefined();
        expect(got!.shape, name).toEqual(want.shape);
        const a = nums(got!), b = nums(want);
        if (quantized.has(name) || want.dataType !== 1) {
          // quantizer outputs and integer tensors: equal, element for element (numerically: -0 == 0)
          let bad = -1;
          for (let i = 0; i < a.length && bad < 0; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) bad = i;
          expect(bad, `${name}: element ${bad} is ${a[bad]}, reference ${b[bad]}`).toBe(-1);
          exact++;
        } else {
          // float tensors: |engine - ref| <= 1e-5 * |ref| + 1e-6 * max|ref| (the absolute floor for
          // values near 0 is relative to the tensor's largest magnitude)
          let peak = 0;
          for (let i = 0; i < b.length; i++) peak = Math.max(peak, Math.abs(b[i]));
          let bad = -1;
          for (let i = 0; i < a.length; i++) {
            const d = Math.abs(a[i] - b[i]);
            if (d > 0) maxRel = Math.max(maxRel, d / Math.max(Math.abs(b[i]), 1e-30));
            if (!(d <= 1e-5 * Math.abs(b[i]) + 1e-6 * peak) && bad < 0) bad = i;
          }
          expect(bad, `${name}[${bad}]: ${a[bad]} vs ${b[bad]}`).toBe(-1);
          close++;
        }
      }
      expect(exact + close).toBeGreaterThan(0);
      report.push(`${file}: (b) ${checked} QONNX nodes exact; (a) ${exact} quantized/integer tensors equal, ${close} float tensors within tolerance (max rel diff ${maxRel.toExponential(2)})`);
    });
  }
});

describe('the reference twin\'s own building blocks', () => {
  it('the Floor-based half-to-even rounding equals ONNX Round (opset 13) on the QONNX.md golden vector and random values', async () => {
    const golden = [5.5, 2.5, 1.6, 1.1, 1.0, -1.0, -1.1, -1.6, -2.5, -5.5];
    const rnd = Array.from({ length: 2000 }, (_, i) => f32(Math.sin(i * 12.9898) * 300));
    const halves = Array.from({ length: 200 }, (_, i) => i - 100 + 0.5);
    const xs = Float32Array.from([...golden, ...rnd, ...halves, 0, -0, 0.49999997, -0.49999997]);
    // a tiny model: one Quant with a huge range at opset 9 (emulated rounding) and at opset 13 (Round)
    const mk = (opset: number): Model => ({
      irVersion: int64From(7),
      opsetImport: [{ domain: '', version: int64From(opset) }],
      graph: {
        name: 'g',
        node: [{ opType: 'Quant', domain: 'qonnx.custom_op.general', input: ['x', 's', 'z', 'b'], output: ['y'], attribute: [intAttr('signed', 1), intAttr('narrow', 0), { name: 'rounding_mode', type: 3, s: new TextEncoder().encode('ROUND') }] }],
        initializer: [fTensor('s', [], [1]), fTensor('z', [], [0]), fTensor('b', [], [16])],
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: int64From(xs.length) }] } } } }],
        output: [{ name: 'y' }],
      },
    });
    const feeds = new Map([['x', { dataType: 1, shape: [xs.length], data: xs }]]);
    const a = await runOrt(standardOpTwin(mk(9), new Map()), feeds);
    const b = await runOrt(standardOpTwin(mk(13), new Map()), feeds);
    expect(mk(9).graph!.node!.length).toBe(1);
    // numerically equal (the Floor construction gives +0 where Round gives -0 for -0.5 < y < 0)
    const ya = Array.from(a.get('y')!.data as Float32Array, (v) => v + 0), yb = Array.from(b.get('y')!.data as Float32Array, (v) => v + 0);
    expect(ya).toEqual(yb);
    expect(ya.slice(0, 10)).toEqual([6, 2, 2, 1, 1, -1, -1, -2, -2, -6]);
    // and the QONNX kernel agrees with both
    const [k] = QuantOp.execute([{ shape: [xs.length], data: xs }, { shape: [], data: Float32Array.of(1) }, { shape: [], data: Float32Array.of(0) }, { shape: [], data: Float32Array.of(16) }], { signed: 1, narrow: 0, rounding_mode: 'ROUND' });
    expect(Array.from(k.data, (v) => v + 0)).toEqual(ya);
  });
});

// ---------------------------------------------------------------------------------------------

/** SQNR in dB of `test` against `ref`, computed here in float64. */
function sqnr(ref: ArrayLike<number>, test: ArrayLike<number>): number {
  let s = 0, n = 0;
  for (let i = 0; i < ref.length; i++) {
    s += ref[i] * ref[i];
    n += (ref[i] - test[i]) ** 2;
  }
  return 10 * Math.log10(s / n);
}

/** A smooth image-like input in [0, 1] (what the ESPCN models were trained on: BSD300 pixels / 255). */
function imageLike(shape: number[]): RuntimeTensor {
  const [, c, h, w] = shape;
  const data = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        data[(ch * h + y) * w + x] = f32(0.5 + 0.25 * Math.sin((x + 3 * ch) / 9) * Math.cos(y / 13) + 0.2 * ((x * 7 + y * 13 + ch * 5) % 17) / 17);
  return { dataType: 1, shape, data };
}

describe('3. ESPCN: quantized vs float', () => {
  const store = new RunStore(ORT, 8);
  let id = 100;

  // Three inputs: 'random' is the app's default (randomInput, seed 7: uniform in [-1, 1)), 'noise' the
  // same values mapped to [0, 1), 'image' a smooth image-like pattern in [0, 1] (the models were
  // trained on BSD300 pixels / 255). The meaningful figure is the image one: random values below 0
  // are outside the trained range and push the unsigned 4-bit activation quantizers and the [0, 1]
  // output quantizer into saturation, which the float twin does not have.
  // Measured (SQNR of the final output, dB):
  //                                     random   noise   image
  //   subpixel quant vs its float twin    5.22   15.42   27.48
  //   nnresize quant vs its float twin    9.18   12.76   36.02
  //   nnresize quant vs float model       7.15   11.34   26.00   (separately trained float network)
  const cases = [
    { quant: 'qonnx_espcn_subpixel_quant.onnx', float: 'qonnx_espcn_subpixel_float.onnx' },
    { quant: 'qonnx_espcn_nnresize_quant.onnx', float: 'qonnx_espcn_nnresize_float.onnx' },
  ];
  for (const c of cases) {
    it(`${c.quant}: SQNR of the final output against its float twin (quantizers bypassed), RunStore.compare agrees`, async () => {
      const model = load(c.quant);
      const out = model.graph!.output![0].name!;
      const results: Record<string, number> = {};
      const inName = model.graph!.input![0].name!;
      const random = randomFeeds(model, 7).get(inName)!;
      // the same seeded values mapped to [0, 1): pixel noise within the trained input range
      const noise = { ...random, data: floats(random).map((v) => f32((v + 1) / 2)) };
      for (const [kind, x] of [
        ['random', random],
        ['noise', noise],
        ['image', imageLike([1, 3, 128, 128])],
      ] as const) {
        const feeds = new Map([[inName, x]]);
        const qId = id++, fId = id++;
        const q = await store.run(model, qId, feeds, false);
        const f = await store.run(model, fId, feeds, true);
        expect(q.kernelSteps + q.lowered).toBeGreaterThan(0);
        expect(f.kernelSteps + f.lowered).toBe(0); // the float twin has no QONNX op left
        const qy = floats(store.tensor(qId, out)!), fy = floats(store.tensor(fId, out)!);
        const mine = sqnr(fy, qy);
        const err = store.compare(fId, qId).find((t) => t.name === out)!;
        expect(err.sqnrDb).toBeCloseTo(mine, 6);
        results[kind] = mine;
      }
      if (process.env.ENGINE_TEST_REPORT) console.log(c.quant, 'vs float twin', results);
      // 8-bit input/output, 4-bit activations, 4-8-bit weights: on image-like input well above
      // 20 dB against its own float twin, and far from lossless
      expect(results.image).toBeGreaterThan(20);
      expect(results.image).toBeLessThan(50);
      expect(results.noise).toBeGreaterThan(10);
      expect(results.noise).toBeLessThan(results.image);
      expect(results.random).toBeGreaterThan(3);
      expect(results.random).toBeLessThan(results.noise);
      if (process.env.ENGINE_TEST_REPORT) console.log(c.quant, 'vs float twin', results);
    });
  }

  it('nnresize: the quantized model against the separately trained float model (same input shape)', async () => {
    const qm = load('qonnx_espcn_nnresize_quant.onnx'), fm = load('qonnx_espcn_nnresize_float.onnx');
    const qIn = qm.graph!.input![0], fIn = fm.graph!.input![0];
    const dims = (v: typeof qIn) => v.type!.tensorType!.shape!.dim!.map((d) => int64ToNumber(d.dimValue));
    expect(dims(qIn)).toEqual(dims(fIn));
    const results: Record<string, number> = {};
    const random = randomFeeds(qm, 7).get(qIn.name!)!;
    for (const [kind, x] of [
      ['random', random],
      ['noise', { ...random, data: floats(random).map((v) => f32((v + 1) / 2)) }],
      ['image', imageLike(dims(qIn))],
    ] as const) {
      const q = await engineFor(qm).run(new Map([[qIn.name!, x]]));
      const f = await engineFor(fm).run(new Map([[fIn.name!, x]]));
      const qy = floats(q.tensors.get(q.outputNames[0])!), fy = floats(f.tensors.get(f.outputNames[0])!);
      expect(qy.length).toBe(fy.length);
      results[kind] = sqnr(fy, qy);
    }
    // Two separately trained networks agree less than a model and its own float twin (36.0 dB on
    // the image input), but both approximate the same upscaling: positive, lower SQNR.
    expect(results.image).toBeGreaterThan(18);
    expect(results.image).toBeLessThan(36);
    expect(results.noise).toBeGreaterThan(5);
    expect(results.random).toBeGreaterThan(3);
    if (process.env.ENGINE_TEST_REPORT) console.log('nnresize quant vs separately trained float', results);
  });

  it('subpixel: the float model\'s input is [1, 3, 4, 4] and the quantized one\'s [1, 3, 128, 128], so they are not compared', () => {
    const dims = (m: Model) => m.graph!.input![0].type!.tensorType!.shape!.dim!.map((d) => int64ToNumber(d.dimValue));
    expect(dims(load('qonnx_espcn_subpixel_float.onnx'))).toEqual([1, 3, 4, 4]);
    expect(dims(load('qonnx_espcn_subpixel_quant.onnx'))).toEqual([1, 3, 128, 128]);
  });
});

beforeAll(() => {
  expect(fs.existsSync(MODELS)).toBe(true);
});

describe('engine edge cases (small models built here)', () => {
  const quantNode = (x: string, out: string): Node => ({ opType: 'Quant', domain: 'qonnx.custom_op.general', input: [x, 'sc', 'z', 'b'], output: [out], name: `quant_${out}`, attribute: [intAttr('signed', 1), intAttr('narrow', 1)] });
  const params = [fTensor('sc', [], [0.5]), fTensor('z', [], [0]), fTensor('b', [], [4])];
  const graphModel = (node: Node[], input: { name: string; dims: (number | string)[] }[], output: string[], extra: Tensor[] = []): Model => ({
    irVersion: int64From(8),
    opsetImport: [{ domain: '', version: int64From(13) }],
    graph: {
      name: 'g',
      node,
      initializer: [...params, ...extra],
      input: input.map((i) => ({ name: i.name, type: { tensorType: { elemType: 1, shape: { dim: i.dims.map((d) => (typeof d === 'number' ? { dimValue: int64From(d) } : { dimParam: d })) } } } })),
      output: output.map((name) => ({ name })),
    },
  });
  // 4-bit signed narrow, scale 0.5: integers -7..7, values -3.5..3.5
  const halfEven = (v: number) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));
  const q = (v: number) => Math.max(-7, Math.min(7, halfEven(v / 0.5))) * 0.5;

  it('an int64 tensor computed before a QONNX kernel step and used after it keeps its type (dynamic batch Shape -> Reshape)', async () => {
    // Shape cannot be folded (batch N is symbolic), so 's' crosses from the first onnxruntime session,
    // over the Quant kernel step, into the second one. It has no value_info: the second session must
    // still declare it int64 (it used to be declared float and onnxruntime refused the model).
    const m = graphModel(
      [std('Shape', ['x'], ['s']), quantNode('x', 'qx'), std('Reshape', ['qx', 's'], ['y'])],
      [{ name: 'x', dims: ['N', 4] }],
      ['y'],
    );
    // (with the quantizer rewritten into standard ops there would be one session: keep it a kernel)
    const e = new Engine(m, ORT, { lowerQuantizers: false });
    const xs = [0.1, 0.3, 0.7, 1, -1, -3, 2, 5];
    const r = await e.run(new Map([['x', { dataType: 1, shape: [2, 4], data: Float32Array.from(xs) }]]));
    expect(e.stats()).toEqual({ sessions: 2, kernelSteps: 1, lowered: 0 });
    expect(r.tensors.get('y')!.shape).toEqual([2, 4]);
    expect(Array.from(floats(r.tensors.get('y')!))).toEqual(xs.map(q));
  });

  it('a graph output that is a folded constant (an exposed weight quantizer) is returned', async () => {
    const m = graphModel([quantNode('w', 'qw'), std('Add', ['x', 'qw'], ['y'])], [{ name: 'x', dims: [2] }], ['y', 'qw'], [fTensor('w', [2], [1.2, -0.3])]);
    const r = await engineFor(m).run(new Map([['x', { dataType: 1, shape: [2], data: Float32Array.of(10, 20) }]]));
    expect(Array.from(floats(r.tensors.get('qw')!))).toEqual([q(1.2), q(-0.3)]);
    expect(Array.from(floats(r.tensors.get('y')!))).toEqual([10 + q(1.2), 20 + q(-0.3)]);
  });

  it('external-data weights: refused with the file named when their bytes are not given, inlined when they are', async () => {
    // W [4, 3] lives in 'w.data'; Quant (4-bit signed narrow, scale 0.5) of it feeds a MatMul
    const w = [0.9, -1.2, 3, 2.2, 0.1, -4, 1.6, -0.7, 0.25, -2.6, 5, 0.8];
    const wExt: Tensor = {
      name: 'W',
      dims: [int64From(4), int64From(3)],
      dataType: 1,
      dataLocation: 1,
      externalData: [
        { key: 'location', value: 'w.data' },
        { key: 'offset', value: '0' },
        { key: 'length', value: '48' },
      ],
    };
    const m = graphModel([quantNode('W', 'qw'), std('MatMul', ['x', 'qw'], ['y'])], [{ name: 'x', dims: [1, 4] }], ['y'], [wExt]);
    const x = { dataType: 1, shape: [1, 4], data: Float32Array.of(1, -2, 3, 0.5) };
    const err = await engineFor(m).run(new Map([['x', x]])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as Error).message).toBe("1 initializer (e.g. 'W') keep their data in external file 'w.data', which this run was not given; running needs the weights");
    const e = new Engine(m, ORT, { externalData: new Map([[wExt, new Uint8Array(Float32Array.from(w).buffer)]]) });
    engines.push(e);
    const r = await e.run(new Map([['x', x]]));
    // y[j] = sum_i x[i] * q(W[i][j]); every product and sum is exact in float32
    const want = [0, 1, 2].map((j) => [0, 1, 2, 3].reduce((acc, i) => acc + x.data[i] * q(w[i * 3 + j]), 0));
    expect(Array.from(floats(r.tensors.get('y')!))).toEqual(want);
    expect(e.stats()).toEqual({ sessions: 1, kernelSteps: 0, lowered: 0 }); // the weight quantizer was folded
  });

  it('a missing graph input is an ExecError naming it', async () => {
    const m = graphModel([quantNode('x', 'y')], [{ name: 'x', dims: [2] }], ['y']);
    await expect(engineFor(m).run(new Map())).rejects.toThrow("No value given for graph input 'x'");
  });

  it('an op of an unknown domain is refused with op, domain and node', async () => {
    const m = graphModel([{ opType: 'Frob', domain: 'com.example', input: ['x'], output: ['y'], name: 'frob1' }], [{ name: 'x', dims: [2] }], ['y']);
    const err = await engineFor(m).prepare().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as ExecError).message).toBe("Cannot execute Frob (com.example) at node 'frob1': an op of a domain this app does not implement");
    expect((err as ExecError).node).toBe('frob1');
  });
});
