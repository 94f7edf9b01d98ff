import { useEffect, useState } from 'react';
import { keyLabel, shortcutText } from './commands.js';
import { loadSamples, openSample, openUrl, type Sample } from './open.js';

/** Public models of the QONNX model zoo, opened by address (GitHub file pages are rewritten to the raw file). */
const ZOO = 'https://github.com/fastmachinelearning/QONNX_model_zoo/blob/main/models/';
export const ZOO_MODELS: { path: string; title: string; about: string }[] = [
  { path: 'MNIST/Brevitas_FINN_TFC/TFC/TFC_1W1A.onnx', title: 'TFC 1W1A', about: 'MNIST MLP, binary weights and activations (BipolarQuant)' },
  { path: 'MNIST/Brevitas_FINN_TFC/TFC/TFC_1W2A.onnx', title: 'TFC 1W2A', about: 'MNIST MLP, binary weights, 2-bit activations' },
  { path: 'MNIST/Brevitas_FINN_TFC/TFC/TFC_2W2A.onnx', title: 'TFC 2W2A', about: 'MNIST MLP, 2-bit weights and activations' },
  { path: 'CIFAR10/Brevitas_FINN_CNV/CNV_1W1A.onnx', title: 'CNV 1W1A', about: 'CIFAR-10 VGG-style CNN, binary weights and activations' },
  { path: 'CIFAR10/Brevitas_FINN_CNV/CNV_1W2A.onnx', title: 'CNV 1W2A', about: 'CIFAR-10 VGG-style CNN, binary weights, 2-bit activations' },
  { path: 'CIFAR10/Brevitas_FINN_CNV/CNV_2W2A.onnx', title: 'CNV 2W2A', about: 'CIFAR-10 VGG-style CNN, 2-bit weights and activations' },
  { path: 'ImageNet/Brevitas_FINN_mobilenet/mobilenet_4W4A.onnx', title: 'MobileNet-v1 4W4A', about: 'ImageNet, 4-bit weights and activations (larger download)' },
  { path: 'JetTagging/QKeras_hls4ml_3layer/qkeras_jettagging.onnx', title: 'Jet tagging (QKeras)', about: 'Three-layer QKeras MLP converted to QONNX' },
  { path: 'UNSW_NB15/unsw_nb15_mlp_w2a2/unsw_nb15-mlp-w2a2.onnx', title: 'UNSW-NB15 MLP 2W2A', about: 'Network intrusion detection MLP, 2-bit' },
];

/** A link drawn like the sample buttons (styles.css styles buttons, not links). */
const LINK_CARD = { border: '1px solid var(--border)', background: 'var(--panel)', color: 'inherit', textDecoration: 'none' } as const;

/** The keyboard shortcuts, from the command registry's help text ("keys: what it does" per line). */
export function shortcutList(): { keys: string[]; title: string }[] {
  return shortcutText()
    .split('\n')
    .map((line) => {
      const at = line.indexOf(': ');
      return { keys: line.slice(0, at).split(' / '), title: line.slice(at + 2) };
    })
    .filter((s) => s.title);
}

function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);
  return online;
}

export function StartScreen({ onPick }: { onPick: () => void }) {
  const [samples, setSamples] = useState<Sample[]>([]);
  const online = useOnline();
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
      <h2>QONNX model zoo</h2>
      <p className="muted small" data-testid="zoo-note">
        Public models of <code>fastmachinelearning/QONNX_model_zoo</code> on GitHub. Nothing is downloaded until you click one; the
        file then comes straight from GitHub to your browser{online ? '' : ' (you are offline now: these need a connection)'}.
      </p>
      <ul className="samples" data-testid="zoo-models">
        {ZOO_MODELS.map((z) => {
          const url = ZOO + z.path;
          return (
            <li key={z.path}>
              <a
                className="sample"
                style={LINK_CARD}
                href={`?url=${encodeURIComponent(url)}`}
                data-testid={`zoo-${z.path.split('/').pop()}`}
                title={url}
                onClick={(e) => {
                  if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return; // a new tab opens it there
                  e.preventDefault();
                  void openUrl(url);
                }}
              >
                <strong>{z.title}</strong>
                <span>{z.about}</span>
                <span className="muted small">{z.path.split('/').pop()} · github.com</span>
              </a>
            </li>
          );
        })}
      </ul>
      <p className="muted small">
        Open by link: add <code>?url=</code> and a model address (GitHub file pages are rewritten to the raw file); the server must allow
        cross-origin downloads (GitHub and Hugging Face do).
      </p>
      <h2>Keyboard shortcuts</h2>
      <table className="shortcuts" data-testid="shortcuts" style={{ borderSpacing: '12px 3px', marginLeft: -12 }}>
        <tbody>
          {shortcutList().map((s) => (
            <tr key={s.title}>
              <td className="small">
                {s.keys.map((k, i) => (
                  <span key={k}>
                    {i > 0 && ' / '}
                    <kbd>{k}</kbd>
                  </span>
                ))}
              </td>
              <td>{s.title}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
