/** `exec MODEL --input NAME=FILE.npy ... --out DIR [--all] [--float] [--random SEED]`: run a model. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeModel } from '../../core/analysis/modelAnalysis.js';
import { Engine } from '../../core/exec/engine.js';
import { npyInput, randomInput } from '../../core/exec/inputs.js';
import type { RuntimeTensor } from '../../core/exec/runtimeTensor.js';
import { encodeNpy } from '../../core/io/npy.js';
import { readNpy } from '../../core/io/npyRead.js';
import { indexGraph } from '../../core/ir/graphIndex.js';
import { UsageError, type CliCommand, type CliIO } from '../command.js';
import { readAllExternalData, readModelFile } from '../nodeFiles.js';
import { loadOrt } from '../ortNode.js';

const safeName = (t: string) => t.replace(/[^\w.-]+/g, '_');

export const execCommand: CliCommand = {
  name: 'exec',
  usage: 'exec MODEL --input NAME=FILE.npy ... --out DIR [--all] [--float] [--random SEED]',
  summary: 'Run the model (QONNX ops included) and write outputs as .npy',
  details:
    'Each graph input comes from --input NAME=FILE.npy, or with --random SEED from seeded random values within its datatype range. Writes DIR/<output>.npy for each graph output (with --all every tensor) and prints a JSON summary. --float runs the float twin (every quantizer bypassed). Symbolic dimensions are taken as 1.',
  async run(args: string[], io: CliIO): Promise<number> {
    const inputs = new Map<string, string>();
    let out: string | undefined;
    let all = false, bypass = false;
    let seed: number | undefined;
    const pos: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--input') {
        const v = args[++i];
        const eq = v?.indexOf('=') ?? -1;
        if (!v || eq <= 0) throw new UsageError('--input needs NAME=FILE.npy');
        inputs.set(v.slice(0, eq), v.slice(eq + 1));
      } else if (a === '--out') out = args[++i];
      else if (a === '--all') all = true;
      else if (a === '--float') bypass = true;
      else if (a === '--random') {
        seed = Number(args[++i]);
        if (!Number.isInteger(seed)) throw new UsageError('--random needs an integer seed');
      } else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
      else pos.push(a);
    }
    if (pos.length !== 1) throw new UsageError('exactly one MODEL is needed');
    if (!out) throw new UsageError('--out DIR is required');
    const { model, dir } = readModelFile(pos[0]);
    const g = model.graph ?? {};
    const idx = indexGraph(g);
    const analysis = analyzeModel(model);
    const feeds = new Map<string, RuntimeTensor>();
    for (const i of g.input ?? []) {
      const name = i.name ?? '';
      if (idx.initializer.has(name)) continue;
      const shape = (analysis.shapes.tensors.get(name)?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
      const elem = i.type?.tensorType?.elemType ?? 1;
      const file = inputs.get(name);
      if (file) feeds.set(name, npyInput(readNpy(new Uint8Array(readFileSync(file))), shape, elem, name));
      else if (seed !== undefined) feeds.set(name, randomInput(shape, elem, analysis.datatypeOf(name), seed));
      else throw new UsageError(`no value for graph input '${name}': pass --input ${name}=FILE.npy or --random SEED`);
    }
    for (const k of inputs.keys()) if (!feeds.has(k)) throw new UsageError(`the model has no graph input '${k}'`);
    // weights in external-data files next to the model are read and inlined (onnxruntime cannot)
    const externalData = readAllExternalData(model, dir);
    const engine = new Engine(model, await loadOrt(), { bypassQuantizers: bypass, externalData });
    const t0 = performance.now();
    await engine.prepare();
    const prepareMs = performance.now() - t0;
    const r = await engine.run(feeds, { keepAll: all });
    mkdirSync(out, { recursive: true });
    const written: { name: string; shape: number[]; file: string }[] = [];
    const names = all ? [...r.tensors.keys()] : r.outputNames;
    for (const name of names) {
      const v = r.tensors.get(name);
      if (!v || Array.isArray(v.data)) continue;
      const file = join(out, `${safeName(name)}.npy`);
      writeFileSync(file, encodeNpy(v.data, v.shape));
      written.push({ name, shape: v.shape, file });
    }
    const st = engine.stats();
    io.out(JSON.stringify({ outputs: written.filter((w) => r.outputNames.includes(w.name)), tensors_written: written.length, prepare_ms: Math.round(prepareMs * 10) / 10, run_ms: Math.round(r.ms * 10) / 10, onnxruntime_sessions: st.sessions, qonnx_ops_as_standard_ops: st.lowered, qonnx_kernel_steps: st.kernelSteps, float_twin: bypass }, null, 2) + '\n');
    await engine.release();
    return 0;
  },
};
