"""The ONNX importer's second path: the graph as a PyTorch module
(torchgraph.GraphModule) exported by seqrt.export's recording tracer
(record, fold loops, identify cells and attention, lower, write), then
verified against that module on random inputs: at the graph's own sizes
for the axes the graph fixes (an unrolled loop fixes T), at other sizes
along its dynamic axes. convert() (convert.py) takes it when the direct
node-by-node converter refuses the graph. Returns the same Report."""

import os
from collections import OrderedDict

import numpy as np

from .. import formats as sf
from .report import Report, layout_step
from .values import ConvertError


def _example(model, gm):
    """Random inputs at the graph's sizes (a dynamic axis gets a size no
    static axis of the inputs has, so that the tracer tells them apart)."""
    rng = np.random.RandomState(0)
    byname = {i.name: i for i in model.graph.input}
    static = {d.dim_value for i in model.graph.input for d in i.type.tensor_type.shape.dim if d.dim_value}
    free, sizes, out = iter(k for k in range(2, 64) if k not in static), {}, []
    for n in gm.inputs:
        t = byname[n].type.tensor_type
        shape = []
        for d in t.shape.dim:
            if d.dim_value:
                shape.append(int(d.dim_value))
            else:
                key = d.dim_param or "%s_%d" % (n, len(shape))
                if key not in sizes:
                    sizes[key] = next(free)
                shape.append(sizes[key])
        if t.elem_type in (6, 7):
            out.append(np.zeros(shape, dtype=np.int64 if t.elem_type == 7 else np.int32))
        elif t.elem_type == 1:
            out.append((rng.randn(*shape) * 0.5).astype(np.float32))
        else:
            raise ConvertError("graph input '%s' has element type %d; seqrt takes float32, int32, int64"
                               % (n, t.elem_type))
    return out


def _check_sizes(model, gm, notes, seen):
    """sizes(lower, decls) for export_recorded: (T, B) of the recorded run,
    and changed along each of T and B that no graph input fixes."""
    onnx_in = {i.name: i.type.tensor_type.shape.dim for i in model.graph.input}

    def sizes(lower, decls):
        seen.update(lower=lower, decls=decls)
        got, fixed = {}, set()
        for name, (_, shape, sq, ax) in decls.items():
            v = lower.input_vals[name]
            dims = onnx_in[gm.inputs[[x.id for x in lower.rec.inputs].index(v.id)]]
            free = {l for l, s in zip(sq, shape) if s in ("T", "B")}    # not declared a fixed size
            for a, n, d in zip(ax, v.shape, dims):
                for lab in a:
                    lab = lab.rstrip("~")
                    if lab in free:
                        if len(a) == 1:
                            got.setdefault(lab, n)
                        if d.HasField("dim_value"):
                            fixed.add(lab)
        T, B = got.get("T") or 1, got.get("B") or 1
        if "T" in fixed:
            notes.append("the graph fixes T = %d (an unrolled loop, or an input of fixed length): the model was "
                         "checked at that length only" % T)
        if "B" in fixed:
            notes.append("the graph fixes B = %d (no dynamic batch axis): the model was checked at that batch "
                         "size only" % B)
        out = [(T, B)]
        other = (T if "T" in fixed else T + 2, B if "B" in fixed else B + 1)
        if other != out[0]:
            out.append(other)
        return out
    return sizes


def convert_recorded(model, json_path, name=None, weights_dtype="F32", device="reference"):
    """Writes json_path (and its .safetensors) from `model` (an
    onnx.ModelProto) through the recording tracer; returns a Report.
    Raises ConvertError naming the ONNX node it cannot take (and leaves no
    file behind)."""
    import torch
    from ..export.eager import export_recorded
    from ..export.record import located_by
    from ..export.report import ExportError
    from .torchgraph import GraphModule
    weights_path = json_path[:-5] + ".safetensors"
    notes, seen = ["converted through the recording tracer (seqrt.export) running the graph as a PyTorch "
                   "module"], {}
    gm = None
    try:
        gm = GraphModule(model)
        gm.eval()
        example = tuple(torch.from_numpy(a) for a in _example(model, gm))
        with located_by(gm.where):
            rep = export_recorded(gm, json_path, example, name=name, weights_dtype=weights_dtype,
                                  device=device, sizes=_check_sizes(model, gm, notes, seen))
        in_map, out_map = _maps(model, gm, seen["lower"], seen["decls"], rep.views)
        _write_metadata(json_path, in_map, out_map)
    except BaseException as e:
        for p in (json_path, weights_path):
            if os.path.exists(p):
                os.unlink(p)
        if isinstance(e, (ExportError, ConvertError)):
            raise ConvertError(str(e))
        if isinstance(e, Exception):    # a form the interpreter did not foresee
            raise ConvertError("%s: the recording path fails (%s: %s)" % (
                gm.where() if gm is not None else "the ONNX graph", type(e).__name__, e))
        raise
    notes += ["%s max |seqrt - module| = %.3g (%.3f of the tolerance)" % (v, c[1], c[2])
              for v, c in rep.checks.items()]
    with open(json_path) as f:
        import json
        layers = len(json.load(f)["layers"])
    return Report(json_path, weights_path, in_map, out_map, layers, notes)


def _maps(model, gm, lower, decls, views):
    """ONNX input/output name -> (seqrt value, layout step)."""
    in_map = OrderedDict()
    ids = [v.id for v in lower.rec.inputs]
    for name, (_, _, sq, ax) in decls.items():
        onnx_name = gm.inputs[ids.index(lower.input_vals[name].id)]
        in_map[onnx_name] = (name, layout_step(sq, ax))
    if len(views) != len(gm.outputs):
        raise ConvertError("internal: %d seqrt outputs for the graph's %d" % (len(views), len(gm.outputs)))
    out_map = OrderedDict((o, (v.name, layout_step(v.sq, v.ax))) for o, v in zip(gm.outputs, views))
    return in_map, out_map


def _write_metadata(json_path, in_map, out_map):
    """metadata.onnx of the description, as the direct converter writes it."""
    import json
    with open(json_path) as f:
        desc = json.load(f, object_pairs_hook=OrderedDict)

    def table(m):
        return OrderedDict((k, OrderedDict([("value", n)] + ([("layout", h)] if h else [])))
                           for k, (n, h) in m.items())
    desc["metadata"] = OrderedDict([("converted_from", "ONNX by tools/onnx2seqrt.py (recording tracer)"),
                                    ("onnx", OrderedDict([("inputs", table(in_map)),
                                                          ("outputs", table(out_map))]))])
    sf.write_description(json_path, desc)
