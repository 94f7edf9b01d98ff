import { useEffect, useState } from 'react';
import { keyLabel } from './commands.js';
import { loadSamples, openSample, type Sample } from './open.js';

export function StartScreen({ onPick }: { onPick: () => void }) {
  const [samples, setSamples] = useState<Sample[]>([]);
  useEffect(() => {
    loadSamples().then(setSamples, () => setSamples([]));
  }, []);
  return (
    <div className="start" data-testid="start-screen">
      <h1>QONNX Studio</h1>
      <p className="lead">See, measure, run and edit quantized ONNX models (QONNX, FINN, Brevitas, QKeras) in your browser. Nothing is uploaded.</p>
      <div className="start-actions">
        <button className="primary" onClick={onPick} data-testid="open-button">Open a model…</button>
        <span className="muted">or drop an .onnx file (with its external .data files) anywhere · {keyLabel('Mod+O')}</span>
      </div>
      <h2>Samples</h2>
      <ul className="samples">
        {samples.map((s) => (
          <li key={s.file}>
            <button className="sample" data-testid={`sample-${s.file}`} onClick={() => openSample(s.file)}>
              <strong>{s.title}</strong>
              <span>{s.about}</span>
              <span className="muted small">{s.file} · {s.licence}</span>
            </button>
          </li>
        ))}
      </ul>
      <p className="muted small">Open by link: add <code>?url=</code> and a model address (GitHub file pages are rewritten to the raw file). Press <kbd>?</kbd> for shortcuts.</p>
    </div>
  );
}
