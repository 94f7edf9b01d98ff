import { describe, expect, it } from 'vitest';
import { markdownTable, mb, median, ms } from './table.js';

describe('bench table', () => {
  it('formats times, sizes and medians', () => {
    expect(ms(0.4123)).toBe('0.412 ms');
    expect(ms(12.34)).toBe('12.3 ms');
    expect(ms(412.4)).toBe('412 ms');
    expect(ms(1234)).toBe('1.23 s');
    expect(ms(undefined)).toBe('–');
    expect(mb(101_070_413)).toBe('101');
    expect(mb(2_948_573)).toBe('2.95');
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('prints an aligned markdown table and escapes pipes', () => {
    const t = markdownTable(
      [
        { header: 'name', align: 'left', cell: (r: { n: string; v: number }) => r.n },
        { header: 'v', cell: (r) => String(r.v) },
      ],
      [{ n: 'a|b', v: 1 }, { n: 'c', v: 100 }],
    );
    expect(t.split('\n')).toEqual(['| name |   v |', '| ---- | --: |', '| a\\|b |   1 |', '| c    | 100 |']);
  });
});
