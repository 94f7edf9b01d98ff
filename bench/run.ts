/**
 * npm run bench [-- options]
 *
 * Times the core open path (decode, validate, view graph, layout; and encode) in Node for every model
 * in testdata/models and two synthetic ones (a 100 MB / 300-node CNN and a 20,000-node graph), each in
 * its own child process so peak memory is per model; then compares our layered layout with elkjs on the
 * largest graphs; then, when /usr/bin/chromium exists (or with --browser), times file-open to graph
 * drawn in headless Chromium for the models the issue quotes (bench/browser.ts), and pan/zoom frame
 * times on the 20,000-node graph. Prints markdown tables with the targets and Netron's figures.
 *
 *   --quick            1 run per model instead of 5
 *   --runs N           N runs per model (median reported)
 *   --only a,b         only cases whose id contains one of these substrings
 *   --no-elk           skip the ELK comparison
 *   --elk-timeout S    seconds ELK may take per graph (default 60)
 *   --json FILE        also write all raw numbers as JSON
 *   --gen-external B   write an external-data CNN with ~B weight bytes (e.g. 1e9) to bench/out, streaming
 *   --browser          run the browser suite even without /usr/bin/chromium (Playwright's own Chromium)
 *   --no-browser       skip the browser suite
 *   --browser-only     only the browser suite (no Node suite, no ELK)
 *   --profile          browser suite: one more open per model under the CPU profiler, top self-time functions;
 *                      cost suite: one more inferenceCost per model under the profiler (also done when a target is missed)
 *   --no-cost          skip the cost suite (inferenceCost timed in Node, bench/costWorker.ts)
 *   --no-edit          skip the edit suite (bit-width change to cost on screen in Chromium, bench/editBench.ts)
 *   --edit-only        only the edit suite (with --profile: one more edit per model under the CPU profiler)
 *   --no-exec          skip the execution suite (time per inference, quantized vs float twin, bench/exec.ts)
 *   --exec-only        only the execution suite (Node, and Chromium when there is one)
 *   --no-large         skip the large suite (1 GB external-data model, 100 MB CNN, 20,000 nodes: load time, peak memory; bench/large.ts)
 *   --large-only       only the large suite
 *   --no-sweep         skip the precision explorer suite (bench/sweep.ts: a 20-quantizer CNN's sensitivity pass and front)
 *   --sweep-only       only the precision explorer suite (Node, and Chromium when there is one)
 *   --no-cli           skip the CLI start-up suite (bench/cliStartup.ts: `cost` on TFC as a whole process, compiled bin, npm run cli, tsx)
 *   --cli-only         only the CLI start-up suite
 *   --realtime         CLI start-up suite: run each process under `chrt -f 10` (root), so other jobs on a shared machine do not delay it
 *   --keep             keep the generated 1 GB external-data model in bench/out (deleted after the large suite otherwise)
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { benchCases, type BenchCase } from './cases.js';
import { runChild, type ChildOutcome } from './child.js';
import type { CoreResult } from './coreWorker.js';
import type { CostResult } from './costWorker.js';
import type { ElkResult } from './elkWorker.js';
import { cliStartupReport, runCliStartup, type CliStartupResult } from './cliStartup.js';
import { browserTable, profileReport, runBrowserSuite, smoothnessTable, systemChromium, type BrowserSuiteResult } from './browser.js';
import { editCases, editReport, runEditSuite, type EditSuiteResult } from './editBench.js';
import { execCases, execReport, runExecBrowser, runExecNode, type ExecRow } from './exec.js';
import { largeReport, runLargeSuite, type LargeRow } from './large.js';
import { runSweepBench, runSweepBrowser, sweepBrowserTable, sweepTable, type SweepBenchRow, type SweepBrowserRow } from './sweep.js';
import { REPO_ROOT, ensureExternalDataModel } from './synthFiles.js';
import { markdownTable, mb, median, ms, type Column } from './table.js';

interface Args {
  runs: number;
  only: string[];
  elk: boolean;
  elkTimeoutMs: number;
  json?: string;
  genExternal?: number;
  /** undefined: when /usr/bin/chromium exists */
  browser?: boolean;
  node: boolean;
  profile: boolean;
  cost: boolean;
  /** the edit suite (bench/editBench.ts), run with the browser suite */
  edit: boolean;
  /** the browser suite's open timings (false with --edit-only) */
  open: boolean;
  /** the execution suite (bench/exec.ts); execOnly: it alone, its Node part included */
  exec: boolean;
  execOnly: boolean;
  /** the large suite (bench/large.ts) */
  large: boolean;
  keep: boolean;
  /** the precision explorer suite (bench/sweep.ts) */
  sweep: boolean;
  /** the CLI start-up suite (bench/cliStartup.ts); realtime: its processes under chrt -f 10 */
  cli: boolean;
  realtime: boolean;
}

