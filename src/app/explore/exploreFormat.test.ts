import { describe, expect, it } from 'vitest';
import { paretoFront, type ConfigPoint } from '../../core/explore/explore.js';
import { changedLines, fmtBops, fmtCellDb, fmtDb, frontBy, logTicks, niceTicks } from './exploreFormat.js';

const point = (bops: number, sqnrDb: number, memWBits = bops / 2, agreement?: number): ConfigPoint => ({ widths: [], bits: {}, bops, memWBits, sqnrDb, agreement });

describe('explore views', () => {
  it('the plotted front on BOPs and SQNR is the core paretoFront', () => {
    let s = 7;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let t = 0; t < 20; t++) {
      const pts = Array.from({ length: 30 }, () => point(Math.round(rnd() * 50) * 1000, Math.round(rnd() * 40) / 2));
      expect(frontBy(pts, 'bops', 'sqnr')).toEqual(paretoFront(pts));
    }
  });

  it('on agreement, points without one are left out; on weight memory, memory decides', () => {
    const a = point(100, 5, 10, 0.5), b = point(200, 9, 5, 0.5), c = point(300, 12, 20);
    expect(frontBy([a, b, c], 'bops', 'agreement')).toEqual([a]);
    expect(frontBy([a, b, c], 'mem', 'sqnr')).toEqual([b, c]);
  });

  it('formats', () => {
    expect(fmtBops(89420)).toBe('89.4 k');
    expect(fmtBops(10843586560)).toBe('10.8 G');
    expect(fmtBops(512)).toBe('512');
    expect(fmtDb(Infinity)).toBe('∞ dB');
    expect(fmtDb(0.04436)).toBe('0.04 dB');
    expect(fmtCellDb(-0.001)).toBe('0.00');
    expect(fmtCellDb(-3.456)).toBe('−3.46');
    expect(fmtCellDb(12.34)).toBe('12.3');
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(logTicks(80e3, 1.3e6)).toEqual([1e5, 1.5e5, 2e5, 3e5, 5e5, 7e5, 1e6]);
    expect(logTicks(2e3, 3e6)).toEqual([2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6]);
    expect(changedLines({ quantizers: [{ name: 'Q1', current: 4 }, { name: 'Q2', current: 8 }], varied: [], skipped: [] } as never, [3, 8])).toEqual(['Q1: 4 → 3']);
  });
});
