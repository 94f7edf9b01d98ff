/** A tensor's values from the last run: statistics, histogram, saturation, error against float, .npy. */
import { useMemo, useState } from 'react';
import { encodeNpy } from '../../core/io/npy.js';
import { download } from '../download.js';
import { currentVersionId, useApp } from '../store.js';
import { modelWorker, unwrap } from '../workerClient.js';
import { formatCount, formatNumber } from './format.js';
import { Histogram } from './Histogram.js';

export function RunTensorSection({ name }: { name: string }) {
  const run = useApp((s) => s.run);
  const versionId = useApp((s) => currentVersionId(s));
  const summary = useMemo(() => run?.quant?.tensors.find((t) => t.name === name), [run, name]);
  const floatSummary = useMemo(() => run?.float?.tensors.find((t) => t.name === name), [run, name]);
  const error = useMemo(() => run?.errors?.find((e) => e.name === name), [run, name]);
  const [asInt, setAsInt] = useState(false);
  if (!run?.quant || !summary) return null;
  const st = asInt && summary.intStats ? summary.intStats : summary.stats;
  const stale = run.versionId !== versionId;
  return (
    <section data-testid="run-tensor">
      <h3>Last run{stale ? ' (earlier version of the model)' : ''}</h3>
      {summary.intStats && (
        <label className="toggle" title="Statistics of value / scale + zero point: the integers the hardware sees">
          <input type="checkbox" checked={asInt} onChange={(e) => setAsInt(e.target.checked)} data-testid="run-as-integers" /> as integers
        </label>
      )}
      <table className="kv"><tbody>
        <tr><th>Shape</th><td className="mono">[{summary.shape.join(', ')}]</td></tr>
        <tr><th>Min / max</th><td className="mono" data-testid="run-minmax">{formatNumber(st.min)} / {formatNumber(st.max)}</td></tr>
        <tr><th>Mean / std</th><td className="mono">{formatNumber(st.mean)} / {formatNumber(st.std)}</td></tr>
        <tr><th>Zeros</th><td>{(100 * st.zeros / Math.max(1, st.count)).toFixed(2)} % ({formatCount(st.zeros)} of {formatCount(st.count)})</td></tr>
        <tr><th>Distinct</th><td>{st.distinct >= 0 ? formatCount(st.distinct) : 'more than 4096'}</td></tr>
        {summary.saturation && (
          <tr>
            <th>Saturation</th>
            <td data-testid="run-saturation" title="Values whose integer (value / scale + zero point) sits at the quantizer's smallest or largest integer: clipped, or exactly at the limit">
              {formatCount(summary.saturation.atMin)} at min ({summary.saturation.min}), {formatCount(summary.saturation.atMax)} at max ({summary.saturation.max}) —{' '}
              {((100 * (summary.saturation.atMin + summary.saturation.atMax)) / Math.max(1, st.count)).toFixed(2)} %
            </td>
          </tr>
        )}
        {error && (
          <tr>
            <th>vs float</th>
            <td data-testid="run-sqnr" title="SQNR against the float twin (every quantizer bypassed), and the largest absolute difference">
              {Number.isFinite(error.sqnrDb) ? `${error.sqnrDb.toFixed(2)} dB` : 'identical'} SQNR, max |error| {formatNumber(error.maxAbs)}
            </td>
          </tr>
        )}
        {floatSummary && !error && <tr><th>vs float</th><td>identical</td></tr>}
      </tbody></table>
      <Histogram stats={st} testId="run-histogram" />
      <button
        data-testid="run-download-npy"
        onClick={async () => {
          try {
            const t = unwrap(await modelWorker().runTensor(run.quant!.runId, name));
            if (!t || Array.isArray(t.data)) throw new Error('The values of this tensor are no longer held; run again');
            download(encodeNpy(t.data, t.shape), `${name.replace(/[^\w.-]+/g, '_')}.run.npy`);
          } catch (e) {
            useApp.getState().fail(e);
          }
        }}
      >
        Download run values (.npy)
      </button>
    </section>
  );
}