/** The suites one `--X-only` flag runs: every other suite is off. */
const NO_SUITE: Partial<Args> = { node: false, open: false, edit: false, exec: false, large: false, sweep: false, cli: false };
const ONLY: Record<string, Partial<Args>> = {
  '--browser-only': { browser: true, node: false, sweep: false, cli: false },
  '--edit-only': { ...NO_SUITE, browser: true, edit: true },
  '--exec-only': { ...NO_SUITE, exec: true, execOnly: true },
  '--sweep-only': { ...NO_SUITE, cost: false, sweep: true },
  '--cli-only': { ...NO_SUITE, browser: false, cost: false, cli: true },
  '--large-only': { ...NO_SUITE, browser: true, large: true },
};

function parseArgs(argv: string[]): Args {
  const a: Args = { runs: 5, only: [], elk: true, elkTimeoutMs: 60_000, node: true, profile: false, cost: true, edit: true, open: true, exec: true, execOnly: false, large: true, keep: false, sweep: true, cli: true, realtime: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${k} needs a value`);
      return v;
    };
    if (k === '--quick') a.runs = 1;
    else if (k === '--runs') a.runs = Math.max(1, Number(val()) || 1);
    else if (k === '--only') a.only = val().split(',').filter(Boolean);
    else if (k === '--no-elk') a.elk = false;
    else if (k === '--elk-timeout') a.elkTimeoutMs = Number(val()) * 1000;
    else if (k === '--json') a.json = val();
    else if (k === '--gen-external') a.genExternal = Number(val());
    else if (k === '--browser') a.browser = true;
    else if (k === '--no-browser') a.browser = false;
    else if (k === '--profile') a.profile = true;
    else if (k === '--no-cost') a.cost = false;
    else if (k === '--no-edit') a.edit = false;
    else if (k === '--no-exec') a.exec = false;
    else if (k === '--no-large') a.large = false;
    else if (k === '--no-sweep') a.sweep = false;
    else if (k === '--no-cli') a.cli = false;
    else if (k === '--realtime') a.realtime = true;
    else if (k === '--keep') a.keep = true;
    else if (k in ONLY) Object.assign(a, ONLY[k]);
    else throw new Error(`Unknown option ${k}`);
  }
  return a;
}

const log = (s: string) => process.stderr.write(`${s}\n`);

interface Row {
  c: BenchCase;
  file: string;
  core: ChildOutcome<CoreResult>;
  elk?: ChildOutcome<ElkResult>;
}

const MiB = 1024 * 1024;

function coreCell(r: Row, f: (v: CoreResult) => string): string {
  if (r.core.status === 'ok') return f(r.core.value);
  return '';
}

function verdict(r: Row): string {
  const t = r.c.target;
  if (!t || r.core.status !== 'ok') return '';
  const total = median(r.core.value.total);
  const dec = median(r.core.value.decode);
  const ok = total < t.totalMs && (t.decodeMs === undefined || dec < t.decodeMs);
  return ok ? 'yes' : 'NO';
}

function coreTable(rows: Row[]): string {
  const med = (k: 'decode' | 'validate' | 'view' | 'layout' | 'total' | 'encode') => (r: Row) => coreCell(r, (v) => ms(median(v[k])));
  const cols: Column<Row>[] = [
    { header: 'model', align: 'left', cell: (r) => (r.core.status === 'ok' ? r.c.id : `${r.c.id} (${r.core.status === 'timeout' ? 'timed out' : `error: ${r.core.message}`})`) },
    { header: 'nodes', cell: (r) => coreCell(r, (v) => String(v.nodes)) },
    { header: 'view n/e', cell: (r) => coreCell(r, (v) => `${v.viewNodes}/${v.viewEdges}`) },
    { header: 'MB', cell: (r) => coreCell(r, (v) => mb(v.fileBytes)) },
    { header: 'decode', cell: med('decode') },
    { header: 'validate', cell: med('validate') },
    { header: 'view', cell: med('view') },
    { header: 'layout', cell: med('layout') },
    { header: 'total', cell: med('total') },
    { header: 'encode', cell: med('encode') },
    { header: 'rt', cell: (r) => coreCell(r, (v) => (v.roundTrip ? '=' : '≠')) },
    { header: 'peak RSS MiB', cell: (r) => coreCell(r, (v) => (v.peakRss / MiB).toFixed(0)) },
    { header: 'peak heap MiB', cell: (r) => coreCell(r, (v) => (v.peakHeap / MiB).toFixed(0)) },
    { header: 'target (issue)', align: 'left', cell: (r) => (r.c.target ? `total < ${ms(r.c.target.totalMs)}${r.c.target.decodeMs ? `, decode < ${ms(r.c.target.decodeMs)}` : ''}` : '') },
    { header: 'Netron', cell: (r) => (r.c.target ? ms(r.c.target.netronMs) : '') },
    { header: 'met', cell: verdict },
  ];
  return markdownTable(cols, rows);
}

function elkTable(rows: Row[], timeoutMs: number): string {
  const elkRows = rows.filter((r) => r.elk);
  const oursOf = (r: Row): number | undefined => {
    if (r.elk?.status === 'ok') return median(r.elk.value.ours);
    if (r.core.status === 'ok') return median(r.core.value.layout);
    return undefined;
  };
  const elkOf = (r: Row): string => {
    const e = r.elk!;
    if (e.status === 'ok') return `${ms(median(e.value.elk))}${e.value.elk.length > 1 ? ` (n=${e.value.elk.length})` : ''}`;
    if (e.status === 'timeout') return `>${ms(timeoutMs)}`;
    return `error: ${e.message}`;
  };
  const ratio = (r: Row): string => {
    const e = r.elk!;
    const o = oursOf(r);
    if (!o) return '';
    if (e.status === 'ok') return `${(median(e.value.elk) / o).toFixed(0)}×`;
    if (e.status === 'timeout') return `>${(timeoutMs / o).toFixed(0)}×`;
    return '';
  };
  const cols: Column<Row>[] = [
    { header: 'model', align: 'left', cell: (r) => r.c.id },
    { header: 'view nodes', cell: (r) => coreCell(r, (v) => String(v.viewNodes)) },
    { header: 'view edges', cell: (r) => coreCell(r, (v) => String(v.viewEdges)) },
    { header: 'ours (layeredLayout)', cell: (r) => ms(oursOf(r)) },
    { header: 'ELK layered (elkjs)', cell: elkOf },
    { header: 'ELK / ours', cell: ratio },
  ];
  return markdownTable(cols, elkRows);
}

async function main() {
  const started = performance.now();
  const args = parseArgs(process.argv.slice(2));

  if (args.genExternal) {
    log(`writing external-data CNN with ~${mb(args.genExternal)} MB of weights to bench/out ...`);
    const f = ensureExternalDataModel({ targetWeightBytes: args.genExternal });
    log(`${f.generated ? `generated in ${ms(f.genMs)}` : 'cached'}: ${relative(REPO_ROOT, f.path)} + ${relative(REPO_ROOT, f.dataPath)}`);
  }

  let cases = benchCases();
  if (args.only.length) cases = cases.filter((c) => args.only.some((s) => c.id.includes(s)));
  const rows: Row[] = [];
  for (const c of args.node ? cases : []) {
    const f = c.resolve();
    if (f.generated) log(`generated ${relative(REPO_ROOT, f.path)} in ${ms(f.genMs)}`);
    log(`core  ${c.id} ...`);
    const core = await runChild<CoreResult>('./coreWorker.ts', [f.path, String(args.runs)], 600_000);
    rows.push({ c, file: f.path, core });
  }
  if (args.elk && args.node) {
    for (const r of rows) {
      if (!r.c.elk) continue;
      log(`elk   ${r.c.id} (timeout ${ms(args.elkTimeoutMs)}) ...`);
      r.elk = await runChild<ElkResult>('./elkWorker.ts', [r.file, String(args.runs), String(args.elkTimeoutMs)], args.elkTimeoutMs);
    }
  }

  const costRows: CostRow[] = [];
  if (args.cost && args.node) {
    for (const c of cases) {
      if (!c.cost) continue;
      const f = c.resolve();
      log(`cost  ${c.id} ...`);
      let res = await runChild<CostResult>('./costWorker.ts', [f.path, String(args.runs), args.profile ? 'profile' : ''], 600_000);
      // A missed target is profiled, so the report says where the time goes.
      if (!args.profile && res.status === 'ok' && c.cost.ms !== undefined && median(res.value.total) >= c.cost.ms) {
        log(`cost  ${c.id}: target missed, profiling ...`);
        const again = await runChild<CostResult>('./costWorker.ts', [f.path, '1', 'profile'], 600_000);
        if (again.status === 'ok') res = { ...res, value: { ...res.value, profile: again.value.profile } };
      }
      costRows.push({ c, cost: res });
    }
  }

  // CLI start-up: whole processes, alternated (bench/cliStartup.ts).
  let cliStartup: CliStartupResult | undefined;
  let cliError: string | undefined;
  if (args.cli && !args.only.length) {
    try {
      cliStartup = runCliStartup(args.runs, log, args.realtime);
    } catch (e) {
      cliError = e instanceof Error ? e.message : String(e);
      log(`CLI start-up suite failed: ${cliError}`);
    }
  }

  const nodeWall = performance.now() - started;

  const runBrowser = args.browser ?? systemChromium() !== undefined;
  const browserCases = cases.filter((c) => c.browser);
  let browser: BrowserSuiteResult | undefined;
  let browserError: string | undefined;
  if (runBrowser && browserCases.length && args.open) {
    try {
      browser = await runBrowserSuite(browserCases, { runs: args.runs, smoothness: true, profile: args.profile, log });
    } catch (e) {
      browserError = e instanceof Error ? e.message : String(e);
      log(`browser suite failed: ${browserError}`);
    }
  } else if (!runBrowser && browserCases.length) {
    log('no /usr/bin/chromium: skipping the browser suite (--browser runs it with Playwright\'s own Chromium)');
  }

  // Edit suite: a bit-width change to the updated cost on screen (its own build and server).
  let edit: EditSuiteResult | undefined;
  let editError: string | undefined;
  const edits = editCases(cases);
  if (runBrowser && args.edit && edits.length) {
    try {
      edit = await runEditSuite(edits, { runs: args.runs, profile: args.profile, log });
    } catch (e) {
      editError = e instanceof Error ? e.message : String(e);
      log(`edit suite failed: ${editError}`);
    }
  }

  // Execution suite: time per inference, quantized vs its float twin (Node children, then Chromium).
  let execRows: ExecRow[] = [];
  let execBrowser: Awaited<ReturnType<typeof runExecBrowser>> | undefined;
  let execError: string | undefined;
  const execs = execCases().filter((c) => !args.only.length || args.only.some((s) => c.id.includes(s)));
  if (args.exec && execs.length) {
    if (args.node || args.execOnly) execRows = await runExecNode(execs, args.runs);
    if (runBrowser) {
      try {
        execBrowser = await runExecBrowser(execs, args.runs);
      } catch (e) {
        execError = e instanceof Error ? e.message : String(e);
        log(`exec browser suite failed: ${execError}`);
      }
    }
  }

  // Large suite: 1 GB external-data model, 100 MB CNN, 20,000 nodes; load time and peak memory.
  let largeRows: LargeRow[] = [];
  let largeError: string | undefined;
  if (runBrowser && args.large) {
    try {
      largeRows = await runLargeSuite({ keep: args.keep, log, build: !browser });
    } catch (e) {
      largeError = e instanceof Error ? e.message : String(e);
      log(`large suite failed: ${largeError}`);
    }
  }

  // Precision explorer: a 20-quantizer CNN's sensitivity pass and front, 1 and 2 runners (bench/sweep.ts).
  let sweepRows: SweepBenchRow[] = [];
  let sweepError: string | undefined;
  if (args.sweep) {
    try {
      sweepRows = await runSweepBench([1, 2], 32, log);
    } catch (e) {
      sweepError = e instanceof Error ? e.message : String(e);
      log(`sweep suite failed: ${sweepError}`);
    }
  }
  // The same sweep in Chromium: the Explore panel on the production build, the pool the app chooses.
  let sweepBrowser: SweepBrowserRow | undefined;
  let sweepBrowserError: string | undefined;
  if (args.sweep && runBrowser) {
    try {
      sweepBrowser = await runSweepBrowser({ samples: 32, built: !!browser || !!edit || largeRows.length > 0, log });
    } catch (e) {
      sweepBrowserError = e instanceof Error ? e.message : String(e);
      log(`sweep suite in Chromium failed: ${sweepBrowserError}`);
    }
  }

  const wall = performance.now() - started;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const out: string[] = [];
  if (args.node) out.push(nodeReport(rows, args, cpu), '');
  if (costRows.length) out.push(costReport(costRows, args), '');
  if (cliStartup) out.push(cliStartupReport(cliStartup, args.runs), '');
  else if (cliError) out.push('## CLI start-up, whole process', '', `The CLI start-up suite failed: ${cliError}`, '');
  if (browser) out.push(browserReport(browser), '');
  else if (browserError) out.push('## In the browser', '', `The browser suite failed: ${browserError}`, '');
  if (edit) out.push(editReport(edit), '');
  else if (editError) out.push('## Edit → cost on screen', '', `The edit suite failed: ${editError}`, '');
  if (execRows.length || execBrowser) out.push(execReport(execRows, args.runs, execBrowser), '');
  if (execError) out.push(`The execution suite's Chromium part failed: ${execError}`, '');
  if (largeRows.length) out.push(largeReport(largeRows), '');
  else if (largeError) out.push('## Large models in Chromium', '', `The large suite failed: ${largeError}`, '');
  if (sweepRows.length) out.push(sweepTable(sweepRows), '');
  else if (sweepError) out.push('## Precision explorer (sweep) in Node', '', `The sweep suite failed: ${sweepError}`, '');
  if (sweepBrowser) out.push(sweepBrowserTable(sweepBrowser), '');
  else if (sweepBrowserError) out.push('## Precision explorer (sweep) in Chromium', '', `The sweep suite failed in Chromium: ${sweepBrowserError}`, '');
  out.push(`Bench wall time: ${ms(wall)}${args.node && browser ? ` (Node suite ${ms(nodeWall)}, browser suite ${ms(browser.wallMs)})` : ''}.`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (args.json) writeFileSync(args.json, JSON.stringify({ runs: args.runs, node: process.version, cpu, wallMs: wall, rows: rows.map((r) => ({ id: r.c.id, file: relative(REPO_ROOT, r.file), target: r.c.target, core: r.core, elk: r.elk })), cost: costRows.map((r) => ({ id: r.c.id, target: r.c.cost, result: r.cost })), browser: browser && { ...browser, cases: browser.cases.map(({ c, ...rest }) => ({ id: c.id, target: c.target, ...rest })) }, browserError, edit, editError, exec: execRows.map((r) => ({ id: r.c.id, result: r.node })), execBrowser: execBrowser?.rows.map(({ c, ...rest }) => ({ id: c.id, ...rest })), execPage: execBrowser?.page?.map(({ c, ...rest }) => ({ id: c.id, ...rest })), execError, large: largeRows, largeError, sweep: sweepRows, sweepError, sweepBrowser, sweepBrowserError, cliStartup: cliStartup && cliStartup.rows.map((r) => ({ id: r.c.id, times: r.times, error: r.error })), cliStartupCheck: cliStartup?.check, cliError }, null, 2));
}

function nodeReport(rows: Row[], args: Args, cpu: string): string {
  const out: string[] = [];
  out.push(`## Core open path in Node (median of ${args.runs} run${args.runs > 1 ? 's' : ''})`);
  out.push('');
  out.push(`Node ${process.version}, ${cpu} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM. Each model runs in its own process.`);
  out.push('');
  out.push(coreTable(rows));
  out.push('');
  out.push('- total = decode + validate + view (buildViewGraph, constants and weight quantizers folded) + layout (layeredLayout); encode (export) is not part of it.');
  out.push('- Every run decodes afresh; with several runs the median is JIT-warm, a single run (`--quick`) is closer to a cold first open.');
  out.push('- rt: `=` when encode(decode(file)) is byte-identical to the file.');
  out.push('- peak RSS is the whole child process (Node + loader + model); peak heap is V8 heapUsed (tensor bytes live outside it, in ArrayBuffers).');
  out.push("- Targets and Netron's figures (from the issue) are for opening the model in the browser, up to a usable picture; the Node core numbers here are the lower bound the app builds on.");
  if (args.elk && rows.some((r) => r.elk)) {
    out.push('');
    out.push(`## Layered layout: ours vs ELK (same view nodes, sizes and edges; ELK timeout ${ms(args.elkTimeoutMs)})`);
    out.push('');
    out.push(elkTable(rows, args.elkTimeoutMs));
  }
  return out.join('\n');
}

interface CostRow {
  c: BenchCase;
  cost: ChildOutcome<CostResult>;
}

function costReport(rows: CostRow[], args: Args): string {
  const ok = (r: CostRow, f: (v: CostResult) => string) => (r.cost.status === 'ok' ? f(r.cost.value) : '');
  const met = (r: CostRow) => ok(r, (v) => (r.c.cost!.ms === undefined ? '' : median(v.total) < r.c.cost!.ms ? 'yes' : 'NO'));
  const cols: Column<CostRow>[] = [
    { header: 'model', align: 'left', cell: (r) => (r.cost.status === 'ok' ? r.c.id : `${r.c.id} (${r.cost.status === 'timeout' ? 'timed out' : `error: ${r.cost.message}`})`) },
    { header: 'nodes', cell: (r) => ok(r, (v) => String(v.nodes)) },
    { header: 'costed', cell: (r) => ok(r, (v) => String(v.costedNodes)) },
    { header: 'errors', cell: (r) => ok(r, (v) => String(v.errors)) },
    { header: 'first run', cell: (r) => ok(r, (v) => ms(v.total[0])) },
    { header: 'preprocess', cell: (r) => ok(r, (v) => ms(median(v.preprocess))) },
    { header: 'inferenceCost', cell: (r) => ok(r, (v) => ms(median(v.total))) },
    { header: 'min', cell: (r) => ok(r, (v) => ms(Math.min(...v.total))) },
    { header: 'target', align: 'left', cell: (r) => (r.c.cost!.ms !== undefined ? `< ${ms(r.c.cost!.ms)} (${r.c.cost!.label})` : r.c.cost!.label) },
    { header: 'met', cell: met },
  ];
  const out: string[] = [];
  out.push(`## Inference cost in Node (median of ${args.runs} run${args.runs > 1 ? 's' : ''})`);
  out.push('');
  out.push(markdownTable(cols, rows));
  out.push('');
  out.push('- inferenceCost: the whole of `inferenceCost(model)` with default options (discount sparsity): the reference\'s preprocessing (unique parameters, datatype inference, constant folding with weight quantizers, cleanup), unique node names, shapes, datatypes and the per-node costs. Each run on a freshly decoded model (decoding not timed), in one process: the median is JIT-warm, the first run is cold.');
  out.push('- preprocess: `preprocessForCost` alone, timed the same way; the rest of inferenceCost is naming, shape and datatype inference on the result, and costing.');
  out.push(`- Load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')} (1 / 5 / 15 min) at the end of the suite: on a busy machine every figure grows.`);
  for (const r of rows) {
    if (r.cost.status !== 'ok' || !r.cost.value.profile) continue;
    const p = r.cost.value.profile;
    out.push('');
    out.push(`### Where the time goes: ${r.c.id} (one profiled run: ${ms(p.totalMs)} in inferenceCost and garbage collection)`);
    out.push('');
    out.push('Inclusive time of the main stages (a stage called several times is summed; stages nest):');
    out.push('');
    out.push(markdownTable<CostProfileRow>([
      { header: 'stage', align: 'left', cell: (e) => e.fn },
      { header: 'ms', cell: (e) => ms(e.ms) },
      { header: 'share', cell: (e) => `${(100 * e.share).toFixed(0)} %` },
    ], p.stages));
    out.push('');
    out.push('Top functions by self time:');
    out.push('');
    out.push(markdownTable<CostProfileRow>([
      { header: 'function', align: 'left', cell: (e) => e.fn },
      { header: 'where', align: 'left', cell: (e) => e.where },
      { header: 'ms', cell: (e) => ms(e.ms) },
      { header: 'share', cell: (e) => `${(100 * e.share).toFixed(1)} %` },
    ], p.self));
  }
  return out.join('\n');
}

type CostProfileRow = NonNullable<CostResult['profile']>['self'][number];

function browserReport(b: BrowserSuiteResult): string {
  const out: string[] = [];
  out.push(`## In the browser: file-open to graph drawn (median of ${b.runs} run${b.runs > 1 ? 's' : ''})`);
  out.push('');
  out.push(`${b.browser} headless (${b.executable}), ${cpus().length} cores (load average ${b.load[0].toFixed(1)} before, ${b.load[1].toFixed(1)} after), production build (vite build, ${ms(b.buildMs)}) served by vite preview; every run in a fresh browser context and page.`);
  out.push('');
  out.push(browserTable(b));
  out.push('');
  out.push('- Page: service workers blocked (the production worker reloads a first visit once to become cross-origin isolated), the start screen shown and the model worker started and warmed up (`__qonnxStudio.ready`), as by the time a user has picked a file.');
  out.push('- Clock: t0 in the page just before `new File(bytes)` and `openFiles([file])` (the path a drop takes); the bytes were fetched into the page beforehand, untimed.');
  out.push('- → drawn: the graph canvas painted the current layout (`window.__qonnxFrame.at`, set in the requestAnimationFrame that draws it). → doc / → layout: when the store received the decoded model and the laid-out graph.');
  out.push('- The columns between MB and layout.ms are the stage times the app itself records in `doc.timings`. In the worker: read (the file, in one piece), copy (the bytes sent to the page), decode, check (validation, summary), analyse (shapes and datatypes), view (view graph), layout (layeredLayout), pack (view as JSON slices). On the page: receive (view in slices of ≤ 16 ms, analysis in slices of ≤ 8 ms), pageDecode (the page\'s own copy of the model\'s fields, without the graph: the page decodes its graph only when something reads it, or for a model of over 5,000 nodes and initializers in idle time after the picture). paint: → drawn minus → layout (React render and first canvas frame).');
  out.push('- again: → drawn when the same file is opened a second time in the same page (worker running, code compiled): what a fresh page load adds is the difference.');
  out.push('- longest task: longest main-thread task (≥ 50 ms, PerformanceObserver) between t0 and drawn: how long the page was frozen at a stretch.');
  out.push('- JS heap: main thread (CDP Performance.getMetrics) after the open, and in brackets after a forced GC; the worker\'s heap and ArrayBuffers (tensor bytes) are not in it.');
  out.push("- met: median → drawn at most the issue's target (0.6x Netron), and for the 20,000-node graph the median longest task under 100 ms. Netron: the issue's figure for Netron 9.2 on the same model (the development machine, same protocol).");
  const smooth = smoothnessTable(b);
  if (b.cases.some((c) => c.smooth || c.smoothError)) {
    out.push('');
    out.push('### Pan and zoom (last run, after the graph was drawn; fit the whole graph first)');
    out.push('');
    if (b.cases.some((c) => c.smooth)) out.push(smooth);
    for (const c of b.cases) if (c.smoothError) out.push(`- ${c.c.id}: ${c.smoothError}`);
    out.push('');
    out.push('- One wheel step (deltaY −100, zoom ×1.15 at the centre) or one mouse move of a drag every ~16 ms; frame intervals between requestAnimationFrame callbacks from the first input to two frames after the last. A display refresh is 16.7 ms; a frame that overruns shows as 33 ms or more.');
    out.push('- main busy: main-thread task time (CDP Performance.getMetrics TaskDuration) over the span: the headroom left.');
  }
  const prof = profileReport(b);
  if (prof) {
    out.push('');
    out.push('### Where the time goes (CPU profile of one more open per model: page main thread and model worker, top self time)');
    out.push('');
    out.push('V8 sampling profiler via a Chrome trace, on an unminified build, positions mapped to sources through its source maps. (program) is native work outside JavaScript: style, layout, paint, parsing and compiling scripts, messaging. The profiler slows the open down a little.');
    out.push('');
    out.push(prof);
  }
  return out.join('\n');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
