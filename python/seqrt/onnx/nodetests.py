"""ONNX's own node tests (Debian's libonnx-testdata) and PyTorch-exported
models, converted, run through the seqrt library in process and compared
with their expected outputs (docs/interop.md has the results)."""

import os
from collections import OrderedDict

import numpy as np

from .check import run_and_compare
from .convert import convert
from .values import ConvertError


NODE_DIR = "/usr/share/libonnx-testdata/data/node"
NODE_TESTS = [
    # recurrent
    "test_lstm_defaults", "test_lstm_with_initial_bias", "test_lstm_with_peepholes", "test_lstm_batchwise",
    "test_gru_defaults", "test_gru_with_initial_bias", "test_gru_seq_length", "test_gru_batchwise",
    "test_rnn_seq_length", "test_simple_rnn_defaults", "test_simple_rnn_with_initial_bias",
    "test_simple_rnn_batchwise",
    # dense (the weight operands are graph inputs in these tests: frozen)
    "test_gemm_default_no_bias", "test_gemm_default_vector_bias", "test_gemm_default_scalar_bias",
    "test_gemm_default_single_elem_vector_bias", "test_gemm_default_zero_bias", "test_gemm_alpha",
    "test_gemm_beta", "test_gemm_transposeB", "test_gemm_transposeA", "test_gemm_all_attributes",
    "test_gemm_default_matrix_bias", "test_matmul_2d", "test_matmul_3d", "test_matmul_4d",
    # softmax
    "test_softmax_axis_0", "test_softmax_axis_1", "test_softmax_axis_2", "test_softmax_default_axis",
    "test_softmax_negative_axis", "test_softmax_example", "test_softmax_large_number",
    "test_logsoftmax_axis_0", "test_logsoftmax_axis_1", "test_logsoftmax_axis_2", "test_logsoftmax_default_axis",
    "test_logsoftmax_negative_axis", "test_logsoftmax_example_1", "test_logsoftmax_large_number",
    # elementwise and the like
    "test_relu", "test_tanh", "test_sigmoid", "test_add", "test_mul", "test_concat_2d_axis_1",
    "test_concat_3d_axis_negative_1", "test_gather_0", "test_identity", "test_dropout_default",
]
# Graph inputs beyond the first that these tests feed as data but seqrt needs as weights
FREEZE_FROM = {"Gemm": 1, "MatMul": 1, "Gather": 0}


def _load_pb(path):
    import onnx
    from onnx import numpy_helper
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def node_test(name, node_dir=NODE_DIR, tmp=".", device="reference"):
    """Converts ONNX node test `name` (its weights fed as graph inputs made
    constants), runs it on its test_data_set_0 and compares with the stored
    outputs: (status, message), status "ok", "rejected" (a ConvertError, by
    design for the ops seqrt lacks), "skipped" (no such test) or "FAIL"."""
    import onnx
    d = os.path.join(node_dir, name)
    if not os.path.isfile(os.path.join(d, "model.onnx")):
        return "skipped", "not in %s" % node_dir
    m = onnx.load(os.path.join(d, "model.onnx"))
    ds = os.path.join(d, "test_data_set_0")
    ins = [_load_pb(os.path.join(ds, "input_%d.pb" % i)) for i in range(len(m.graph.input))]
    outs = [_load_pb(os.path.join(ds, "output_%d.pb" % i)) for i in range(len(m.graph.output))]
    node = m.graph.node[0] if len(m.graph.node) == 1 else None
    op = node.op_type if node is not None else None
    consts = {}
    by_name = dict((gi.name, arr) for gi, arr in zip(m.graph.input, ins))
    if op == "Gather":   # the table is data here
        consts[m.graph.input[0].name] = ins[0]
    elif op in FREEZE_FROM:
        for gi, arr in list(zip(m.graph.input, ins))[1:]:
            consts[gi.name] = arr
    elif op in ("LSTM", "GRU", "RNN"):   # W, R, B, P are data here; X, lengths, states stay inputs
        for k in (1, 2, 3, 7):
            if k < len(node.input) and node.input[k] in by_name:
                consts[node.input[k]] = by_name[node.input[k]]
    path = os.path.join(tmp, name + ".json")
    try:
        rep = convert(m, path, constants=consts)
    except ConvertError as e:
        return "rejected", str(e)
    feed = OrderedDict()
    for gi, arr in zip(m.graph.input, ins):
        if gi.name in rep.inputs:
            feed[rep.inputs[gi.name][0]] = rep.to_seqrt(gi.name, arr)
    want = OrderedDict((go.name, arr) for go, arr in zip(m.graph.output, outs))
    status, worst = run_and_compare(rep, feed, want, device, "onnx")
    if status != "ok":
        return status, worst
    frozen = " (weights %s frozen from the test data)" % ", ".join(sorted(consts)) if consts else ""
    return "ok", "max |seqrt - onnx| = %.2g%s" % (worst, frozen)


