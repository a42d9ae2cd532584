#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""layers.py: the tree's shape, checked from what the compiler made.

  layers.py OBJDIR             every tracked C file of the host and guest
                               programs, with its object under OBJDIR
  layers.py SRC=OBJ ...        calls between the given files only (fixtures)
  layers.py --includes ROOT    includes of the git tree at ROOT only (fixtures)

From each object's defined and undefined symbols (nm), file A calls file B
when A uses a symbol B defines. Two findings fail it, one line each:
  file circle: A B ...     files of one folder that call each other round
                           (a helper file both use takes the shared part)
  folder circle: P Q ...   folders that do (each subfolder counts as one)
With OBJDIR it also reads the #include lines: a header of another top-level
folder must be one of that folder's narrow headers (at its top, or X/X.h of
its subfolder X) or one listed in SHARED below; anything else is
  private header: FILE includes HEADER
lib/ and proto/ are everyone's. Exit 0 when nothing is found, 1 otherwise.
"""
import os
import re
import subprocess
import sys
from collections import defaultdict

TOPS = ("hyperstart", "lib", "proto", "packer", "runner", "bundle", "cli")
INCLUDE_DIRS = ("lib", "proto", "packer", "runner", "bundle")  # the Makefiles' -I
# Headers of a subfolder that other folders may include, and why.
SHARED = {
    "packer/cache/layout.h": "the cache's names, for every part that reads or writes there",
    "packer/common/virtfs.h": "qemu's mapped-xattr owners, written by the packer, read by the runner",
}


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2 and f[0] == "U":
            used.add(f[1])
        elif len(f) == 3 and f[1] in "TDBRCV":
            defined.add(f[2])
    return defined, used


def tracked(pattern, root="."):
    return subprocess.run(["git", "-C", root, "ls-files", pattern], capture_output=True, text=True,
                          check=True).stdout.split()


def from_tree(objdir):
    """SRC -> OBJ for each tracked .c of the programs that has an object."""
    pairs = {}
    for src in tracked("*.c"):
        top = src.split("/")[0]
        if top not in TOPS or src == "packer/qpod-pack.c":
            continue
        side = "guest" if top == "hyperstart" else "host"
        obj = os.path.join(objdir, side, src[:-2] + ".o")
        if not os.path.exists(obj):
            sys.exit("layers.py: %s has no object %s (make image first)" % (src, obj))
        pairs[src] = obj
    return pairs


def side(src):  # hyperstart links the guest's lib and proto, never the host's files
    return "guest" if src.startswith("hyperstart/") else "host"


def calls(pairs):
    defs, uses = defaultdict(set), {}
    for src, obj in pairs.items():
        d, u = symbols(obj)
        uses[src] = u
        for s in d:
            defs[s].add(src)
    edges = defaultdict(set)
    for src, used in uses.items():
        for s in used:
            for callee in defs.get(s, ()):
                if callee != src and (side(callee) == side(src) or callee.split("/")[0] in ("lib", "proto")):
                    edges[src].add(callee)
    return edges


def circles(edges):
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    nodes = sorted(set(edges) | {w for ws in edges.values() for w in ws})
    index, low, stack, on, found, n = {}, {}, [], set(), [], 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = n
        n += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = n
                    n += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def folder_findings(edges):
    out = []
    within = defaultdict(set)
    between = defaultdict(set)
    for a, bs in edges.items():
        for b in bs:
            fa, fb = os.path.dirname(a), os.path.dirname(b)
            (within if fa == fb else between)[a if fa == fb else fa].add(b if fa == fb else fb)
    out += ["file circle: " + " ".join(c) for c in circles(within)]
    out += ["folder circle: " + " ".join(c) for c in circles(between)]
    return out


def include_findings(root="."):
    files = [f for f in tracked("*.[ch]", root) if f.split("/")[0] in TOPS]
    headers = set(f for f in files if f.endswith(".h"))
    out = []
    for f in files:
        top = f.split("/")[0]
        with open(os.path.join(root, f)) as fh:
            text = fh.read()
        for inc in re.findall(r'^#include "([^"]+)"', text, re.M):
            cands = [os.path.normpath(os.path.join(os.path.dirname(f), inc)), os.path.join(top, inc)]
            cands += [os.path.join(d, inc) for d in INCLUDE_DIRS]
            h = next((c for c in cands if c in headers), None)
            if not h or h.split("/")[0] in (top, "lib", "proto"):
                continue
            parts = h.split("/")
            narrow = len(parts) == 2 or (len(parts) == 3 and parts[2] == parts[1] + ".h")
            if not narrow and h not in SHARED:
                out.append("private header: %s includes %s" % (f, h))
    return out


def main(argv):
    if len(argv) == 2 and argv[0] == "--includes":
        findings = include_findings(argv[1])
    elif len(argv) == 1 and "=" not in argv[0]:
        pairs = from_tree(argv[0])
        findings = folder_findings(calls(pairs)) + include_findings()
    elif argv and all("=" in a for a in argv):
        pairs = dict(a.split("=", 1) for a in argv)
        findings = folder_findings(calls(pairs))
    else:
        sys.exit(__doc__)
    for line in findings:
        print(line)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
