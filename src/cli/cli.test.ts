import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { int64From, type Model } from '../core/ir/types.js';
import { encodeModel } from '../core/onnx/codec.js';
import { walkModel } from '../core/testing/wireWalker.js';
import { run } from './main.js';
import { repoRoot } from '../core/testing/paths.js';

const ROOT = repoRoot();
const MODELS = path.resolve(ROOT, 'testdata/models');
const TFC = path.join(MODELS, 'zoo_TFC_2W2A.onnx');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qonnx-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Run the real CLI in a child process, the way a user does. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run in-process (fast) with captured output. */
async function cliInProcess(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const noStackTrace = (s: string) => expect(s).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

describe('cli info', () => {
  it('info --json on zoo_TFC_2W2A.onnx has the documented keys and the walker’s counts', () => {
    const r = cli('info', TFC, '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc).slice(0, 7)).toEqual(['ir_version', 'producer', 'opsets', 'node_count', 'op_histogram', 'inputs', 'outputs']);
    const w = walkModel(new Uint8Array(fs.readFileSync(TFC)));
    expect(doc.node_count).toBe(w.graph!.nodes.length);
    expect(doc.ir_version).toBe(Number(w.irVersion));
    expect(doc.producer).toBe(w.producerName);
    expect(doc.opsets).toEqual({ 'ai.onnx': Number(w.opsets[0].version) });
    const quant = w.graph!.nodes.filter((n) => n.domain === 'onnx.brevitas' && n.opType === 'Quant').length;
    expect(doc.op_histogram['onnx.brevitas::Quant']).toBe(quant);
    expect(Object.values(doc.op_histogram as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(w.graph!.nodes.length);
    expect(doc.inputs).toEqual([{ name: '0', shape: [1, 1, 28, 28], datatype: 'FLOAT32' }]);
    expect(doc.outputs).toEqual([{ name: '90', shape: [1, 10], datatype: 'FLOAT32' }]);
    for (const io of [...doc.inputs, ...doc.outputs]) expect(Object.keys(io)).toEqual(['name', 'shape', 'datatype']);
  });

  it('info without --json prints a readable summary', async () => {
    const r = await cliInProcess('info', TFC);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/IR version\s+6/);
    expect(r.stdout).toMatch(/Nodes\s+31/);
    expect(r.stdout).toMatch(/onnx\.brevitas::Quant\s+8/);
    expect(r.stdout).toMatch(/0\s+\[1,1,28,28\]\s+FLOAT/);
    expect(() => JSON.parse(r.stdout)).toThrow();
  });
});

describe('cli roundtrip', () => {
  it('writes identical bytes and says so', () => {
    const out = path.join(tmp, 'rt', 'out.onnx');
    const r = cli('roundtrip', TFC, out);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const size = fs.statSync(TFC).size;
    expect(JSON.parse(r.stdout)).toEqual({ bytes_in: size, bytes_out: size, identical: true });
    expect(Buffer.compare(fs.readFileSync(out), fs.readFileSync(TFC))).toBe(0);
  });

  it.each(fs.readdirSync(MODELS).filter((f) => f.endsWith('.onnx')))('%s round-trips identically', async (f) => {
    const out = path.join(tmp, 'all', f);
    const r = await cliInProcess('roundtrip', path.join(MODELS, f), out);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).identical).toBe(true);
    expect(Buffer.compare(fs.readFileSync(out), fs.readFileSync(path.join(MODELS, f)))).toBe(0);
  });
});

describe('cli failures', () => {
  it('a truncated model exits 1 with error: and the byte position, no stack trace', () => {
    const bad = path.join(tmp, 'cut.onnx');
    const full = fs.readFileSync(TFC);
    fs.writeFileSync(bad, full.subarray(0, full.length >> 1));
    const r = cli('info', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: 'cut\.onnx' is truncated/);
    expect(r.stderr).toMatch(/\n {2}at byte \d+\n$/);
    noStackTrace(r.stderr);
  });

  it('a JSON file named .onnx exits 1 with a wrong-format message', () => {
    const bad = path.join(tmp, 'config.onnx');
    fs.writeFileSync(bad, '{"model": "not really"}\n');
    const r = cli('validate', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*JSON text/);
    noStackTrace(r.stderr);
  });

  it('a missing file exits 1', () => {
    const r = cli('info', path.join(tmp, 'does-not-exist.onnx'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot read .*does-not-exist\.onnx.*no such file/);
    noStackTrace(r.stderr);
  });

  it('an empty file exits 1', async () => {
    const f = path.join(tmp, 'empty.onnx');
    fs.writeFileSync(f, '');
    const r = await cliInProcess('info', f);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: 'empty\.onnx' is empty/);
  });

  it('an unknown command exits 2 with the usage', () => {
    const r = cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown command 'frobnicate'/);
    expect(r.stderr).toContain('info MODEL');
  });

  it('wrong arguments exit 2 with the command usage', async () => {
    const a = await cliInProcess('info');
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/missing MODEL/);
    expect(a.stderr).toContain('usage: qonnx-studio info MODEL [--json]');
    const b = await cliInProcess('info', TFC, '--jsn');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/unknown option '--jsn'/);
    const c = await cliInProcess('roundtrip', TFC);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/missing OUT/);
  });

  it('no arguments and help print the usage with every command', async () => {
    for (const args of [[], ['help'], ['--help']]) {
      const r = await cliInProcess(...args);
      expect(r.code).toBe(0);
      for (const c of ['info', 'validate', 'roundtrip', 'help']) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    }
    const one = await cliInProcess('help', 'roundtrip');
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('usage: qonnx-studio roundtrip IN OUT');
    expect((await cliInProcess('help', 'nope')).code).toBe(2);
  });
});

