"""Which items go together: batches of similar length, sized from a
measured cost.

A task should run long enough that the engine's own cost per task (the
scheduler's messages and bookkeeping, the transfers: a few milliseconds on
an idle machine, much more on a busy one) stays small beside it: tens of
milliseconds or more. Both are measured at the start of a job: the cost of
a batch (seconds per sequence and step, from a batch run on a worker) and
the engine's (its round trip beyond the task's own time). A task's target
is ten times the engine's cost (within 0.05 and 1 s), and each batch gets
as many sequences as fit the target at its padded length, within a cap
(memory) and so that every worker gets several tasks (balance at the end of
the job).
"""
import math

TARGET_MIN, TARGET_MAX = 0.05, 1.0   # seconds a task should take, at least and at most
ENGINE_SHARE = 0.1                    # the engine's cost per task, at most this share of the task
PAD = 0.25          # a padded batch's longest sequence is at most 25 % longer than its shortest (or 1 step)
TASKS_PER_WORKER = 4


def target_seconds(overhead):
    """How long a task should take when the engine costs `overhead`
    seconds a task (measured): overhead / ENGINE_SHARE, within TARGET_MIN
    and TARGET_MAX."""
    return min(TARGET_MAX, max(TARGET_MIN, (overhead or 0.0) / ENGINE_SHARE))


def batch_size(step_seconds, steps, target_seconds, cap):
    """Sequences per batch for sequences of `steps` steps, when one sequence
    costs `step_seconds` a step: enough to fill `target_seconds`, at least 1,
    at most `cap`."""
    if step_seconds <= 0:
        return cap
    return max(1, min(cap, int(target_seconds / (step_seconds * steps))))


def balance_cap(n_items, n_workers, cap):
    """The largest batch that still gives every worker TASKS_PER_WORKER tasks."""
    return max(1, min(cap, math.ceil(n_items / max(1, n_workers * TASKS_PER_WORKER))))


def batches(lengths, size_for, padded, skip=()):
    """The items' indices (positions in `lengths`) grouped into batches, each
    sorted by length. ``size_for(T)`` is the batch size for sequences padded
    to T steps. Without padding (a model without a lengths input) a batch
    holds sequences of one length only; with padding, lengths within PAD of
    the batch's shortest. Items in `skip` are left out (already done)."""
    skip = set(skip)
    order = sorted((i for i in range(len(lengths)) if i not in skip), key=lambda i: (lengths[i], i))
    out, cur = [], []
    for i in order:
        T = lengths[i]
        if cur:
            T0 = lengths[cur[0]]
            fits = T == T0 if not padded else T <= max(T0 + 1, T0 * (1 + PAD))
            if fits and len(cur) < size_for(T):
                cur.append(i)
                continue
            out.append(cur)
        cur = [i]
    if cur:
        out.append(cur)
    return out


def pick_sample(lengths, k, padded):
    """Up to `k` items about the median length (of the median length exactly
    without padding): the batch that measures the cost."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    if not padded:
        T = lengths[order[len(order) // 2]]
        order = [i for i in order if lengths[i] == T]
    mid = len(order) // 2
    lo = max(0, min(mid - k // 2, len(order) - k))
    return order[lo:lo + k]
