/** DOM renderings of view nodes, used by React Flow when the zoom level makes text readable. */
import { Handle, Position, type NodeProps, type Node as RFNode } from '@xyflow/react';
import { memo } from 'react';
import type { ViewNode } from '../../core/view/viewGraph.js';
import { CATEGORY_COLOR } from './palette.js';
import { useApp } from '../store.js';

/** overlayColor: undefined = no overlay; 'none' = overlay on but this node has no cost */
export type ViewNodeData = { vn: ViewNode; selected: boolean; overlayColor?: string; edited?: boolean };
export type ViewRFNode = RFNode<ViewNodeData, 'op' | 'io'>;

const hidden = { opacity: 0, pointerEvents: 'none' as const };

function OpNodeImpl({ data }: NodeProps<ViewRFNode>) {
  const { vn, selected, overlayColor, edited } = data;
  const color = CATEGORY_COLOR[vn.category];
  const overlayClass = overlayColor === undefined ? '' : overlayColor === 'none' ? ' is-dimmed' : ' has-overlay';
  return (
    <div
      className={`gnode gnode-op${selected ? ' is-selected' : ''}${overlayClass}`}
      style={{ width: vn.width, height: vn.height, ['--cat' as string]: color, ['--overlay' as string]: overlayColor }}
      data-node-id={vn.id}
      data-testid="graph-node"
      title={`${vn.title}${vn.domain ? ` (${vn.domain})` : ''}${vn.subtitle ? `\n${vn.subtitle}` : ''}${vn.floatNote ? `\n${vn.floatNote}` : ''}`}
    >
      <Handle type="target" position={Position.Top} style={hidden} isConnectable={false} />
      <div className="gnode-head">
        <span className="gnode-op-name">{edited ? <span className="edited-dot" title="Edited since the model was opened" data-testid="edited-marker">●</span> : null}{vn.title}</span>
        {vn.badge ? (
          <span className={`gnode-badge${vn.floatNote ? ' is-float' : ''}`} title={vn.floatNote} data-testid={vn.floatNote ? 'float-note' : undefined}>
            {vn.badge}
          </span>
        ) : null}
      </div>
      {vn.subtitle ? <div className="gnode-sub">{vn.subtitle}</div> : null}
      {vn.rows.length > 0 && (
        <div className="gnode-rows">
          {vn.rows.map((r) => (
            <div
              className={`gnode-row${r.quantNode !== undefined ? ' is-quant' : ''}${r.tensor ? ' is-link' : ''}${r.floatNote ? ' is-float' : ''}`}
              key={r.slot + r.tensor}
              data-testid={r.tensor ? 'folded-row' : undefined}
              title={[r.tensor ? `Show tensor ${r.tensor}` : '', r.floatNote ?? ''].filter(Boolean).join('\n') || undefined}
              onClick={(e) => {
                if (!r.tensor) return;
                e.stopPropagation();
                useApp.getState().select({ kind: 'tensor', name: r.tensor });
              }}
            >
              {r.slot ? <span className="gnode-slot">{r.slot}</span> : null}
              <span className="gnode-rowtext">
                {(r.lines ?? [r.text]).map((line, k) => (
                  <span className="gnode-line" key={k}>{line}</span>
                ))}
              </span>
            </div>
          ))}
        </div>
      )}
      <Handle type="source" position={Position.Bottom} style={hidden} isConnectable={false} />
    </div>
  );
}

function IoNodeImpl({ data }: NodeProps<ViewRFNode>) {
  const { vn, selected } = data;
  return (
    <div
      className={`gnode gnode-io gnode-${vn.kind}${selected ? ' is-selected' : ''}`}
      style={{ width: vn.width, height: vn.height }}
      data-node-id={vn.id}
      data-testid="graph-node"
      title={`${vn.kind}: ${vn.title}\n${vn.subtitle}`}
    >
      <Handle type="target" position={Position.Top} style={hidden} isConnectable={false} />
      <div className="gnode-io-kind">{vn.kind === 'const' ? 'constant' : vn.kind}</div>
      <div className="gnode-io-name">{vn.title}</div>
      <div className="gnode-io-type">{vn.subtitle}</div>
      <Handle type="source" position={Position.Bottom} style={hidden} isConnectable={false} />
    </div>
  );
}

export const nodeTypes = { op: memo(OpNodeImpl), io: memo(IoNodeImpl) };
