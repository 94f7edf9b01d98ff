import { describe, expect, it } from 'vitest';
import { intType } from '../datatypes.js';
import { tensor, values } from '../testing/tensors.js';
import { DebugMarkerOp } from './debugMarker.js';

describe('DebugMarker', () => {
  it('is an identity on values, shape and datatype', () => {
    const x = tensor([2, 2], [1, -2, 3.5, NaN]);
    const [y] = DebugMarkerOp.execute([x], { export_debug_name: 'dbg' });
    expect(y.shape).toEqual([2, 2]);
    expect(values(y)).toEqual([1, -2, 3.5, NaN]);
    expect(y.data).not.toBe(x.data);
    expect(DebugMarkerOp.inferShapes({ inputShapes: [[2, 2]], attrs: {}, constInputs: [] })).toEqual([[2, 2]]);
    expect(DebugMarkerOp.inferDatatypes({ inputTypes: [intType(3, true)], attrs: {}, constInputs: [], allowScaledInt: true })).toEqual([intType(3, true)]);
  });
});
