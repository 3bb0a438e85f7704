"""Convert an ONNX model to seqrt: a JSON description plus safetensors weights.

    /usr/bin/python3 tools/onnx2seqrt.py MODEL.onnx OUT.json [--const NAME=FILE.npy ...]
                                         [--name NAME] [--weights-dtype F32]
    /usr/bin/python3 tools/onnx2seqrt.py --node-tests [--device reference] [--keep DIR]

(the same as python3 -m seqrt.onnx ...), or from Python (Debian's
python3-onnx; no onnxruntime needed):

    import seqrt.onnx                   # with <repo>/python on sys.path
    report = seqrt.onnx.convert("model.onnx", "out/model.json")
    print(report)                       # how ONNX inputs/outputs map onto seqrt's
    y = report.to_onnx("Y", seqrt_y)    # seqrt's layout -> the ONNX output's layout

Supported (docs/interop.md has the details):

  LSTM, GRU, RNN   gate rows reordered (LSTM i,o,f,c -> i,f,g,o; GRU z,r,h ->
                   r,z,n), peepholes P = [p_i, p_o, p_f] -> weight_pi/pf/po,
                   B = [Wb, Rb] split into bias_ih / bias_hh, layout 1 ->
                   batch_first, sequence_lens -> the `lengths` slot,
                   initial_h / initial_c -> h0 / c0, "" placeholder inputs and
                   omitted outputs, GRU linear_before_reset (0 written as
                   false), hidden_size (or R's shape); onto format 1.1 (only
                   when used): direction reverse, clip, input_forget (f =
                   1 - i, not seqrt's coupled), activations with their
                   activation_alpha / activation_beta resolved as ONNX Runtime
                   does and written out per function (rnn_attrs.py). A
                   multi-layer PyTorch export with initial states (a node per
                   layer on Slices of h0) becomes one num_layers layer
                   (stack.py).
  Gemm, MatMul     with a constant weight -> linear (alpha, beta, transB folded
                   in; a following Add of a constant vector becomes its bias)
  com.microsoft DynamicQuantizeLSTM; DynamicQuantizeLinear -> MatMulInteger
                   -> Cast -> Mul [-> Add] (onnxruntime's quantize_dynamic)
                   -> format 1.2 int8-dynamic lstm / linear with the file's
                   int8 codes and scales, int8_rule qnnpack (quantized.py)
  Gather           of a constant table by ids -> embedding; of one position
                   -> select
  Softmax, LogSoftmax, Relu, Tanh, Sigmoid, Gelu, Add, Mul, Concat, Identity,
  Dropout, Cast (to float)
  Squeeze / Transpose / Reshape that only turn an RNN's Y [T, D, B, H] into
  [T, B, D*H] (what PyTorch's exporter writes) are absorbed.

seqrt's recurrent outputs are [T, B, D*H] (Y), and its states are always
[D, B, H] (Y_h, Y_c, initial_h/c, also under layout 1); the report and the
description's metadata.onnx say which graph input/output has another layout
and how to convert it.

--node-tests converts ONNX's node tests, a synthetic input_forget LSTM and
four PyTorch-exported models, runs each through the seqrt library in
process (seqrt.Session on --device, reference by default) and compares with
the expected outputs under the spec's tolerance; it exits 1 when one fails.

Modules: convert (the graph walk, convert()), values, report, and one per op
family: recurrent (with rnn_attrs and stack), dense, elementwise, shapes,
fold; check, nodetests, torchcases (the round trips), cli.
"""

from ..gates import ONNX_GATE_PERM as GATE_PERM
from .convert import convert
from .nodetests import NODE_DIR, NODE_TESTS, node_test, node_tests
from .report import Report
from .values import ConvertError

__all__ = ["convert", "ConvertError", "Report", "GATE_PERM", "NODE_DIR", "NODE_TESTS", "node_test", "node_tests",
           "main"]


def main(argv=None):
    """The command line (python3 -m seqrt.onnx, tools/onnx2seqrt.py)."""
    from .cli import main as _main
    return _main(argv)
