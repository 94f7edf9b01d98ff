/** The registered transformations, in the order the UI lists them. Add a new pass here. */
import type { TransformDef } from './registry.js';
import { foldConstants } from './foldConstants.js';
import { giveReadableTensorNames, giveUniqueNodeNames, giveUniqueParameterTensors, removeStaticGraphInputs, removeUnusedTensors } from './cleanupPasses.js';
import { quantToQcdq } from './quantToQcdq.js';
import { qcdqToQuant } from './qcdqToQuant.js';
import { convertToChannelsLast } from './convertToChannelsLast.js';
import { lowerConvsToMatMul } from './lowerConvsToMatMul.js';
import { pruneChannelsPass } from './pruneChannels.js';
import { batchnormToAffine } from './batchnormToAffine.js';
import { changeBatchSize } from './changeBatchSize.js';
import { cleanup } from './cleanup.js';
import { extractBiasFromConv } from './extractBiasFromConv.js';
import { extractQuantScaleZeroPt } from './extractQuantScaleZeroPt.js';
import { foldTransposeIntoQuantInit } from './foldTransposeIntoQuantInit.js';
import { gemmToMatMul } from './gemmToMatMul.js';
import { inferShapesPass } from './inferShapesPass.js';
import { removeIdentityOps } from './removeIdentityOps.js';
import { sortCommutativeInputsInitializerLast, sortGraph } from './tidy.js';

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
  cleanup as TransformDef<never>,
  inferShapesPass as TransformDef<never>,
  { ...sortGraph, params: [] } as TransformDef<never>,
  { ...sortCommutativeInputsInitializerLast, params: [] } as TransformDef<never>,
  removeIdentityOps as TransformDef<never>,
  foldTransposeIntoQuantInit as TransformDef<never>,
  gemmToMatMul as TransformDef<never>,
  batchnormToAffine as TransformDef<never>,
  extractBiasFromConv as TransformDef<never>,
  extractQuantScaleZeroPt as TransformDef<never>,
  changeBatchSize as TransformDef<never>,
  convertToChannelsLast as TransformDef<never>,
  lowerConvsToMatMul as TransformDef<never>,
  pruneChannelsPass as TransformDef<never>,
];
