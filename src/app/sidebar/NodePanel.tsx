import { analyzeModel } from '../../core/analysis/modelAnalysis.js';
import { indexGraph } from '../../core/ir/graphIndex.js';
import { datatypeLabel, formatShape, tensorInfo } from '../../core/ir/tensorInfo.js';
import { nodeBadge, opCategory, QONNX_DOMAINS, quantizerDetail, slotName } from '../../core/view/viewGraph.js';
import { resolveCustomOp } from '../../core/qonnx/registry.js';
import { currentModel, useApp } from '../store.js';
import { ATTR_TYPE_NAMES, attrType, attrValueText } from './format.js';
import { TensorLink } from './TensorLink.js';
import { PrecisionForm } from '../edit/PrecisionForm.js';
import { InlineEdit } from '../edit/InlineEdit.js';
import { deleteNode, renameNode, setAttribute } from '../../core/ir/edit.js';
import { int64From, type Attribute } from '../../core/ir/types.js';
import { int64ToNumber } from '../../core/ir/types.js';

export function NodePanel({ index }: { index: number }) {
  const model = useApp((s) => currentModel(s))!;
  const idx = indexGraph(model.graph ?? {});
  const n = idx.nodes[index];
  if (!n) return <div className="panel"><p className="muted">This node no longer exists in the current version.</p></div>;
  const dom = n.domain ?? '';
  const kind = QONNX_DOMAINS.has(dom) ? 'QONNX custom op' : dom.startsWith('finn.custom_op.fpgadataflow') ? 'FINN hardware op (shown, not executed)' : dom ? 'custom domain' : 'standard ONNX op';
  const badge = nodeBadge(idx, n, analyzeModel(model));
  const detail = opCategory(n) === 'quant' ? quantizerDetail(idx, n) : undefined;
  const def = resolveCustomOp(n, model);
  const present = new Set((n.attribute ?? []).map((a) => a.name));
  const ioRow = (t: string, label: string) => {
    const info = tensorInfo(idx, t, analyzeModel(model));
    return (
      <tr key={label + t}>
        <th>{label}</th>
        <td>{t ? <TensorLink name={t} /> : <span className="muted">(omitted)</span>}</td>
        <td className="mono">{t ? formatShape(info.shape) : ''}</td>
        <td className="mono">{t ? datatypeLabel(info) : ''}{info.isInitializer ? <span className="tag">init</span> : null}</td>
      </tr>
    );
  };
  return (
    <div className="panel" data-testid="node-panel">
      <h2><span className="op-title">{n.opType}</span>{badge ? <span className="badge">{badge}</span> : null}</h2>
      <table className="kv"><tbody>
        <tr><th>Name</th><td className="mono wrap"><span data-testid="node-name">{n.name || <span className="muted">(unnamed)</span>}</span> <InlineEdit value={n.name ?? ''} title="Rename this node" testId="rename-node" iconOnly onCommit={(v) => useApp.getState().edit((m) => renameNode(m, index, v), `Rename node ${n.name} → ${v}`)} /></td></tr>
        <tr><th>Domain</th><td className="mono">{dom || 'ai.onnx'} <span className="muted">· {kind}</span></td></tr>
        <tr><th>Index</th><td>#{index}</td></tr>
        {detail && <tr><th>Quantizer</th><td data-testid="quantizer-detail">{badge} · {detail}</td></tr>}
      </tbody></table>
      <PrecisionForm index={index} />
      {def && (
        <section data-testid="op-doc">
          <h3>{def.opType} v{def.sinceVersion} · what it computes</h3>
          <p>{def.summary}</p>
          <pre className="formula" data-testid="op-formula">{def.formula}</pre>
          <table className="attrs"><tbody>
            {def.attrs.map((a) => (
              <tr key={a.name} className={present.has(a.name) ? '' : 'is-default'}>
                <th className="mono">{a.name}</th>
                <td className="small">
                  <span className="muted">{a.kind}{a.required ? ', required' : a.default !== undefined ? `, default ${JSON.stringify(a.default)}` : ''}{present.has(a.name) ? '' : a.ifMissing ? ` (not set: ${a.ifMissing})` : ' (not set: default applies)'}</span>
                  <br />
                  {a.doc}
                </td>
              </tr>
            ))}
          </tbody></table>
        </section>
      )}
      <section>
        <h3>Attributes ({n.attribute?.length ?? 0})</h3>
        {(n.attribute?.length ?? 0) === 0 ? <p className="muted">none</p> : (
          <table className="attrs" data-testid="attributes"><tbody>
            {(n.attribute ?? []).map((a) => (
              <tr key={a.name}>
                <th className="mono">{a.name}</th>
                <td className="muted small">{ATTR_TYPE_NAMES[attrType(a)] ?? attrType(a)}</td>
                <td className="mono wrap">
                  {isEditableAttr(a) ? (
                    <InlineEdit
                      value={attrEditText(a)}
                      display={attrValueText(a)}
                      title={`Edit ${a.name} (${ATTR_TYPE_NAMES[attrType(a)]})`}
                      testId={`attr-${a.name}`}
                      onCommit={(v) => useApp.getState().edit((m) => setAttribute(m, index, parseAttr(a, v)), `${n.name || n.opType}: ${a.name} = ${v}`)}
                    />
                  ) : (
                    attrValueText(a)
                  )}
                </td>
              </tr>
            ))}
          </tbody></table>
        )}
      </section>
      <section>
        <h3>Inputs</h3>
        <table className="io"><tbody>{(n.input ?? []).map((t, k) => ioRow(t, slotName(n, k)))}</tbody></table>
        <h3>Outputs</h3>
        <table className="io"><tbody>{(n.output ?? []).map((t, k) => ioRow(t, `out${k}`))}</tbody></table>
      </section>
      {n.docString && <section><h3>Description</h3><p className="doc">{n.docString}</p></section>}
      <section className="node-actions">
        <button
          data-testid="delete-node"
          title="Remove this node and connect its consumers to its input (only for one data input and one output)"
          onClick={() => useApp.getState().edit((m) => deleteNode(m, index), `Delete ${n.opType} ${n.name ?? ''}`)}
        >
          Delete node
        </button>
      </section>
    </div>
  );
}

