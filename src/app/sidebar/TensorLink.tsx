import { useApp } from '../store.js';

/** A tensor name that selects (and centres) the tensor when clicked. */
export function TensorLink({ name }: { name: string }) {
  return (
    <button className="linklike mono" title={`Select tensor ${name}`} onClick={() => useApp.getState().select({ kind: 'tensor', name }, true)}>
      {name || '(empty)'}
    </button>
  );
}

export function NodeLink({ index, label }: { index: number; label: string }) {
  return (
    <button className="linklike" title="Select this node" onClick={() => useApp.getState().select({ kind: 'node', index }, true)}>
      {label}
    </button>
  );
}
