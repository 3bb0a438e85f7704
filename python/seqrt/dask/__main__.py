"""python3 -m seqrt.dask bench [options]: see seqrt.dask.bench."""
import sys


def main(argv):
    if not argv or argv[0] != "bench":
        print("usage: python3 -m seqrt.dask bench [--help | options]", file=sys.stderr)
        return 2
    from .bench import main as bench
    return bench(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
