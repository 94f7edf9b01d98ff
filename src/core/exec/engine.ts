/**
 * Executes a model, QONNX ops included. Strategy (measured in bench/): constant subgraphs (weight
 * quantizers and their transposes) are folded once with the exact QONNX kernels; activation
 * quantizers whose float32 computation standard ops reproduce exactly are rewritten into them
 * (lowerQuantizers.ts); the remaining graph is cut into maximal runs of standard ops, each compiled
 * into one onnxruntime session, and the QONNX ops left between them run on the float32-exact kernels
 * of src/core/qonnx. Nodes are scheduled so that standard ops cluster (fewer, larger sessions).
 *
 * Every tensor of the model is an output of its session, so onnxruntime never fuses across a tensor
 * (Conv+BatchNormalization, MatMul+Add, QDQ into QLinearConv): each node computes what it computes
 * alone, as in the reference's node-by-node execution, and any tensor can be returned. A run that
 * wants only the graph outputs fetches just the tensors later steps need (no copies of the rest).
 *
 * onnxruntime is passed in (onnxruntime-web in the page and in Node), so this file stays free of
 * environment-specific imports.
 */
import { attrMap, inferShapes } from '../analysis/shapeInference.js';
import { indexGraph } from '../ir/graphIndex.js';
import type { Model, Node, Tensor, ValueInfo } from '../ir/types.js';
import { int64From } from '../ir/types.js';
import { encodeModel } from '../onnx/codec.js';
import { externalRef, isExternal, tensorValues } from '../onnx/tensorData.js';
import { foldConstants } from '../passes/foldConstants.js';
import { toFixpoint } from '../passes/pass.js';
import { missingAttributes, missingText } from '../qonnx/ops/attrs.js';
import type { CustomOpDef } from '../qonnx/opTypes.js';
import { isFinnHardwareDomain, resolveCustomOp } from '../qonnx/registry.js';
import { lowerQuantizers, type Lowering, type RangeInputs } from './lowerQuantizers.js';
import { asFloat32, ONNX_TYPE, ORT_TYPE, type RuntimeTensor } from './runtimeTensor.js';

/** The slice of the onnxruntime API the engine uses. */
export interface OrtApi {
  InferenceSession: { create(bytes: Uint8Array, opts?: object): Promise<OrtSession> };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
}
export interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>, fetches?: readonly string[]): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
export interface OrtTensor {
  type: string;
  dims: readonly number[];
  data: unknown;
}

export class ExecError extends Error {
  readonly node?: string;
  constructor(message: string, node?: string) {
    super(message);
    this.name = 'ExecError';
    this.node = node;
  }
}

