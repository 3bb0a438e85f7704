"""Folding a recorded run's unrolled Python loops back into recurrences.

A loop over time leaves the same block of operations once per step, with
the same parameters, each step reading what the step before it produced.
find_loops() finds such blocks (same signature k nodes apart, a value
carried from one block to the next) and describes each loop: its blocks,
the carried slots (position of the producer -> the consumers' argument
places), what flows in from outside (the initial states and the per-step
slices), and what leaves it (values collected over all steps, final
values)."""

from .record import Val


def _sig(node):
    """What must repeat for two nodes to be the same step of one loop:
    the operation, the module, the parameters, the argument shapes and the
    non-tensor arguments (integers abstracted: they are the step index)."""
    def a(x):
        if isinstance(x, Val):
            return ("p", x.name) if x.kind == "param" else ("v", x.shape)
        if isinstance(x, bool) or x is None:
            return x
        if isinstance(x, int):
            return "#"
        if isinstance(x, slice):
            return ("s", a(x.start), a(x.stop), a(x.step))
        if isinstance(x, (list, tuple)):
            return tuple(a(y) for y in x)
        if isinstance(x, dict):
            return tuple(sorted((k, a(v)) for k, v in x.items()))
        return repr(x) if isinstance(x, (float, str)) else type(x).__name__
    return (node.kind, node.module_name, a(node.args), a(node.kwargs), tuple(v.shape for v in node.outs))


class Loop:
    """One folded loop: blocks[t] is the list of nodes of step t."""

    def __init__(self, nodes, start, k, reps):
        self.start, self.k, self.reps = start, k, reps
        self.blocks = [nodes[start + t * k:start + (t + 1) * k] for t in range(reps)]
        self.end = start + k * reps
        self.members = {n.index for b in self.blocks for n in b}
        self.pos = {}                       # node index -> (step, position)
        for t, b in enumerate(self.blocks):
            for p, n in enumerate(b):
                self.pos[n.index] = (t, p)

    def where(self):
        return self.blocks[0][0].where

    def place(self, v):
        """(step, position, out index) of a value made inside the loop, else None."""
        if v.node is None or v.node.index not in self.pos:
            return None
        t, p = self.pos[v.node.index]
        return t, p, v.node.outs.index(v)


def _carries(nodes, start, k, reps):
    """True when some value made in one block is read by the next."""
    lo, hi = start, start + k * reps
    for n in nodes[start + k:hi]:
        for v in n.vals():
            if v.node is not None and lo <= v.node.index < n.index and \
                    (n.index - lo) // k - (v.node.index - lo) // k == 1:
                return True
    return False


def find_loops(nodes, min_reps=2):
    """The loops of a recorded run, left to right, non-overlapping."""
    sigs = [_sig(n) for n in nodes]
    N = len(nodes)
    loops, s = [], 0
    while s < N:
        best = None
        for k in range(1, (N - s) // 2 + 1):
            r = 1
            while s + (r + 1) * k <= N and sigs[s + r * k:s + (r + 1) * k] == sigs[s:s + k]:
                r += 1
            if r >= min_reps and _carries(nodes, s, k, r):
                if best is None or r * k > best[1] * best[0]:
                    best = (k, r)
        if best:
            loop = Loop(nodes, s, best[0], best[1])
            loops.append(loop)
            s = loop.end
        else:
            s += 1
    return loops
