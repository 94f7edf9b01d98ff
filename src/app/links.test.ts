import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../core/onnx/codec.js';
import { TEST_MODELS } from '../core/testing/paths.js';
import { formatLinkHash, linkHref, parseLinkHash, resolveLink, targetOf } from './links.js';

const load = (f: string) => decodeModel(new Uint8Array(readFileSync(path.join(TEST_MODELS, f))));
// A PyTorch export: node names like '/conv1/Conv', tensors like 'onnx::Conv_41'.
const ESPCN = load('qonnx_espcn_nnresize_float.onnx');

describe('link hash', () => {
  it('round-trips every node and tensor name of a PyTorch export through the hash', () => {
    const nodes = ESPCN.graph!.node!;
    const tensors = new Set(nodes.flatMap((n) => [...(n.input ?? []), ...(n.output ?? [])]).filter(Boolean));
    expect(nodes.some((n) => n.name!.includes('/'))).toBe(true);
    expect([...tensors].some((t) => t.includes('::'))).toBe(true);
    for (const n of nodes) {
      const h = formatLinkHash({ node: n.name!, panel: 'cost' });
      expect(h).not.toMatch(/[/:]/); // encoded: the hash has one meaning whatever the name holds
      expect(parseLinkHash(h)).toEqual({ node: n.name, panel: 'cost', unknown: [] });
    }
    for (const t of tensors) expect(parseLinkHash(formatLinkHash({ tensor: t }))).toEqual({ tensor: t, unknown: [] });
  });

  it('keeps separators and odd characters inside a name', () => {
    for (const name of ['a&panel=run', 'x#y', '50% done', 'ünïcode name', 'a=b=c']) {
      expect(parseLinkHash(formatLinkHash({ node: name, panel: 'run' }))).toEqual({ node: name, panel: 'run', unknown: [] });
    }
  });

  it('reads a hash typed by hand: raw slashes and colons, a lone %, no leading #', () => {
    expect(parseLinkHash('#node=/conv1/Conv').node).toBe('/conv1/Conv');
    expect(parseLinkHash('tensor=onnx::Conv_41').tensor).toBe('onnx::Conv_41');
    expect(parseLinkHash('#node=100%').node).toBe('100%');
    expect(parseLinkHash('#node=%2Fconv1%2FConv').node).toBe('/conv1/Conv');
  });

  it('lists what it does not understand instead of guessing', () => {
    expect(parseLinkHash('#panel=costs&zoom=2')).toEqual({ unknown: ['panel=costs', 'zoom=2'] });
    expect(parseLinkHash('')).toEqual({ unknown: [] });
    expect(formatLinkHash({})).toBe('');
    for (const p of ['cost', 'quantizers', 'run', 'explore'] as const) expect(parseLinkHash(`#panel=${p}`).panel).toBe(p);
  });
});

describe('resolveLink on a real model', () => {
  it('finds every node by its name, a tensor (initializer or activation) by its name', () => {
    ESPCN.graph!.node!.forEach((n, index) => {
      expect(resolveLink(ESPCN, parseLinkHash(formatLinkHash({ node: n.name! })))).toEqual({ selection: { kind: 'node', index }, panel: undefined, missing: [] });
    });
    for (const t of ['onnx::Conv_41', '/conv1/Conv_output_0', ESPCN.graph!.input![0].name!, ESPCN.graph!.output![0].name!])
      expect(resolveLink(ESPCN, parseLinkHash(formatLinkHash({ tensor: t }))).selection).toEqual({ kind: 'tensor', name: t });
  });

  it('says which name the model does not have and still applies the panel', () => {
    const r = resolveLink(ESPCN, parseLinkHash('#node=%2Fconv9%2FConv&panel=quantizers'));
    expect(r.selection).toBeNull();
    expect(r.panel).toBe('quantizers');
    expect(r.missing).toEqual(['No node named "/conv9/Conv" in this model.']);
    expect(resolveLink(ESPCN, parseLinkHash('#tensor=nope')).missing).toEqual(['No tensor named "nope" in this model.']);
    expect(resolveLink(ESPCN, parseLinkHash('#panel=bogus')).missing[0]).toContain('"panel=bogus"');
  });
});

describe('targetOf', () => {
  it('names the selected node, tensor and panel; an unnamed node gives no node', () => {
    expect(targetOf(ESPCN, { kind: 'node', index: 1 }, 'run')).toEqual({ node: '/conv1/Conv', panel: 'run' });
    expect(targetOf(ESPCN, { kind: 'tensor', name: 'onnx::Conv_41' }, undefined)).toEqual({ tensor: 'onnx::Conv_41' });
    const finn = load('finn_cybsec_PE_SIMD.onnx');
    expect(finn.graph!.node![0].name ?? '').toBe('');
    expect(targetOf(finn, { kind: 'node', index: 0 }, undefined)).toEqual({});
  });
});

describe('linkHref', () => {
  const base = 'https://x.github.io/studio/';
  it('keeps ?url= as written when it names the open model, and replaces the hash', () => {
    expect(linkHref(`${base}?url=samples/m.onnx#node=a`, base, 'samples/m.onnx', '#node=%2Fb')).toBe(`${base}?url=samples/m.onnx#node=%2Fb`);
    expect(linkHref(`${base}?url=samples/m.onnx#node=a`, base, 'samples/m.onnx', '')).toBe(`${base}?url=samples/m.onnx`);
  });

  it('puts the source of a model opened by address into ?url= (relative when under the app), keeping other parameters', () => {
    expect(linkHref(`${base}?theme=dark`, base, `${base}samples/m.onnx`, '#panel=cost')).toBe(`${base}?theme=dark&url=samples/m.onnx#panel=cost`);
    expect(linkHref(base, base, 'https://raw.githubusercontent.com/o/r/main/m.onnx', '')).toBe(`${base}?url=https://raw.githubusercontent.com/o/r/main/m.onnx`);
    // a URL with its own query is encoded so its '&' stays inside ?url=
    const withQuery = linkHref(base, base, 'https://h.example/get?f=a.onnx&v=2', '');
    expect(new URL(withQuery).searchParams.get('url')).toBe('https://h.example/get?f=a.onnx&v=2');
  });

  it('drops a ?url= of another model when the open one came from a local file', () => {
    expect(linkHref(`${base}?url=samples/m.onnx&theme=dark#node=a`, base, undefined, '#node=b')).toBe(`${base}?theme=dark#node=b`);
  });
});