export interface EngineOptions {
  /** replace Quant, BipolarQuant, Trunc and FloatQuant by identities: the float twin of the model */
  bypassQuantizers?: boolean;
  /** bytes of external-data initializers (e.g. the CLI's readAllExternalData), inlined before folding */
  externalData?: ReadonlyMap<Tensor, Uint8Array>;
  /** rewrite activation quantizers into standard ops where that is exact (default true) */
  lowerQuantizers?: boolean;
  /**
   * onnxruntime's graph optimisation level for the sessions. Default: 'all' for sessions of up to
   * 5,000 nodes and 'disabled' above. Every tensor is a session output, so no fusion across a model
   * tensor happens either way; 'all' still trims a small session's per-run cost (TFC in Chromium:
   * 1.75-2.0x the plain float twin against 1.94-2.1x), while on very large sessions the optimiser
   * only costs compile time (the 20,000-node graph: 4.6 s instead of 11 s) at equal run times.
   */
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Quant nodes whose clamp range comes from graph inputs (see lowerQuantizers' RangeInputs) */
  rangeInputs?: RangeInputs;
}

export interface RunOptions {
  /** return every tensor, not only the graph outputs */
  keepAll?: boolean;
  onProgress?: (done: number, total: number) => void;
  signal?: { aborted: boolean };
}

export interface RunResult {
  /** graph outputs, and with keepAll every tensor computed (and the folded constants) */
  tensors: Map<string, RuntimeTensor>;
  outputNames: string[];
  ms: number;
}

type Step = {
  kind: 'ort';
  nodes: number[];
  inputs: string[];
  outputs: string[];
  /** the outputs a run without keepAll copies out: those later steps read and the graph outputs */
  fetch: string[];
  session?: OrtSession;
} | { kind: 'kernel'; node: number; def: CustomOpDef };

/** Sessions with more nodes than this are compiled without onnxruntime's graph optimisations (see EngineOptions). */
const LARGE_SESSION_NODES = 5000;

const ORT_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft']);
const QUANTIZERS = new Set(['Quant', 'IntQuant', 'BipolarQuant', 'Trunc', 'FloatQuant']);

/** The model with each quantizer replaced by an Identity of its data input. */
export function bypassQuantizers(model: Model): Model {
  const g = model.graph ?? {};
  let changed = false;
  const node = (g.node ?? []).map((n) => {
    if (!QUANTIZERS.has(n.opType ?? '') || !resolveCustomOp(n, model)) return n;
    changed = true;
    return { name: n.name, opType: 'Identity', domain: '', input: [n.input?.[0] ?? ''], output: [n.output?.[0] ?? ''] } as Node;
  });
  return changed ? { ...model, graph: { ...g, node } } : model;
}

export class Engine {
  /** the model as executed: weight quantizers folded (its tensors are the ones a run returns) */
  readonly model: Model;
  /** `model` with activation quantizers rewritten into standard ops; internal tensors never returned */
  private readonly exec: Lowering;
  private readonly optimization: EngineOptions['graphOptimization'];
  private steps: Step[] = [];
  private consts = new Map<string, RuntimeTensor>();
  private prepared = false;
  /** per step, the tensors no later step reads (freed after it when not keeping everything) */
  private freeAfter: string[][] = [];
  /** graph inputs that are not initializers: a run must give each */
  private required: string[] = [];
  /** index of each node of the model as given (by node object, and by first output for rewritten nodes) */
  private readonly givenIndex = new Map<Node | string, number>();

  constructor(
    model: Model,
    private readonly ort: OrtApi,
    opts: EngineOptions = {},
  ) {
    // Messages name an unnamed node by its index in the model given here, not in the folded one.
    (model.graph?.node ?? []).forEach((n, i) => {
      this.givenIndex.set(n, i);
      const o = n.output?.[0];
      if (o && !this.givenIndex.has(o)) this.givenIndex.set(o, i);
    });
    let m = opts.bypassQuantizers ? bypassQuantizers(model) : model;
    // External-data initializers: folding skips them and onnxruntime cannot read their files from a
    // buffer ("Module.MountedFiles is not available"), so they are inlined when their bytes are given
    // and refused with a clear message in prepare() otherwise.
    if (opts.externalData?.size) {
      const ext = opts.externalData;
      const g = m.graph ?? {};
      m = { ...m, graph: { ...g, initializer: (g.initializer ?? []).map((t) => (ext.has(t) ? { ...t, rawData: ext.get(t), externalData: [], dataLocation: 0 } : t)) } };
    }
    m = toFixpoint(foldConstants, m, { excludeOpTypes: [] }).model;
    this.model = m;
    this.optimization = opts.graphOptimization;
    this.exec = opts.lowerQuantizers === false ? { model: m, internal: new Set(), lowered: [] } : lowerQuantizers(m, opts.rangeInputs);
  }

  /** A node in a message: its name, or (unnamed) its index in the given model and its op type, e.g. `'mt0'` or `#3 (MultiThreshold)`. */
  private nodeWhere(n: Node): string {
    if (n.name) return `'${n.name}'`;
    const i = this.givenIndex.get(n) ?? this.givenIndex.get(n.output?.[0] ?? '');
    return `#${i ?? '?'} (${n.opType})`;
  }

