import { useEffect, useState } from 'react';
import { useApp } from './store.js';
import { afterPaint } from './open.js';
import { ModelPanel } from './sidebar/ModelPanel.js';
import { NodePanel } from './sidebar/NodePanel.js';
import { TensorPanel } from './sidebar/TensorPanel.js';

export function Sidebar() {
  const selection = useApp((s) => s.selection);
  const tab = useApp((s) => s.sidebarTab);
  // The first model's panels fill in once its graph is on screen: the graph is what the user waits for.
  const [ready, setReady] = useState(false);
  useEffect(() => afterPaint(() => setReady(true)), []);
  return (
    <aside className="sidebar" data-testid="sidebar">
      <div className="tabs">
        <button className={tab === 'model' ? 'is-active' : ''} onClick={() => useApp.getState().setSidebarTab('model')}>Model</button>
        <button className={tab === 'selection' ? 'is-active' : ''} disabled={!selection} onClick={() => useApp.getState().setSidebarTab('selection')}>
          {selection?.kind === 'tensor' ? 'Tensor' : 'Node'}
        </button>
      </div>
      <div className="sidebar-body">
        {!ready ? null : tab === 'model' || !selection ? <ModelPanel /> : selection.kind === 'node' ? <NodePanel index={selection.index} /> : <TensorPanel name={selection.name} />}
      </div>
    </aside>
  );
}
