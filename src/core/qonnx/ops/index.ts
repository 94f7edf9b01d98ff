/** Every QONNX custom op definition; registry.ts indexes them. Add new ops here. */
import type { CustomOpDef } from '../opTypes.js';
import { BipolarQuantOp } from './bipolarQuant.js';
import { DebugMarkerOp } from './debugMarker.js';
import { FloatQuantOp } from './floatQuant.js';
import { Im2ColOp } from './im2col.js';
import { MaxPoolNHWCOp } from './maxPoolNHWC.js';
import { MultiThresholdOp } from './multiThreshold.js';
import { QuantOp } from './quant.js';
import { QuantAvgPool2dOp } from './quantAvgPool2d.js';
import { TruncV1Op, TruncV2Op } from './trunc.js';
import { XnorPopcountMatMulOp } from './xnorPopcountMatMul.js';
import { ChannelsLastConvOp } from './channelsLastConv.js';
import { ChannelsLastMaxPoolOp } from './channelsLastMaxPool.js';
import { ChannelsLastBatchNormOp } from './channelsLastBatchNorm.js';

export const ALL_OPS: CustomOpDef[] = [
  QuantOp,
  BipolarQuantOp,
  TruncV1Op,
  TruncV2Op,
  FloatQuantOp,
  MultiThresholdOp,
  XnorPopcountMatMulOp,
  Im2ColOp,
  QuantAvgPool2dOp,
  MaxPoolNHWCOp,
  DebugMarkerOp,
  // domain qonnx.custom_op.channels_last
  ChannelsLastConvOp,
  ChannelsLastMaxPoolOp,
  ChannelsLastBatchNormOp,
];