  /** Check every node can run and compile the onnxruntime sessions. */
  async prepare(): Promise<void> {
    if (this.prepared) return;
    const g = this.exec.model.graph ?? {};
    const idx = indexGraph(g);
    if (idx.cyclic.length) throw new ExecError('The graph has a cycle and cannot be executed');
    const kindOf = (n: Node): 'ort' | 'kernel' => {
      const def = resolveCustomOp(n, this.exec.model);
      if (def) {
        // an attribute the kernel needs is absent: say so before any run (one it does not need never stops it)
        const need = missingAttributes(def.attrs, attrMap(n)).required[0];
        if (need) throw new ExecError(`${n.opType} at node ${this.nodeWhere(n)} cannot run: ${missingText(need)}`, n.name ?? undefined);
        return 'kernel';
      }
      const dom = n.domain ?? '';
      if (ORT_DOMAINS.has(dom)) return 'ort';
      const why = isFinnHardwareDomain(dom)
        ? 'a FINN hardware op, which only runs as generated hardware'
        : dom === 'finn' || dom === 'finn.custom_op.general'
          ? 'a FINN op (legacy domain) that is not a QONNX op, e.g. a hardware layer of an older FINN version'
          : 'an op of a domain this app does not implement';
      throw new ExecError(`Cannot execute ${n.opType} (${dom || 'ai.onnx'}) at node ${this.nodeWhere(n)}: ${why}`, n.name ?? undefined);
    };
    const kinds = idx.nodes.map(kindOf);
    const external = (g.initializer ?? []).filter(isExternal);
    if (external.length) {
      const locs = [...new Set(external.map((t) => externalRef(t)?.location ?? '?'))];
      throw new ExecError(
        `${external.length} initializer${external.length > 1 ? 's' : ''} (e.g. '${external[0].name}') keep their data in external file${locs.length > 1 ? 's' : ''} ${locs.map((l) => `'${l}'`).join(', ')}, which this run was not given; running needs the weights`,
      );
    }
    // Schedule: Kahn's algorithm that keeps taking ready nodes of the current kind.
    const indeg = new Int32Array(idx.nodes.length);
    const succ: number[][] = idx.nodes.map(() => []);
    idx.nodes.forEach((n, i) => {
      const seen = new Set<number>();
      for (const t of n.input ?? []) {
        const p = t ? idx.producer.get(t) : undefined;
        if (p !== undefined && !seen.has(p)) {
          seen.add(p);
          succ[p].push(i);
          indeg[i]++;
        }
      }
    });
    const ready: number[] = [];
    idx.nodes.forEach((_, i) => indeg[i] === 0 && ready.push(i));
    const order: number[] = [];
    let cur: 'ort' | 'kernel' = 'ort';
    while (ready.length) {
      let pick = ready.findIndex((i) => kinds[i] === cur);
      if (pick < 0) {
        pick = 0;
        cur = kinds[ready[0]];
      }
      const i = ready.splice(pick, 1)[0];
      order.push(i);
      for (const s of succ[i]) if (--indeg[s] === 0) ready.push(s);
    }
    // Cut into steps.
    const steps: Step[] = [];
    for (const i of order) {
      if (kinds[i] === 'kernel') steps.push({ kind: 'kernel', node: i, def: resolveCustomOp(idx.nodes[i], this.exec.model)! });
      else {
        const last = steps[steps.length - 1];
        if (last && last.kind === 'ort') last.nodes.push(i);
        else steps.push({ kind: 'ort', nodes: [i], inputs: [], outputs: [], fetch: [] });
      }
    }
    // Constants: initializers (after folding) are read once.
    for (const t of g.initializer ?? []) {
      if (!t.name) continue;
      if (isExternal(t)) continue; // read on demand: see constant()
      if (this.exec.internal.has(t.name)) continue; // the rewrite's constants live in the sessions only
      const v = tensorValues(t);
      if (Array.isArray(v.data)) continue;
      this.consts.set(t.name, { dataType: v.dataType, shape: v.shape, data: v.data });
    }
    // Which step last needs each tensor (to free memory early when not keeping everything).
    const lastUse = new Map<string, number>();
    steps.forEach((s, k) => {
      const nodes = s.kind === 'ort' ? s.nodes : [s.node];
      for (const i of nodes) for (const t of idx.nodes[i].input ?? []) if (t) lastUse.set(t, k);
    });
    const graphOut = new Set((g.output ?? []).map((o) => o.name ?? ''));
    this.freeAfter = steps.map(() => []);
    for (const [t, k] of lastUse) if (!graphOut.has(t)) this.freeAfter[k].push(t);
    this.required = (g.input ?? []).map((i) => i.name ?? '').filter((n) => n && !idx.initializer.has(n));
    // Tensors each step reads, to know which outputs a step must hand to later steps.
    const readers = new Map<string, Set<number>>();
    steps.forEach((s, k) => {
      for (const i of s.kind === 'ort' ? s.nodes : [s.node])
        for (const t of idx.nodes[i].input ?? []) if (t) readers.set(t, (readers.get(t) ?? new Set()).add(k));
    });
    const graphOutputs = new Set((g.output ?? []).map((o) => o.name ?? ''));
    for (const [k, s] of steps.entries()) {
      if (s.kind !== 'ort') continue;
      const stepsUsing = (t: string) => [...(readers.get(t) ?? [])].some((j) => j !== k);
      const produced = new Set<string>();
      for (const i of s.nodes) for (const o of idx.nodes[i].output ?? []) if (o) produced.add(o);
      const inputs = new Set<string>();
      for (const i of s.nodes) for (const t of idx.nodes[i].input ?? []) if (t && !produced.has(t) && !idx.initializer.has(t)) inputs.add(t);
      s.inputs = [...inputs];
      // every produced tensor of the model is an output of the session, so that any of them can be
      // shown and no fusion crosses it (see the top of this file); the rewrite's own are not
      s.outputs = [...produced].filter((t) => !this.exec.internal.has(t) || stepsUsing(t));
      s.fetch = s.outputs.filter((t) => graphOutputs.has(t) || stepsUsing(t));
      s.session = await this.ort.InferenceSession.create(this.segmentModel(s.nodes, s.inputs, s.outputs), { graphOptimizationLevel: this.optimization ?? (s.nodes.length > LARGE_SESSION_NODES ? 'disabled' : 'all') });
    }
    this.steps = steps;
    this.prepared = true;
  }

