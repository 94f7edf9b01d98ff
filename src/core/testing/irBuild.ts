/** A node for models built in tests, named <OpType>_<first output>. */
import type { Attribute, Node } from '../ir/types.js';

export function node(opType: string, input: string[], output: string[], attribute: Attribute[] = [], domain?: string): Node {
  const n: Node = { opType, input, output, name: `${opType}_${output[0]}` };
  if (attribute.length) n.attribute = attribute;
  if (domain !== undefined) n.domain = domain;
  return n;
}
