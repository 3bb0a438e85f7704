"""export(): trace, convert, write the description and weights, check."""

import os
from collections import OrderedDict

import numpy as np
import torch

from .. import formats as sf
from .check import check as _check
from .convert import _Converter
from .eager import export_recorded
from .report import ExportError, ExportReport
from .trace import trace

ATOL, RTOL = sf.ATOL, sf.RTOL


def export(model, path, inputs=None, name=None, metadata=None, batch_first=None, weights_dtype="F32",
           check=True, device="reference", example_inputs=None, seed=0, T=7, B=3,
           atol=ATOL, rtol=RTOL, verbose=False, backend=None, tracer="auto"):
    """Writes `path` (the description, .json) and its weights (.safetensors
    beside it) for `model`, then checks the round trip.

    inputs:         {input name: shape or (dtype, shape)}, only where export()
                    cannot tell an input's shape (shapes use symbols like "T",
                    "B" for free sizes); forward()'s argument names name the
                    inputs.
    name:           the model's name (default: the file name).
    metadata:       the description's metadata object (vocab, labels, ...).
    batch_first:    only for a model with no module that says it.
    weights_dtype:  "F32", "F16" (half the size) or "BF16".
    check:          run the written model with the seqrt library (in process,
                    seqrt.Session on `device`: "reference" by default, e.g.
                    "onednn:0", None for $SEQRT_BACKEND) and compare every
                    output with PyTorch's under the tolerance atol, rtol.
    backend:        the older name of `device` (used when given).
    example_inputs: forward()'s arguments, as torch.onnx.export takes them (a
                    tensor or a tuple; a (h, c) tuple stays a tuple): then a
                    model torch.fx cannot trace (Python loops over time,
                    hand-written cells, .T, transpose, bmm, ...) is recorded
                    on them instead (eager.py) and checked at other lengths
                    and batch sizes. Also accepted as the third positional
                    argument. A dict {input name: array} is the older
                    meaning: the data to check with instead of random data
                    (T and B set the random sizes).
    tracer:         "auto" (torch.fx, else the recording tracer when example
                    inputs are given), "fx" or "record".
    Returns an ExportReport; raises ExportError (and leaves no file) when the
    model has a part seqrt cannot run or the outputs disagree. The model is
    traced and checked in eval mode, then put back in the mode it was in.
    """
    if not path.endswith(".json"):
        raise ExportError("the description's path must end in .json: %s" % path)
    if backend is not None:
        device = backend
    example = None
    if inputs is not None and not isinstance(inputs, dict):
        example, inputs = inputs, None
    if example_inputs is not None and not isinstance(example_inputs, dict):
        example, example_inputs = example_inputs, None
    was_training = model.training
    model.eval()
    def recorded():
        rep = export_recorded(model, path, example, name, metadata, weights_dtype, check, device, seed,
                              atol, rtol)
        if verbose:
            print(rep)
        return rep
    try:
        if tracer == "record":
            if example is None:
                raise ExportError("tracer='record' needs example inputs (forward()'s arguments)")
            return recorded()
        try:
            return _export(model, path, inputs, name, metadata, batch_first, weights_dtype, check, device,
                           example_inputs, seed, T, B, atol, rtol, verbose)
        except _Untraceable as e:
            if example is None or tracer == "fx":
                raise ExportError(str(e) + ("" if example is not None else
                                            " (or pass forward()'s example arguments, as for torch.onnx.export, "
                                            "to export it by recording a run)"))
            return recorded()
    finally:
        model.train(was_training)


class _Untraceable(ExportError):
    """torch.fx cannot trace the model, or the graph has a step the fx
    converter does not map."""


def _export(model, path, inputs, name, metadata, batch_first, weights_dtype, check, device,
            example_inputs, seed, T, B, atol, rtol, verbose):
    try:
        graph = trace(model)
        conv = _Converter(model, graph, batch_first, inputs)
        outputs = conv.convert()
        decls = conv.input_decls()
    except ExportError as e:
        raise _Untraceable(str(e))
    if not decls:
        raise ExportError("the model has no input that a layer uses")
    weights_path = path[:-5] + ".safetensors"
    base = os.path.basename(path)[:-5]
    desc = OrderedDict([("format", "seqrt"), ("version", 1), ("name", name or base),
                        ("batch_first", conv.batch_first), ("weights", os.path.basename(weights_path)),
                        ("inputs", [OrderedDict([("name", n), ("dtype", d), ("shape", s)])
                                    for n, (d, s) in decls.items()]),
                        ("layers", conv.layers), ("outputs", outputs)])
    if metadata:
        desc["metadata"] = metadata
    if conv.int8_rule:  # torch's quantized modules: format 1.2, their int8 tensors as they are
        if weights_dtype != "F32":
            raise ExportError("a model with quantized modules keeps their int8 weights: weights_dtype must be "
                              "'F32' (the other tensors), got %r" % (weights_dtype,))
        desc["version"] = 1.2
        desc["int8_rule"] = conv.int8_rule
        desc.move_to_end("int8_rule", last=False)
        desc.move_to_end("version", last=False)
        desc.move_to_end("format", last=False)
    weights = OrderedDict((k, v.numpy() if v.dtype == torch.int8 else v.to(torch.float32).numpy())
                          for k, v in conv.weights.items())
    params = int(sum(v.size for k, v in weights.items() if not k.endswith(".scale") or not conv.int8_rule))

    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    if conv.int8_rule:
        from ..quantize import write_weights
        write_weights(weights_path, OrderedDict((k, ("I8" if v.dtype == np.int8 else "F32", v))
                                                for k, v in weights.items()))
    else:
        sf.write_safetensors(weights_path, weights, dtype=weights_dtype)
    sf.write_description(path, desc)
    if not check:
        return ExportReport(path, weights_path, params, OrderedDict(), weights_dtype, None)
    try:
        checks, rounding, data, want = _check(model, path, conv, decls, outputs, weights_dtype, device,
                                              example_inputs, seed, T, B, atol, rtol)
    except BaseException:
        for p in (path, weights_path):
            if os.path.exists(p):
                os.unlink(p)
        raise
    rep = ExportReport(path, weights_path, params, checks, weights_dtype, rounding)
    rep.inputs = OrderedDict((n, data[n].astype(np.int32) if decls[n][0].startswith("int") else
                              data[n].astype(np.float32)) for n in decls)
    rep.expected = OrderedDict(zip(outputs, want))
    if verbose:
        print(rep)
    return rep
