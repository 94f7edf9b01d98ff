/**
 * A tiny model the model worker opens once at start-up, before any file arrives, so that the first
 * real open runs code that is already parsed and compiled (decode, checks, shape and datatype
 * inference, view graph, layout): the same kinds of nodes as real QONNX models (Quant, Conv,
 * BatchNormalization, Relu, Add, Gemm head), built in code, no download.
 */
import { encodeModel } from '../core/onnx/codec.js';
import { makeHugeGraph } from '../core/testing/synth.js';

export function warmUpModelBytes(): Uint8Array {
  return encodeModel(makeHugeGraph({ nodes: 300, seed: 7 }));
}
