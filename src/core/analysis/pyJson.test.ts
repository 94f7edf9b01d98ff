/**
 * pyJson writes what Python's json.dump(obj, sort_keys=True, indent=2) writes. The expected strings are
 * Python's output (CPython 3: float repr, ensure_ascii, ", " / ": " separators), written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { pyFloat, pyJson } from './pyJson.js';

describe('pyFloat: Python repr of a float', () => {
  const cases: [number, string][] = [
    [59008, '59008.0'],
    [236032, '236032.0'],
    [0.1, '0.1'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [0.00012, '0.00012'],
    [-1e-7, '-1e-07'],
    [1.5e16, '1.5e+16'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [123456789012345, '123456789012345.0'],
    [1234567890123456, '1234567890123456.0'],
    [9999999999999998, '9999999999999998.0'],
    [2 ** 53, '9007199254740992.0'],
    [12345678901234567, '1.2345678901234568e+16'],
    [1e22, '1e+22'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [-0, '-0.0'],
    [0, '0.0'],
    [0.1 + 0.2, '0.30000000000000004'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
    [NaN, 'NaN'],
  ];
  for (const [v, s] of cases) it(`${String(v)} -> ${s}`, () => expect(pyFloat(v)).toBe(s));
});

describe('pyJson: json.dump(obj, sort_keys=True, indent=2)', () => {
  it('sorted keys, indent 2, nested containers, empty ones inline, booleans and null', () => {
    const obj = { b: [1, {}], a: true, c: null, d: [], e: false };
    expect(pyJson(obj)).toBe('{\n  "a": true,\n  "b": [\n    1.0,\n    {}\n  ],\n  "c": null,\n  "d": [],\n  "e": false\n}');
  });

  it('strings: quotes, backslash, control characters, DEL and non-ASCII escaped (ensure_ascii)', () => {
    // Python: json.dumps({"f": "q\"b\\s\t\x01\x7f/", "é": "ü😀\n"}, sort_keys=True, indent=2)
    const obj = { f: 'q"b\\s\t\u0001\u007f/', 'é': 'ü😀\n' };
    expect(pyJson(obj)).toBe('{\n  "f": "q\\"b\\\\s\\t\\u0001\\u007f/",\n  "\\u00e9": "\\u00fc\\ud83d\\ude00\\n"\n}');
  });

  it('\\b, \\f, \\r have short escapes', () => {
    expect(pyJson('\b\f\r')).toBe('"\\b\\f\\r"');
  });

  it('keys sort by code point, as Python sorts str (U+E000 before U+1F600)', () => {
    // Python: {"Z": 3.0, "_": 5.0, "a": 4.0, "\ue000": 1.0, "\ud83d\ude00": 2.0}
    const obj = { '\ue000': 1, '😀': 2, Z: 3, a: 4, _: 5 };
    expect(pyJson(obj)).toBe('{\n  "Z": 3.0,\n  "_": 5.0,\n  "a": 4.0,\n  "\\ue000": 1.0,\n  "\\ud83d\\ude00": 2.0\n}');
  });

  it('a prefix sorts first', () => {
    expect(pyJson({ ab: 1, a: 2 })).toBe('{\n  "a": 2.0,\n  "ab": 1.0\n}');
  });

  it('the reference cost JSON layout', () => {
    const obj = { total_cost: { unsupported: 'set()', discount_sparsity: true, total_bops: 89420, mem_w_INT2: 22355 } };
    expect(pyJson(obj)).toBe(
      '{\n  "total_cost": {\n    "discount_sparsity": true,\n    "mem_w_INT2": 22355.0,\n    "total_bops": 89420.0,\n    "unsupported": "set()"\n  }\n}',
    );
  });
});