describe('cli validate', () => {
  it('a clean model prints [] and exits 0', async () => {
    const r = await cliInProcess('validate', TFC);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('a dangling input is printed as JSON and exits 1', () => {
    const m: Model = {
      irVersion: int64From(8),
      opsetImport: [{ domain: '', version: int64From(13) }],
      graph: {
        name: 'g',
        node: [{ opType: 'Add', name: 'adder', input: ['x', 'nowhere'], output: ['y'] }],
        input: [{ name: 'x', type: { tensorType: { elemType: 1 } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      },
    };
    const f = path.join(tmp, 'dangling.onnx');
    fs.writeFileSync(f, encodeModel(m));
    const r = cli('validate', f);
    expect(r.code).toBe(1);
    const problems = JSON.parse(r.stdout);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'error', code: 'dangling-input', node: 0, tensor: 'nowhere' });
    expect(problems[0].message).toContain('adder');
  });
});

describe('cli with external data', () => {
  const weights = new Uint8Array(32).map((_, i) => i * 3);
  function writeModel(dir: string): string {
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    const m: Model = {
      irVersion: int64From(8),
      opsetImport: [{ domain: '', version: int64From(13) }],
      graph: {
        name: 'g',
        node: [{ opType: 'Add', name: 'add', input: ['x', 'B'], output: ['y'] }],
        initializer: [
          {
            name: 'B',
            dataType: 1,
            dims: [int64From(8)],
            dataLocation: 1,
            externalData: [
              { key: 'location', value: 'data/b.bin' },
              { key: 'offset', value: '0' },
              { key: 'length', value: '32' },
            ],
          },
        ],
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: int64From(8) }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: int64From(8) }] } } } }],
      },
    };
    const file = path.join(dir, 'm.onnx');
    fs.writeFileSync(file, encodeModel(m));
    fs.writeFileSync(path.join(dir, 'data/b.bin'), weights);
    return file;
  }

  it('info lists the external file; roundtrip copies it next to OUT', async () => {
    const file = writeModel(path.join(tmp, 'ext-a'));
    const info = await cliInProcess('info', file, '--json');
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout).external_data).toEqual([{ location: 'data/b.bin', exists: true, bytes: 32 }]);
    const out = path.join(tmp, 'ext-b', 'nested', 'copy.onnx');
    const r = cli('roundtrip', file, out);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ identical: true, external_files_copied: ['data/b.bin'] });
    expect(Array.from(fs.readFileSync(path.join(path.dirname(out), 'data/b.bin')))).toEqual(Array.from(weights));
  });

  it('roundtrip into the same directory does not copy', async () => {
    const file = writeModel(path.join(tmp, 'ext-same'));
    const r = await cliInProcess('roundtrip', file, path.join(tmp, 'ext-same', 'again.onnx'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ bytes_in: fs.statSync(file).size, bytes_out: fs.statSync(file).size, identical: true });
  });

  it('a missing external file: info still works, roundtrip fails naming the file and writes nothing', () => {
    const file = writeModel(path.join(tmp, 'ext-missing'));
    fs.rmSync(path.join(tmp, 'ext-missing', 'data/b.bin'));
    const info = cli('info', file);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/data\/b\.bin\s+MISSING/);
    const out = path.join(tmp, 'ext-missing-out', 'x.onnx');
    const r = cli('roundtrip', file, out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: External data file 'data\/b\.bin' was not found/);
    noStackTrace(r.stderr);
    expect(fs.existsSync(out)).toBe(false);
  });
});
