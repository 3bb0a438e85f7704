"""Running a converted model through the seqrt library, in process, and
comparing its outputs (in ONNX's layouts) with expected ones."""

import numpy as np

from .. import formats as sf


def run_and_compare(rep, feed, want, device="reference", against="onnx"):
    """Runs the model `rep` (a Report) wrote on `feed` (seqrt input name ->
    array) with seqrt on `device`, turns each output back into the ONNX
    output's layout and compares it in float64 with want[onnx output name]
    under the spec's tolerance. Returns ("ok", worst |error|) or ("FAIL",
    why)."""
    import seqrt
    values = [rep.outputs[k][0] for k in want]
    try:
        got = sf.run_model(rep.json_path, feed, values, device=device, strict=True)
    except seqrt.Error as e:
        return "FAIL", "seqrt: %s" % e
    worst = 0.0
    for k, w in want.items():
        g = rep.to_onnx(k, got[rep.outputs[k][0]])
        ok, err, ratio = sf.close_enough(g, np.asarray(w, dtype=np.float64))
        if not ok:
            return "FAIL", "output %s: max |seqrt - %s| = %.3g (%.2f x tolerance), shapes %s / %s" % (
                k, against, err, ratio, list(g.shape), list(np.shape(w)))
        worst = max(worst, err)
    return "ok", worst
