"""Writing an item's outputs: one .npz per item, atomically.

The arrays are written to a hidden temporary file in the same directory
and renamed over the final name (os.replace) only when complete, so a
reader never sees a partial file: a task that dies mid-write (its worker
killed) leaves at most its temporary file, which the job removes at its end,
and a task that Dask reruns replaces the file whole. Names inside the .npz
are the output names with ':' written as '.', as `seqrt run` names its
files (rnn:h_n -> rnn.h_n).
"""
import glob
import os
import uuid

import numpy as np

from .. import errors


def final_path(output_dir, name):
    return os.path.join(output_dir, name + ".npz")


def _temp_prefix(name, job):
    return ".%s.npz.%s-" % (name, job)


def write_outputs(output_dir, name, arrays, job="", fsync=False):
    """Writes `arrays` ({output name: array}) to OUTPUT_DIR/NAME.npz through
    a temporary file; returns the final path. With `fsync`, the data reaches
    the disk before the rename (safe against a machine's crash, not only a
    process's)."""
    final = final_path(output_dir, name)
    tmp = os.path.join(output_dir, _temp_prefix(name, job) + uuid.uuid4().hex + ".tmp")
    try:
        with open(tmp, "xb") as f:
            np.savez(f, **{k.replace(":", "."): v for k, v in arrays.items()})
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, final)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise errors.FileError("seqrt.dask: cannot write %s: %s" % (final, e.strerror or e)) from None
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return final


def remove_temporaries(output_dir, job):
    """Removes what tasks of job `job` killed mid-write left; returns the
    count. Safe to run on several workers sharing the directory."""
    n = 0
    for p in glob.glob(os.path.join(glob.escape(output_dir), ".*.npz.%s-*.tmp" % job)):
        try:
            os.unlink(p)
            n += 1
        except FileNotFoundError:
            pass
    return n
