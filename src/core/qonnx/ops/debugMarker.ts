/**
 * DebugMarker: identity that marks a tensor for export under another name (export_debug_name).
 * The reference also stores the value under that name in its execution context; here the marker
 * is a plain identity and the name is shown as an attribute.
 */
import { FLOAT32 } from '../datatypes.js';
import type { AttrSpec, CustomOpDef } from '../opTypes.js';
import { resolveAttrs } from './attrs.js';
import { needInput, sameAsInput0 } from './broadcast.js';

const OP = 'DebugMarker';

export const DEBUG_MARKER_ATTRS: readonly AttrSpec[] = [
  { name: 'export_debug_name', kind: 'string', default: '', doc: 'Name under which the marked tensor is exported for debugging.' },
];

export const DebugMarkerOp: CustomOpDef = {
  opType: OP,
  sinceVersion: 1,
  inputs: [{ name: 'x', doc: 'Tensor to mark.' }],
  outputs: [{ name: 'y', doc: 'The same tensor.' }],
  attrs: DEBUG_MARKER_ATTRS,
  summary: 'Identity that marks a tensor for debug export.',
  formula: 'y = x',
  inferShapes: (ctx) => sameAsInput0(ctx.inputShapes),
  inferDatatypes(ctx) {
    resolveAttrs(OP, DEBUG_MARKER_ATTRS, ctx.attrs);
    return [ctx.inputTypes[0] ?? FLOAT32];
  },
  execute(inputs, attrs) {
    resolveAttrs(OP, DEBUG_MARKER_ATTRS, attrs);
    const x = needInput(inputs, 0, OP, 'x');
    return [{ shape: [...x.shape], data: new Float32Array(x.data) }];
  },
};
