/** Folding caches results by the identity of the input tensors: a warm result must equal a cold one. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferenceCost } from '../analysis/inferenceCost.js';
import { listQuantizers, setQuantizer } from '../ir/quantEdit.js';
import { decodeModel, encodeModel } from '../onnx/codec.js';

const file = resolve(__dirname, '../../../testdata/models/zoo_TFC_2W2A.onnx');

describe('constant folding cache', () => {
  it('gives, after an edit, the cost a fresh decode of the edited model gives', () => {
    const m = decodeModel(new Uint8Array(readFileSync(file)));
    inferenceCost(m, {}); // warms the caches with every weight quantizer of the opened version
    const weights = listQuantizers(m).filter((q) => q.role === 'weight');
    let edited = m;
    for (const [k, bits] of [[0, 3], [2, 5]] as const) edited = setQuantizer(edited, weights[k].nodeIndex, { bits });
    const warm = inferenceCost(edited, {});
    const cold = inferenceCost(decodeModel(encodeModel(edited)), {});
    expect(warm.total_cost).toEqual(cold.total_cost);
    expect(warm.node_cost).toEqual(cold.node_cost);
    // and the edit did change the cost (3-bit weights in the first layer)
    expect(warm.total_cost.total_bops).not.toEqual(inferenceCost(m, {}).total_cost.total_bops);
  });
});
