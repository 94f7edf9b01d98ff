/** `cost MODEL [--no-discount-sparsity] [--cost-breakdown] [--no-preprocess] [--effective-bits] [--csv]`: qonnx-inference-cost. */
import { costJson, inferenceCost, partialSummary } from '../../core/analysis/inferenceCost.js';
import { parseArgs, type CliCommand, type CliIO } from '../command.js';
import { costCsv } from '../../core/analysis/costCsv.js';
import { readModelFile } from '../nodeFiles.js';

export const costCommand: CliCommand = {
  name: 'cost',
  usage: 'cost MODEL [--no-discount-sparsity] [--cost-breakdown] [--no-preprocess] [--effective-bits] [--csv]',
  summary: 'Inference cost (MACs, BOPs, weight and output memory) exactly as qonnx-inference-cost reports it',
  details:
    'Prints the JSON of qonnx-inference-cost for the same options: total_cost (and with --cost-breakdown optype_cost and node_cost), keys sorted, indent 2, numbers as floats. --csv prints one row per costed node instead. Ops that the reference does not cost are listed in "unsupported"; when some layers are not costed, stderr says "partial: N of M layers not costed" and names them (stdout stays the reference JSON). --effective-bits: the same JSON, but quantizers the reference counts as FLOAT32 (a scaled BipolarQuant, a Quant whose bit width is a 1-element array or whose zero point is not 0) count with the bits they have (e.g. op_mac_INT4_INT2 instead of op_mac_FLOAT32_FLOAT32; mem_o keeps the output datatype). Channels-last Convs (qonnx.custom_op.channels_last) are costed from the NHWC shapes although qonnx-inference-cost fails on them; so are onnxruntime\'s QOperator ops (QLinearConv, QLinearMatMul, QGemm, ConvInteger, MatMulInteger as Conv / MatMul / Gemm, with the bit widths of their element types: SCALEDINT<8> for an int8 input with a scale, INT8 without); stderr names them.',
  run(args: string[], io: CliIO): number {
    const a = parseArgs(args, { flags: ['--no-discount-sparsity', '--cost-breakdown', '--no-preprocess', '--effective-bits', '--csv'], positional: { min: 1, max: 1, names: ['MODEL'] } });
    const { model } = readModelFile(a.positional[0]);
    const r = inferenceCost(model, { discountSparsity: !a.flags.has('--no-discount-sparsity'), preprocess: !a.flags.has('--no-preprocess'), effectiveBits: a.flags.has('--effective-bits') });
    // The JSON keeps the reference's keys only; what the totals leave out goes to stderr.
    const partial = partialSummary(r);
    if (partial) {
      io.err(`note: ${partial} (the totals leave them out):\n`);
      const SHOWN = 20;
      for (const u of r.uncosted.slice(0, SHOWN)) io.err(`  ${u.node}: ${u.reason}\n`);
      if (r.uncosted.length > SHOWN) io.err(`  … and ${r.uncosted.length - SHOWN} more\n`);
    }
    // layers costed here that qonnx-inference-cost fails on (channels-last Convs, QOperator ops): the JSON counts them
    const beyond = r.nodes.filter((c) => c.referenceFails);
    if (beyond.length) {
      const kinds = [...new Set(beyond.map((c) => (c.beyondReference === 'qoperator' ? 'QOperator, costed as their float ops' : 'channels-last')))].join('; ');
      io.err(`note: qonnx-inference-cost cannot cost ${beyond.length} layer${beyond.length > 1 ? 's' : ''} counted here (${kinds}):\n`);
      for (const c of beyond.slice(0, 20)) io.err(`  ${c.name}: ${c.referenceFails}\n`);
      if (beyond.length > 20) io.err(`  … and ${beyond.length - 20} more\n`);
    }
    io.out(a.flags.has('--csv') ? costCsv(r) : costJson(r, a.flags.has('--cost-breakdown')) + '\n');
    return 0;
  },
};
