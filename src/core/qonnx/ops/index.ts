/** Every QONNX custom op definition; registry.ts indexes them. Add new ops here. */
import type { CustomOpDef } from '../opTypes.js';

export const ALL_OPS: CustomOpDef[] = [];