  private inferred?: Map<string, { elemType: number }>;
  /** Element type of a tensor from shape inference (0 when unknown); kernel outputs are float32. */
  private inferredElemType(name: string): number {
    if (!this.inferred) {
      try {
        this.inferred = inferShapes(this.exec.model).tensors;
      } catch {
        this.inferred = new Map();
      }
    }
    return this.inferred.get(name)?.elemType ?? 0;
  }

  /** A standalone model of some standard nodes, with their initializers, for onnxruntime. */
  private segmentModel(nodes: number[], inputs: string[], outputs: string[]): Uint8Array {
    const g = this.exec.model.graph ?? {};
    const idx = indexGraph(g);
    const used = new Set<string>();
    for (const i of nodes) for (const t of idx.nodes[i].input ?? []) if (t && idx.initializer.has(t)) used.add(t);
    const vi = (name: string): ValueInfo => {
      const declared = idx.input.get(name) ?? idx.valueInfo.get(name) ?? idx.output.get(name);
      const elem = declared?.type?.tensorType?.elemType;
      // Undeclared tensors are not all float: an int64 Shape output computed in an earlier segment
      // and used after a QONNX kernel step (dynamic batch) must keep its type, so ask shape inference.
      return { name, type: { tensorType: { elemType: elem || this.inferredElemType(name) || 1 } } };
    };
    const opsets = (this.exec.model.opsetImport ?? []).filter((o) => ORT_DOMAINS.has(o.domain ?? ''));
    if (!opsets.some((o) => !o.domain || o.domain === 'ai.onnx')) opsets.push({ domain: '', version: int64From(13) });
    const model: Model = {
      irVersion: this.model.irVersion ?? int64From(8),
      opsetImport: opsets,
      producerName: 'qonnx-studio-segment',
      graph: {
        name: 'segment',
        node: nodes.map((i) => idx.nodes[i]),
        initializer: (g.initializer ?? []).filter((t) => used.has(t.name ?? '')),
        input: inputs.map(vi),
        output: outputs.map((o) => ({ name: o })),
      },
    };
    return encodeModel(model);
  }

