import { describe, expect, it } from 'vitest';
import type { AttrSpec } from '../opTypes.js';
import { AttrError, resolveAttrs, unknownAttributes } from './attrs.js';

const SPECS: AttrSpec[] = [
  { name: 'n', kind: 'int', default: 1, doc: '' },
  { name: 'f', kind: 'float', default: 0.5, doc: '' },
  { name: 'mode', kind: 'string', default: 'ROUND', allowed: ['ROUND', 'FLOOR'], doc: '' },
  { name: 'k', kind: 'ints', default: [1, 1], doc: '' },
  { name: 'fs', kind: 'floats', default: [], doc: '' },
  { name: 'ss', kind: 'strings', default: [], doc: '' },
  { name: 'req', kind: 'string', required: true, doc: '' },
];

describe('resolveAttrs', () => {
  it('applies defaults and keeps given values', () => {
    const a = resolveAttrs('Op', SPECS, { req: 'x', f: 2 });
    expect(a.int('n')).toBe(1);
    expect(a.float('f')).toBe(2);
    expect(a.str('mode')).toBe('ROUND');
    expect(a.ints('k')).toEqual([1, 1]);
    expect(a.str('req')).toBe('x');
    expect(a.flag('n')).toBe(true);
  });

  it('allowed strings compare case-insensitively and come back canonical', () => {
    expect(resolveAttrs('Op', SPECS, { req: 'x', mode: 'floor' }).str('mode')).toBe('FLOOR');
  });

  it('a single number is accepted where a list is expected', () => {
    expect(resolveAttrs('Op', SPECS, { req: 'x', k: 3 }).ints('k')).toEqual([3]);
  });

  it('errors name the op, the attribute and the bad value', () => {
    expect(() => resolveAttrs('MyOp', SPECS, {})).toThrow("MyOp: required attribute 'req' is missing");
    expect(() => resolveAttrs('MyOp', SPECS, { req: 'x', n: 1.5 })).toThrow("MyOp: attribute 'n' must be an integer, got 1.5");
    expect(() => resolveAttrs('MyOp', SPECS, { req: 'x', n: 'one' })).toThrow("MyOp: attribute 'n' must be an integer, got 'one'");
    expect(() => resolveAttrs('MyOp', SPECS, { req: 'x', mode: 'CEIL' })).toThrow("MyOp: attribute 'mode' must be one of ROUND, FLOOR, got 'CEIL'");
    expect(() => resolveAttrs('MyOp', SPECS, { req: 'x', k: [1, 2.5] })).toThrow("MyOp: attribute 'k' must be a list of integers, got [1,2.5]");
    expect(() => resolveAttrs('MyOp', SPECS, { req: 7 })).toThrow(AttrError);
  });

  it('lists attributes the op does not declare', () => {
    expect(unknownAttributes(SPECS, { req: 'x', extra: 1, other: 'y' })).toEqual(['extra', 'other']);
  });
});
