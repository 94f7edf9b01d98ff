/** Progress of a worker task (cost, transformation): what it is doing, how far, and a Cancel button. */
import { useEffect, useState } from 'react';
import type { TaskProgress } from '../core/task.js';

export function TaskProgressBar({ progress, what, onCancel, testId }: { progress?: TaskProgress; what: string; onCancel: () => void; testId?: string }) {
  // Quick tasks finish before anyone could read a progress bar: show it only after 300 ms.
  const [shown, setShown] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setShown(true), 300);
    return () => clearTimeout(t);
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onCancel();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onCancel]);
  const pct = progress && progress.total > 0 ? Math.min(100, Math.round((100 * progress.done) / progress.total)) : undefined;
  return (
    <div className="task-progress" data-testid={testId} role="progressbar" aria-valuenow={pct} aria-label={what} style={{ visibility: shown ? 'visible' : 'hidden' }}>
      <span className="task-progress-label">
        {what}
        {progress ? `: ${progress.label}` : '…'}
        {progress && progress.total > 0 ? ` (${progress.done.toLocaleString('en-US')} / ${progress.total.toLocaleString('en-US')})` : ''}
      </span>
      <span className={`task-progress-track${pct === undefined ? ' is-indeterminate' : ''}`}>
        <span className="task-progress-fill" style={pct === undefined ? undefined : { width: `${pct}%` }} />
      </span>
      <button onClick={onCancel} title="Stop (Esc)" data-testid={testId ? `${testId}-cancel` : undefined}>
        Cancel
      </button>
    </div>
  );
}
