/** The per-node cost table as CSV (shared by the CLI's --csv and the panel's CSV export). */
import type { CostReport } from './inferenceCost.js';

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function costCsv(r: CostReport): string {
  const head = ['node', 'op_type', 'input_datatype', 'weight_datatype', 'output_datatype', 'macs', 'bops', 'mem_w_elems', 'mem_w_bits', 'mem_o_elems', 'mem_o_bits', 'weight_density', 'bops_with_accumulator'];
  const rows = r.nodes.map((c) => [c.name, c.opType, c.inDatatype, c.weightDatatype, c.outDatatype, c.macs, c.bops, c.memWElems, c.memWBits, c.memOElems, c.memOBits, c.density, c.paperBops]);
  return [head, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