  /** Run on the given graph inputs (by name). */
  async run(inputs: Map<string, RuntimeTensor>, opts: RunOptions = {}): Promise<RunResult> {
    if (!this.prepared) await this.prepare();
    const t0 = performance.now();
    const g = this.exec.model.graph ?? {};
    const idx = indexGraph(g);
    const values = new Map<string, RuntimeTensor>();
    for (const [k, v] of inputs) values.set(k, v);
    for (const name of this.required) if (!values.has(name)) throw new ExecError(`No value given for graph input '${name}'`);
    const get = (t: string): RuntimeTensor => {
      const v = values.get(t) ?? this.consts.get(t);
      if (!v) throw new ExecError(`Tensor '${t}' has no value (is it an external-data initializer that was not provided?)`);
      return v;
    };
    const graphOut = (g.output ?? []).map((o) => o.name ?? '');
    let lastYield = -Infinity;
    for (let k = 0; k < this.steps.length; k++) {
      // A cancel request is a message to this (worker) thread: it can only set the signal if the run
      // lets the event loop turn. onnxruntime-web's run resolves without doing so, so yield before the
      // first step (a cancel sent while the engine was folding or compiling) and then every ~30 ms
      // when the run is cancellable (a few ms of overhead; before, Cancel took effect only when it
      // happened to arrive while sessions were being created).
      if (opts.signal && performance.now() - lastYield > 30) {
        await new Promise((r) => setTimeout(r, 0));
        lastYield = performance.now();
      }
      if (opts.signal?.aborted) throw new DOMException('Cancelled', 'AbortError');
      const s = this.steps[k];
      if (s.kind === 'ort') {
        const feeds: Record<string, OrtTensor> = {};
        for (const t of s.inputs) {
          const v = get(t);
          feeds[t] = new this.ort.Tensor(ORT_TYPE[v.dataType] ?? 'float32', v.data, v.shape);
        }
        let out: Record<string, OrtTensor>;
        try {
          out = await s.session!.run(feeds, opts.keepAll ? undefined : s.fetch);
        } catch (e) {
          const n = idx.nodes[s.nodes[0]];
          throw new ExecError(`onnxruntime failed in the segment starting at node ${n.name ? `${this.nodeWhere(n)} (${n.opType})` : this.nodeWhere(n)}: ${(e as Error).message}`, n.name ?? undefined);
        }
        for (const [name, t] of Object.entries(out)) values.set(name, { dataType: ONNX_TYPE[t.type] ?? 1, shape: [...t.dims], data: t.data as RuntimeTensor['data'] });
      } else {
        const n = idx.nodes[s.node];
        const ins = (n.input ?? []).map((t) => {
          if (!t) return undefined;
          const v = get(t);
          return { shape: v.shape, data: asFloat32(v) };
        });
        let outs;
        try {
          outs = s.def.execute(ins as { shape: number[]; data: Float32Array }[], attrMap(n));
        } catch (e) {
          throw new ExecError(`${n.opType} at node ${this.nodeWhere(n)} failed: ${(e as Error).message}`, n.name ?? undefined);
        }
        (n.output ?? []).forEach((o, j) => o && outs[j] && values.set(o, { dataType: 1, shape: outs[j].shape, data: outs[j].data }));
      }
      if (!opts.keepAll) for (const t of this.freeAfter[k]) values.delete(t);
      opts.onProgress?.(k + 1, this.steps.length);
    }
    if (opts.keepAll) for (const [k, v] of this.consts) if (!values.has(k)) values.set(k, v);
    // a graph output may be a constant (folded before the run, e.g. an exposed weight quantizer's output)
    const outValue = (o: string) => values.get(o) ?? this.consts.get(o);
    const tensors = opts.keepAll ? values : new Map(graphOut.filter((o) => outValue(o)).map((o) => [o, outValue(o)!]));
    return { tensors, outputNames: graphOut, ms: performance.now() - t0 };
  }

  /** The value of an initializer of the (folded) model. */
  constant(name: string): RuntimeTensor | undefined {
    if (!this.prepared) {
      const t = indexGraph(this.model.graph ?? {}).initializer.get(name);
      if (!t || isExternal(t)) return undefined;
      const v = tensorValues(t);
      return Array.isArray(v.data) ? undefined : { dataType: v.dataType, shape: v.shape, data: v.data };
    }
    return this.consts.get(name);
  }

  /** Sessions and kernel steps, for benchmarks and the UI. */
  stats(): { sessions: number; kernelSteps: number; lowered: number } {
    return { sessions: this.steps.filter((s) => s.kind === 'ort').length, kernelSteps: this.steps.filter((s) => s.kind === 'kernel').length, lowered: this.exec.lowered.length };
  }

  /** Names of the quantizer nodes run as standard ops (a node without a name: its first output). */
  loweredNodes(): ReadonlySet<string> {
    return new Set(this.exec.lowered);
  }

  async release(): Promise<void> {
    for (const s of this.steps) if (s.kind === 'ort') await s.session?.release?.();
  }
}
