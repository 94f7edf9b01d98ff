/**
 * Whole-model configurations of a sweep on cost (BOPs or weight memory) against error (SQNR, or
 * top-1 agreement / accuracy): the sensitivity configurations faint, the verified front configurations,
 * the Pareto front as a step line, the current model marked. Hover a point for its widths and numbers,
 * click it to apply it. Drawn in SVG.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ConfigPoint, ExplorePlan } from '../../core/explore/explore.js';
import { changedLines, fmtChange, fmtDb, fmtMemBits, fmtPct, frontBy, logTicks, niceTicks, X_LABEL, xOf, Y_LABEL, yOf, type XKey, type YKey } from './exploreFormat.js';

type Kind = 'sens' | 'config' | 'front' | 'baseline';
interface Dot {
  p: ConfigPoint;
  kind: Kind;
  x: number;
  y: number;
  /** SQNR beyond the plot's finite range (identical outputs) */
  inf: boolean;
}

const M = { left: 58, right: 14, top: 12, bottom: 38 };

export function FrontPlot({
  plan,
  baseline,
  sensitivity,
  points,
  xKey,
  yKey,
  nowWidths,
  samples,
  canApply,
  onApply,
}: {
  plan: ExplorePlan;
  baseline?: ConfigPoint;
  sensitivity: ConfigPoint[];
  points: ConfigPoint[];
  xKey: XKey;
  yKey: YKey;
  /** the widths of the current model (to mark the configuration it now has) */
  nowWidths?: (number | undefined)[];
  samples?: number;
  canApply: boolean;
  onApply(p: ConfigPoint): void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ w: 480, h: 260 });
  const [hover, setHover] = useState<Dot | null>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setSize({ w: Math.max(240, el.clientWidth), h: Math.max(160, el.clientHeight) }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const front = useMemo(() => frontBy([...points, ...(baseline ? [baseline] : [])], xKey, yKey), [points, baseline, xKey, yKey]);
  const frontSet = useMemo(() => new Set(front), [front]);
  const nowKey = nowWidths?.join();

  const geom = useMemo(() => {
    const all = [...sensitivity, ...points, ...(baseline ? [baseline] : [])].filter((p) => yOf(p, yKey) !== undefined);
    if (!all.length) return null;
    const xs = all.map((p) => xOf(p, xKey));
    const ys = all.map((p) => yOf(p, yKey)!).filter((v) => Number.isFinite(v));
    const hasInf = all.some((p) => yOf(p, yKey) === Infinity);
    let x0 = Math.min(...xs), x1 = Math.max(...xs);
    const log = x0 > 0 && x1 / x0 > 6;
    if (x0 === x1) (x0 = x0 * 0.9 - 1), (x1 = x1 * 1.1 + 1);
    let y0 = ys.length ? Math.min(...ys) : 0, y1 = ys.length ? Math.max(...ys) : 1;
    if (yKey !== 'sqnr') (y0 = Math.min(y0, 0)), (y1 = 100);
    if (y0 === y1) (y0 -= 1), (y1 += 1);
    const pad = (y1 - y0) * 0.06;
    if (yKey === 'sqnr') (y0 -= pad), (y1 += pad);
    const pw = size.w - M.left - M.right, ph = size.h - M.top - M.bottom - (hasInf ? 14 : 0);
    const top = M.top + (hasInf ? 14 : 0);
    const lx0 = log ? Math.log10(x0 / 1.15) : x0 - (x1 - x0) * 0.04, lx1 = log ? Math.log10(x1 * 1.15) : x1 + (x1 - x0) * 0.04;
    const sx = (v: number) => M.left + (((log ? Math.log10(v) : v) - lx0) / (lx1 - lx0)) * pw;
    const sy = (v: number) => (v === Infinity ? M.top + 4 : top + (1 - (v - y0) / (y1 - y0)) * ph);
    const xt = log ? logTicks(10 ** lx0, 10 ** lx1) : niceTicks(lx0, lx1, Math.max(2, Math.floor(pw / 70)));
    const yt = niceTicks(y0, y1, Math.max(2, Math.floor(ph / 40)));
    return { sx, sy, xt, yt, log, hasInf, pw, ph, top };
  }, [sensitivity, points, baseline, xKey, yKey, size]);

  const dots = useMemo<Dot[]>(() => {
    if (!geom) return [];
    const mk = (p: ConfigPoint, kind: Kind): Dot | null => {
      const v = yOf(p, yKey);
      if (v === undefined || Number.isNaN(v)) return null;
      return { p, kind, x: geom.sx(xOf(p, xKey)), y: geom.sy(v === -Infinity ? -1e9 : v), inf: v === Infinity };
    };
    const out: Dot[] = [];
    for (const p of sensitivity) if (Object.keys(p.bits).length) out.push(mk(p, 'sens')!);
    for (const p of points) out.push(mk(p, frontSet.has(p) ? 'front' : 'config')!);
    if (baseline) out.push(mk(baseline, 'baseline')!);
    return out.filter(Boolean);
  }, [geom, sensitivity, points, baseline, frontSet, xKey, yKey]);

  const stepPath = useMemo(() => {
    if (!geom || front.length === 0) return '';
    const pts = front.map((p) => [geom.sx(xOf(p, xKey)), geom.sy(yOf(p, yKey)!)] as const);
    let d = `M${pts[0][0].toFixed(1)},${pts[0][1].toFixed(1)}`;
    for (let i = 1; i < pts.length; i++) d += `H${pts[i][0].toFixed(1)}V${pts[i][1].toFixed(1)}`;
    return d + `H${(M.left + geom.pw).toFixed(1)}`;
  }, [geom, front, xKey, yKey]);

  const pick = (mx: number, my: number): Dot | null => {
    let best: Dot | null = null, bd = Infinity;
    for (const d of dots) {
      // front, baseline and verified points win over the faint sensitivity ones nearby
      const pen = d.kind === 'sens' ? 6 : 0;
      const dist = Math.hypot(d.x - mx, d.y - my) + pen;
      if (dist < bd) (bd = dist), (best = d);
    }
    return bd <= 14 ? best : null;
  };
  const onMove = (e: React.MouseEvent<SVGSVGElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const d = pick(e.clientX - r.left, e.clientY - r.top);
    if (d !== hover) setHover(d);
  };

  if (!geom) return <div ref={box} className="xplot xplot-empty muted">The configurations appear here as they are measured.</div>;
  const fmtX = (v: number) => tickSi(v) + (xKey === 'mem' ? 'bit' : '');
  const ref = baseline;
  const sorted = [...dots].sort((a, b) => order(a.kind) - order(b.kind));
  return (
    <div ref={box} className="xplot" data-testid="explore-plot" data-front-bops={front.map((p) => p.bops).join()}>
      <svg width={size.w} height={size.h} onMouseMove={onMove} onMouseLeave={() => setHover(null)} onClick={(e) => {
          // the point under the pointer now (a click may come before the hover state has rendered)
          const r = e.currentTarget.getBoundingClientRect();
          const d = pick(e.clientX - r.left, e.clientY - r.top);
          if (d && canApply) onApply(d.p);
        }} style={{ cursor: hover && canApply ? 'pointer' : 'default' }}>
        <g className="xplot-grid">
          {geom.yt.map((v) => (
            <g key={`y${v}`}>
              <line x1={M.left} x2={M.left + geom.pw} y1={geom.sy(v)} y2={geom.sy(v)} />
              <text x={M.left - 6} y={geom.sy(v) + 4} textAnchor="end">{yKey === 'sqnr' ? trimNum(v) : `${trimNum(v)}`}</text>
            </g>
          ))}
          {geom.hasInf && <text x={M.left - 6} y={M.top + 8} textAnchor="end">∞</text>}
          {geom.xt.map((v) => (
            <g key={`x${v}`}>
              <line y1={geom.top} y2={geom.top + geom.ph} x1={geom.sx(v)} x2={geom.sx(v)} />
              <text x={geom.sx(v)} y={geom.top + geom.ph + 14} textAnchor="middle">{fmtX(v)}</text>
            </g>
          ))}
        </g>
        <rect className="xplot-frame" x={M.left} y={geom.top} width={geom.pw} height={geom.ph} />
        <text className="xplot-axis" x={M.left + geom.pw / 2} y={size.h - 6} textAnchor="middle">{X_LABEL[xKey]}{geom.log ? ', log scale' : ''}</text>
        <text className="xplot-axis" transform={`translate(12, ${geom.top + geom.ph / 2}) rotate(-90)`} textAnchor="middle">{Y_LABEL[yKey]}</text>
        {stepPath && <path className="xplot-front" d={stepPath} data-testid="explore-front-line" />}
        {sorted.map((d, i) => {
          const isNow = nowKey !== undefined && d.p.widths.join() === nowKey && d.kind !== 'baseline' && Object.keys(d.p.bits).length > 0;
          const hl = hover === d;
          if (d.kind === 'baseline')
            return (
              <g key={i} data-testid="explore-baseline-point">
                <path className="xplot-base" d={`M${d.x},${d.y - 7}L${d.x + 7},${d.y}L${d.x},${d.y + 7}L${d.x - 7},${d.y}Z`} />
                <text className="xplot-base-label" x={d.x > M.left + geom.pw - 60 ? d.x - 9 : d.x + 9} y={d.y < geom.top + 16 ? d.y + 16 : d.y - 7} textAnchor={d.x > M.left + geom.pw - 60 ? 'end' : 'start'}>current</text>
              </g>
            );
          return (
            <circle
              key={i}
              className={`xplot-dot xplot-${d.kind}${hl ? ' is-hover' : ''}${isNow ? ' is-now' : ''}`}
              cx={d.x}
              cy={d.y}
              r={d.kind === 'sens' ? 2.6 : d.kind === 'front' ? 5 : 3.8}
              data-testid={d.kind === 'front' ? 'explore-front-point' : d.kind === 'config' ? 'explore-config-point' : 'explore-sens-point'}
            />
          );
        })}
        {hover && <circle className="xplot-ring" cx={hover.x} cy={hover.y} r={9} />}
      </svg>
      {hover && (
        <div
          className="xplot-tip"
          data-testid="explore-tooltip"
          style={{ left: hover.x > size.w / 2 ? Math.max(0, hover.x - 254) : hover.x + 14, top: Math.max(4, Math.min(hover.y - 10, size.h - 190)) }}
        >
          <div className="xplot-tip-head">{TITLE[hover.kind]}</div>
          <table>
            <tbody>
              <tr><td>BOPs</td><td className="num">{hover.p.bops.toLocaleString('en-US')}</td><td className="muted">{ref && hover.kind !== 'baseline' ? fmtChange(hover.p.bops, ref.bops) : ''}</td></tr>
              <tr><td>weights</td><td className="num">{fmtMemBits(hover.p.memWBits)}</td><td className="muted">{ref && hover.kind !== 'baseline' ? fmtChange(hover.p.memWBits, ref.memWBits) : ''}</td></tr>
              <tr><td>SQNR</td><td className="num">{fmtDb(hover.p.sqnrDb)}</td><td className="muted">{ref && hover.kind !== 'baseline' && Number.isFinite(hover.p.sqnrDb - ref.sqnrDb) ? `${hover.p.sqnrDb >= ref.sqnrDb ? '+' : '−'}${Math.abs(hover.p.sqnrDb - ref.sqnrDb).toFixed(2)} dB` : ''}</td></tr>
              {hover.p.agreement !== undefined && <tr><td>agreement</td><td className="num">{fmtPct(hover.p.agreement)}</td><td className="muted">{samples ? `of ${samples}` : ''}</td></tr>}
              {hover.p.accuracy !== undefined && <tr><td>accuracy</td><td className="num">{fmtPct(hover.p.accuracy)}</td><td /></tr>}
            </tbody>
          </table>
          <WidthList lines={changedLines(plan, hover.p.widths)} />
          <div className="xplot-tip-foot muted">{!canApply ? 'The model changed since this sweep: undo back to apply' : hover.kind === 'baseline' ? 'The widths swept: click to go back to them (one edit)' : 'Click to apply (one undoable edit)'}</div>
        </div>
      )}
    </div>
  );
}

function WidthList({ lines }: { lines: string[] }) {
  if (!lines.length) return <div className="xplot-tip-widths muted">widths as opened</div>;
  const shown = lines.slice(0, 14);
  return (
    <ul className="xplot-tip-widths mono" data-testid="explore-tooltip-widths">
      {shown.map((l) => <li key={l}>{l}</li>)}
      {lines.length > shown.length && <li className="muted">… and {lines.length - shown.length} more</li>}
    </ul>
  );
}

const TITLE: Record<Kind, string> = {
  sens: 'One quantizer changed (sensitivity run)',
  config: 'Verified configuration (behind the front)',
  front: 'Pareto front: verified configuration',
  baseline: 'Current model (as swept)',
};

function order(k: Kind): number {
  return k === 'sens' ? 0 : k === 'config' ? 1 : k === 'front' ? 2 : 3;
}

function trimNum(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
}

/** A tick label: 1.5M, 200k, 40 (no trailing zeros). */
function tickSi(v: number): string {
  for (const [f, p] of [[1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) if (Math.abs(v) >= f) return `${Number((v / f).toPrecision(3))}${p}`;
  return String(Number(v.toPrecision(3)));
}