def input_forget_model():
    """A synthetic LSTM with input_forget=1 (ONNX's f = 1 - i), which
    convert() maps onto the format's input_forget (1.1), not coupled."""
    from onnx import helper, TensorProto
    H, I = 3, 2
    rng = np.random.RandomState(0)
    W = helper.make_tensor("W", TensorProto.FLOAT, [1, 4 * H, I], rng.randn(4 * H * I).tolist())
    R = helper.make_tensor("R", TensorProto.FLOAT, [1, 4 * H, H], rng.randn(4 * H * H).tolist())
    node = helper.make_node("LSTM", ["X", "W", "R"], ["Y", "Y_h"], hidden_size=H, input_forget=1, name="lstm")
    g = helper.make_graph([node], "input_forget", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [4, 1, I])],
                          [helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [1, 1, H])], initializer=[W, R])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])


def input_forget_case(tmp, device="reference"):
    """input_forget_model() converted and run on `device`: "ok" when the
    layer says input_forget (and not coupled) and runs. Its values are
    checked against the float64 ONNX oracle in python/tests/test_onnx_attrs.py."""
    import json
    import seqrt
    from .. import formats as sf
    path = os.path.join(tmp, "input_forget.json")
    try:
        rep = convert(input_forget_model(), path)
    except ConvertError as e:
        return "FAIL", "conversion: %s" % e
    with open(path) as f:
        (L,) = json.load(f)["layers"]
    if L.get("input_forget") is not True or "coupled" in L:
        return "FAIL", "not written as input_forget: %s" % L
    x = np.random.RandomState(1).randn(4, 1, 2).astype(np.float32)
    try:
        sf.run_model(rep.json_path, {rep.inputs["X"][0]: x}, [rep.outputs["Y_h"][0]], device=device, strict=True)
    except seqrt.Error as e:
        return "FAIL", "seqrt: %s" % e
    return "ok", "converted onto the format's input_forget (f = 1 - i) and run"


def node_tests(device="reference", node_dir=NODE_DIR, keep=None, torch_cases=True):
    """Every NODE_TESTS test, the input_forget model and (with torch)
    the PyTorch-exported cases, run on `device`: [(name, status, message)]."""
    import tempfile
    results = []
    with tempfile.TemporaryDirectory(prefix="onnx2seqrt-") as tmp:
        out = keep or tmp
        os.makedirs(out, exist_ok=True)
        for name in NODE_TESTS:
            results.append((name,) + node_test(name, node_dir, out, device))
        results.append(("synthetic LSTM input_forget=1",) + input_forget_case(out, device))
        if torch_cases:
            try:
                import torch
                from .torchcases import torch_case, torch_cases as make_cases
                torch.set_num_threads(1)
                cases = make_cases()
            except ImportError:
                cases = []
            for c in cases:
                results.append((c[0],) + torch_case(c, out, device=device))
    return results
