#!/usr/bin/env python3
"""Checks two rules of the tree's shape (DEVELOPERS' guide, issue 18):

  1. no circle of files that call each other: in C, file A calls a function
     defined in B and B (directly or through others) calls one defined in A;
     in Python, modules that import each other in a circle;
  2. no source file over the line limit (700 by default).

Tests (tests/, */tests/, test_*.c, test_*.py, fuzz/) are left out of both:
a test calls what it tests, a test helper may call back, and a test file is
a list of cases.

  /usr/bin/python3 tools/check_structure.py [--root DIR] [--max-lines N] [--list-edges]

Prints each circle (the files, and one call or import for each edge of it)
and each file over the limit; exit 1 if there is any, else 0. It reads the
sources as text: C function definitions are found at the start of a line
(the tree's style), calls as `name(`; a call through a function pointer (a
vtable slot) is not a call of a file. Static functions resolve within their
own file; a name defined in several files resolves to one in the caller's
directory first.
"""
import argparse
import ast
import os
import re
import sys

SOURCE_DIRS = ["api", "reference", "backends", "conformance", "bench", "tools", "examples", "python"]
SOURCE_EXT = (".c", ".h", ".py", ".cl", ".sh", ".cmake", ".js")
C_KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "defined", "_Alignof", "alignof",
              "__attribute__", "_Static_assert", "static_assert", "do", "else", "case", "typeof",
              "__typeof__", "_Generic", "offsetof", "va_arg"}


def is_test(rel):
    parts = rel.split(os.sep)
    base = parts[-1]
    return (parts[0] == "tests" or "tests" in parts[:-1] or "fuzz" in parts[:-1]
            or base.startswith("test_") or base == "conftest.py")


def source_files(root):
    for top in SOURCE_DIRS + ["tests"]:
        d = os.path.join(root, top)
        for dirpath, dirnames, filenames in os.walk(d):
            dirnames[:] = sorted(x for x in dirnames if x not in ("__pycache__", "build", "node_modules", "data"))
            for f in sorted(filenames):
                if f.endswith(SOURCE_EXT):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


# ------------------------------------------------------------------ C

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_STRING = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'')
_DEF = re.compile(r"^(?P<head>[A-Za-z_][^;{}()#=]*?)\b(?P<name>[A-Za-z_]\w*)\s*\((?P<args>[^;{}]*?)\)\s*\{", re.M)
_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


def strip_c(text):
    text = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    text = _STRING.sub('""', text)
    # preprocessor lines (macros) are not definitions; keep their calls
    return "\n".join("" if ln.lstrip().startswith("#") and not ln.lstrip().startswith("#define") else ln
                     for ln in text.split("\n"))


def c_defs_and_calls(text):
    text = strip_c(text)
    defs = {}
    for m in _DEF.finditer(text):
        head = m.group("head")
        if re.search(r"\b(typedef|struct|enum|union)\s*$", head.strip()) or head.strip() in ("", "return"):
            continue
        defs[m.group("name")] = "static" in head.split()
    calls = {}
    for ln_no, ln in enumerate(text.split("\n"), 1):
        for m in _CALL.finditer(ln):
            name = m.group(1)
            if name not in C_KEYWORDS:
                calls.setdefault(name, ln_no)
    return defs, calls


def c_edges(root, files):
    info = {}
    for rel in files:
        with open(os.path.join(root, rel), errors="replace") as f:
            info[rel] = c_defs_and_calls(f.read())
    # A function defined in a header (static inline) is compiled into each
    # file that includes it: a call of it is no edge, and neither are the
    # calls it makes (they are its includers' own).
    public, inline = {}, set()
    for rel, (defs, _) in info.items():
        for name, static in defs.items():
            if rel.endswith(".h"):
                inline.add(name)
            elif not static:
                public.setdefault(name, []).append(rel)
    edges = {}
    for rel, (defs, calls) in info.items():
        if rel.endswith(".h"):
            continue
        for name, line in calls.items():
            if name in defs or name in inline:
                continue
            where = public.get(name)
            if not where:
                continue
            near = [w for w in where if os.path.dirname(w) == os.path.dirname(rel)]
            target = (near or where)[0]
            if target != rel:
                edges.setdefault((rel, target), "%s() at %s:%d" % (name, rel, line))
    return edges


# ------------------------------------------------------------------ Python

def py_module_name(rel):
    parts = rel[:-3].split(os.sep)
    if parts[0] == "python":
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def py_edges(root, files):
    mods = {py_module_name(rel): rel for rel in files}
    edges = {}
    for rel in files:
        name = py_module_name(rel)
        pkg = name if rel.endswith("__init__.py") else name.rpartition(".")[0]
        with open(os.path.join(root, rel)) as f:
            try:
                tree = ast.parse(f.read(), rel)
            except SyntaxError:
                continue
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = pkg.split(".")
                    up = up[:len(up) - (node.level - 1)] if node.level > 1 else up
                    base = ".".join([p for p in up if p] + ([base] if base else []))
                targets = [base] + ["%s.%s" % (base, a.name) for a in node.names]
            for t in targets:
                # importing a module of its own package's __init__ is the package itself
                if t in mods and mods[t] != rel and not (mods[t].endswith("__init__.py") and name.startswith(t + ".")):
                    edges.setdefault((rel, mods[t]), "import %s at %s:%d" % (t, rel, node.lineno))
    return edges


# ------------------------------------------------------------------ circles

def strongly_connected(nodes, edges):
    adj = {n: [] for n in nodes}
    for a, b in edges:
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, [])
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):  # iterative Tarjan
        work = [(v, iter(adj[v]))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(adj[w])))
                    advanced = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))

    for n in sorted(adj):
        if n not in index:
            visit(n)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--max-lines", type=int, default=700)
    ap.add_argument("--list-edges", action="store_true", help="print every file-to-file edge")
    a = ap.parse_args(argv)
    root = os.path.abspath(a.root)
    files = list(source_files(root))
    problems = 0

    for rel in files:
        if is_test(rel):  # a test file is a list of cases; the rule is for the code
            continue
        with open(os.path.join(root, rel), errors="replace") as f:
            n = sum(1 for _ in f)
        if n > a.max_lines:
            print("too long: %s: %d lines (limit %d)" % (rel, n, a.max_lines))
            problems += 1

    code = [r for r in files if not is_test(r)]
    edges = dict(c_edges(root, [r for r in code if r.endswith((".c", ".h"))]))
    edges.update(py_edges(root, [r for r in code if r.endswith(".py")]))
    if a.list_edges:
        for (x, y), why in sorted(edges.items()):
            print("edge: %s -> %s (%s)" % (x, y, why))
    for comp in strongly_connected(code, edges):
        problems += 1
        print("circle of %d files: %s" % (len(comp), ", ".join(comp)))
        members = set(comp)
        for (x, y), why in sorted(edges.items()):
            if x in members and y in members:
                print("    %s -> %s: %s" % (x, y, why))
    n_c = sum(1 for r in code if r.endswith((".c", ".h")))
    n_py = sum(1 for r in code if r.endswith(".py"))
    print("check_structure: %d files (%d C, %d Python outside tests), %d edges, %d problem(s)"
          % (len(files), n_c, n_py, len(edges), problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
