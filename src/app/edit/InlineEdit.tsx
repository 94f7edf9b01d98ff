/** A value shown as text that becomes an input on click; Enter applies, Escape cancels. */
import { useState } from 'react';

export function InlineEdit({ value, display, onCommit, title, testId, mono = true, iconOnly = false }: { value: string; display?: string; onCommit: (v: string) => void; title?: string; testId?: string; mono?: boolean; iconOnly?: boolean }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(value);
  if (!editing)
    return (
      <button className={`inline-edit${mono ? ' mono' : ''}`} title={title ?? 'Click to edit'} data-testid={testId} onClick={() => { setDraft(value); setEditing(true); }}>
        {iconOnly ? <span className="pencil always">✎</span> : <>{(display ?? value) || <span className="muted">(empty)</span>}<span className="pencil" aria-hidden="true"> ✎</span></>}
      </button>
    );
  return (
    <input
      autoFocus
      className={`inline-input${mono ? ' mono' : ''}`}
      value={draft}
      data-testid={testId ? `${testId}-input` : undefined}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={() => setEditing(false)}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === 'Enter') {
          setEditing(false);
          if (draft !== value) onCommit(draft);
        } else if (e.key === 'Escape') setEditing(false);
      }}
    />
  );
}
