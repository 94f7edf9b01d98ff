/**
 * CLI start-up, whole process: `cost` on TFC as a user types it (node bin/qonnx-studio.cjs, npm run cli,
 * and the tsx development path), next to `node -e 1` (Node's own start) and the Python tool's figure from
 * issue 14 (qonnx-inference-cost on the same model, measured on the development machine). The commands
 * run alternated, after one unmeasured round (which also writes the code cache).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './synthFiles.js';
import { markdownTable, median, ms, type Column } from './table.js';

const TFC = 'testdata/models/zoo_TFC_1W1A.onnx';
/** qonnx-inference-cost on TFC as a whole process, from issue 14 */
const PYTHON_TFC_MS = 310;
/** `node -e 1` on the issue's machine, from issue 14 */
const ISSUE_NODE_MS = 50;
/** `npm run` itself, per call, from issue 14 */
const NPM_MS = 180;

interface StartupCase {
  id: string;
  command: string[];
  env?: Record<string, string>;
  /** what it should take, and why */
  target?: { ms: number; what: string };
  /** the same command on the issue's machine (issue 14), when the issue gives it */
  issueMs?: number;
  note?: string;
}

export interface CliStartupRow {
  c: StartupCase;
  times: number[];
  error?: string;
}

function cases(): StartupCase[] {
  const node = process.execPath;
  return [
    { id: 'node -e 1', command: [node, '-e', '1'], issueMs: ISSUE_NODE_MS, note: "Node's own start and exit: the floor" },
    { id: `node bin/qonnx-studio.cjs cost TFC`, command: [node, 'bin/qonnx-studio.cjs', 'cost', TFC], target: { ms: PYTHON_TFC_MS / 2, what: "half the Python tool's" }, note: 'compiled bundle, code cache warm' },
    { id: `  same, QONNX_STUDIO_NO_CODE_CACHE=1`, command: [node, 'bin/qonnx-studio.cjs', 'cost', TFC], env: { QONNX_STUDIO_NO_CODE_CACHE: '1' }, note: 'compiled bundle, parsed and compiled every call' },
    { id: `npm run --silent cli -- cost TFC`, command: ['npm', 'run', '--silent', 'cli', '--', 'cost', TFC], target: { ms: PYTHON_TFC_MS, what: "the Python tool's" }, note: `npm adds ~${NPM_MS} ms (issue)` },
    { id: `npm run --silent cli:dev -- cost TFC`, command: ['npm', 'run', '--silent', 'cli:dev', '--', 'cost', TFC], issueMs: 550, note: 'tsx compiles the TypeScript sources at start-up (development; `npm run cli` before the compiled CLI)' },
  ];
}