function isEditableAttr(a: Attribute): boolean {
  return [1, 2, 3, 6, 7].includes(attrType(a));
}

function attrEditText(a: Attribute): string {
  switch (attrType(a)) {
    case 1: return String(a.f ?? 0);
    case 2: return String(int64ToNumber(a.i));
    case 3: return new TextDecoder().decode(a.s ?? new Uint8Array());
    case 6: return (a.floats ?? []).join(', ');
    case 7: return (a.ints ?? []).map((v) => int64ToNumber(v)).join(', ');
    default: return '';
  }
}

/** The attribute with a new value parsed from text; the type stays. */
function parseAttr(a: Attribute, text: string): Attribute {
  const t = attrType(a);
  const num = (s: string) => {
    const v = Number(s.trim());
    if (s.trim() === '' || !Number.isFinite(v)) throw new Error(`'${s}' is not a number (attribute ${a.name})`);
    return v;
  };
  const list = text.split(',').filter((x) => x.trim() !== '');
  const base = { name: a.name, type: t };
  switch (t) {
    case 1: return { ...base, f: num(text) };
    case 2: {
      const v = num(text);
      if (!Number.isInteger(v)) throw new Error(`${a.name} needs an integer`);
      return { ...base, i: int64From(v) };
    }
    case 3: return { ...base, s: new TextEncoder().encode(text) };
    case 6: return { ...base, floats: list.map(num) };
    case 7: return { ...base, ints: list.map((x) => { const v = num(x); if (!Number.isInteger(v)) throw new Error(`${a.name} needs integers`); return int64From(v); }) };
    default: return a;
  }
}
