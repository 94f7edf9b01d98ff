/** The registered transformations, in the order the UI lists them. Add a new pass here. */
import type { TransformDef } from './registry.js';
import { foldConstants } from './foldConstants.js';
import { giveReadableTensorNames, giveUniqueNodeNames, giveUniqueParameterTensors, removeStaticGraphInputs, removeUnusedTensors } from './cleanupPasses.js';
import { quantToQcdq } from './quantToQcdq.js';
import { qcdqToQuant } from './qcdqToQuant.js';

export const TRANSFORM_LIST: TransformDef<never>[] = [
  {
    ...foldConstants,
    params: [{ name: 'excludeOpTypes', kind: 'json', default: ['Quant', 'BipolarQuant', 'QuantizeLinear', 'DequantizeLinear'], doc: 'Op types that are never folded (JSON list). [] folds quantizers too.' }],
  } as TransformDef<never>,
  { ...removeUnusedTensors, params: [] } as TransformDef<never>,
  { ...removeStaticGraphInputs, params: [] } as TransformDef<never>,
  { ...giveUniqueNodeNames, params: [] } as TransformDef<never>,
  { ...giveReadableTensorNames, params: [] } as TransformDef<never>,
  { ...giveUniqueParameterTensors, params: [] } as TransformDef<never>,
  quantToQcdq as TransformDef<never>,
  qcdqToQuant as TransformDef<never>,
];