/** With `realtime`, each process runs under `chrt -f 10` (SCHED_FIFO; needs root): other jobs on a shared machine no longer queue ahead of it. */
function timeOnce(c: StartupCase, realtime: boolean): number {
  const cmd = realtime ? ['chrt', '-f', '10', ...c.command] : c.command;
  const t0 = performance.now();
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd: REPO_ROOT, env: { ...process.env, ...c.env }, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  const t = performance.now() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${c.id}: exit ${r.status}: ${r.stderr.toString().slice(0, 300)}`);
  return t;
}

/** The launcher's staleness check alone: one stat per file the bundle was built from (as bin/qonnx-studio.cjs does). */
function stalenessCheckMs(runs: number): { times: number[]; files: number } {
  const times: number[] = [];
  let files = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'dist-cli/manifest.json'), 'utf8')) as { builtAt: number; inputs: string[] };
    let newer = 0;
    for (const f of manifest.inputs) if (statSync(join(REPO_ROOT, f)).mtimeMs > manifest.builtAt) newer++;
    times.push(performance.now() - t0);
    files = manifest.inputs.length;
    if (newer) throw new Error('the CLI build is stale after a warm-up call');
  }
  return { times, files };
}

export interface CliStartupResult {
  rows: CliStartupRow[];
  check: { times: number[]; files: number };
  realtime: boolean;
}

export function runCliStartup(runs: number, log: (s: string) => void, realtime = false): CliStartupResult {
  const rows: CliStartupRow[] = cases().map((c) => ({ c, times: [] }));
  log('cli   start-up: warm-up round (builds dist-cli/ if stale, writes the code cache) ...');
  for (const r of rows) {
    try {
      timeOnce(r.c, realtime);
    } catch (e) {
      r.error = e instanceof Error ? e.message : String(e);
    }
  }
  for (let i = 0; i < runs; i++) {
    log(`cli   start-up: round ${i + 1}/${runs} ...`);
    for (const r of rows) if (!r.error) r.times.push(timeOnce(r.c, realtime));
  }
  return { rows, check: stalenessCheckMs(Math.max(5, runs)), realtime };
}

export function cliStartupReport(res: CliStartupResult, runs: number): string {
  const med = (r: CliStartupRow) => (r.error ? `error: ${r.error}` : ms(median(r.times)));
  // rounds are alternated, so a row minus `node -e 1` of the same round removes most of the machine's load
  const floor = res.rows[0];
  // this machine's speed against the issue's, by Node's own start: the median times 50 ms / node -e 1 here
  const scaled = (r: CliStartupRow) => (median(r.times) * ISSUE_NODE_MS) / median(floor.times);
  const above = (r: CliStartupRow) => (r === floor || !r.times.length || floor.times.length !== r.times.length ? '' : ms(median(r.times.map((t, i) => t - floor.times[i]))));
  const cols: Column<CliStartupRow>[] = [
    { header: 'command (TFC = zoo_TFC_1W1A.onnx)', align: 'left', cell: (r) => r.c.id },
    { header: `median of ${runs}`, cell: med },
    { header: 'min', cell: (r) => (r.times.length ? ms(Math.min(...r.times)) : '') },
    { header: "scaled to the issue's machine", cell: (r) => (r.times.length && r !== floor ? ms(scaled(r)) : '') },
    { header: 'above node -e 1', cell: above },
    { header: 'issue 14', cell: (r) => (r.c.issueMs ? ms(r.c.issueMs) : '') },
    { header: 'qonnx-inference-cost (issue)', cell: (r) => (r.c.id.includes('cost') ? ms(PYTHON_TFC_MS) : '') },
    { header: 'target', align: 'left', cell: (r) => (r.c.target ? `< ${ms(r.c.target.ms)} (${r.c.target.what})` : '') },
    { header: 'met (here / scaled)', cell: (r) => (r.c.target && r.times.length ? `${median(r.times) < r.c.target.ms ? 'yes' : 'no'} / ${scaled(r) < r.c.target.ms ? 'yes' : 'NO'}` : '') },
    { header: 'what', align: 'left', cell: (r) => r.c.note ?? '' },
  ];
  return [
    '## CLI start-up, whole process',
    '',
    `Each command is a new process, timed from spawn to exit by the bench${res.realtime ? ' and run under \`chrt -f 10\` (real-time priority: other jobs on the machine do not delay it)' : ''}; the commands run alternated. "issue 14" and the Python figure were measured on the development machine when the issue was filed (same model); compare \`node -e 1\` here with its 50 ms there to see how loaded this run was.`,
    '',
    markdownTable(cols, res.rows),
    '',
    "- scaled: the median times 50 ms / `node -e 1` of this run (Node's start on the issue's machine against here), an estimate of the figure on the machine the issue's targets were set on; \"met\" says whether the target holds here as measured and after scaling.",
    `- The launcher's staleness check (one stat per source the bundle was built from, ${res.check.files} files): median ${ms(median(res.check.times))}.`,
    '- "above node -e 1": the median over rounds of the row minus `node -e 1` in the same round: what the command adds to Node\'s own start, the figure least moved by other load on the machine.',
  ].join('\n');
}
