#!/usr/bin/env python3
"""check-layers.py - the one-way layer rule of libhexz, checked on every #include "...".

Usage: check-layers.py [ROOT]   (ROOT: the source tree, default the repository this script is in)

Reads every .c and .h file under ROOT/src/*/ and ROOT/cli/, resolves each `#include "X"` the way
the build does (beside the including file, then ROOT/src/, then ROOT/include/; a name found in
none of them, such as blake3.h, is a third-party header and is not checked) and prints one line
per violation, then exits 1; with none it prints nothing and exits 0 (2 on a usage error).

The rule (README.md, "Layers"): a file in src/X may include headers of X itself, of folders at a
lower level, and the public headers (include/hexz.h, include/hexz_backend.h); never a header of another folder at its own level or above.
  level 0  common
  level 1  hash
  level 2  codec chunk crypto format store
  level 3  pack read
  level 4  ops
cli/ includes only the public headers and cli/'s own headers. A folder of src/ missing from the table
is a violation of its own (give it a level here). Cycles are reported too: between folders (any
include from one folder of src/ into another is an edge), and between the files of one folder:
headers that include each other in a circle (a.h -> b.h -> a.h), and sources that call each
other in a circle through their headers (a.c -> b.c -> a.c: a.c includes b.h and b.c includes
a.h; a header-only b.h, or one included only by headers, makes no such edge).

Output lines (sorted, so that the output is stable):
  FILE: includes "HEADER": WHY
  cycle between folders: A -> B -> A
  cycle between files of src/X: a -> b -> a
"""
import os
import re
import sys

LEVELS = {
    "common": 0,
    "hash": 1,
    "codec": 2, "chunk": 2, "crypto": 2, "format": 2, "store": 2,
    "pack": 3, "read": 3,
    "ops": 4,
}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def source_files(root):
    """Every .c/.h file under src/*/ and cli/, as paths relative to root, sorted."""
    out = []
    src = os.path.join(root, "src")
    if os.path.isdir(src):
        for folder in sorted(os.listdir(src)):
            d = os.path.join(src, folder)
            if not os.path.isdir(d):
                continue
            for name in sorted(os.listdir(d)):
                if name.endswith((".c", ".h")):
                    out.append("src/%s/%s" % (folder, name))
    cli = os.path.join(root, "cli")
    if os.path.isdir(cli):
        for name in sorted(os.listdir(cli)):
            if name.endswith((".c", ".h")):
                out.append("cli/" + name)
    return out


def includes_of(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            m = INCLUDE_RE.match(line)
            if m:
                yield m.group(1)


def resolve(root, rel, name):
    """The included file as a path relative to root, or None for a header found nowhere."""
    for base in (os.path.dirname(rel), "src", "include"):
        cand = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


# The installed headers: any file may include them.
PUBLIC_HEADERS = ("include/hexz.h", "include/hexz_backend.h")


def folder_of(rel):
    """'src/pack/x.c' -> 'pack'; 'cli/x.c' -> 'cli'; 'include/hexz.h' -> 'include'."""
    parts = rel.split("/")
    if parts[0] == "src" and len(parts) == 3:
        return parts[1]
    return parts[0]


def layer_violation(src_folder, dst_rel):
    """Why including dst_rel from a file of src_folder breaks the rule, or None."""
    dst_folder = folder_of(dst_rel)
    if src_folder == "cli":
        if dst_folder == "cli" or dst_rel in PUBLIC_HEADERS:
            return None
        return "cli includes only include/hexz.h and its own headers"
    if dst_rel in PUBLIC_HEADERS or dst_folder == src_folder:
        return None
    if src_folder not in LEVELS:
        return "src/%s is not in the layer table (give it a level in scripts/check-layers.py)" % src_folder
    if dst_folder not in LEVELS:
        return "%s is not a header of a folder in the layer table" % dst_rel
    a, b = LEVELS[src_folder], LEVELS[dst_folder]
    if b == a:
        return "%s (level %d) may not include %s (level %d): the same level" % (
            src_folder, a, dst_folder, b)
    if b > a:
        return "%s (level %d) may not include %s (level %d): a higher level" % (
            src_folder, a, dst_folder, b)
    return None


def cycles(graph):
    """One cycle (a list of nodes, first == last) per strongly connected component that has
    one, each starting at its smallest node; iterative Tarjan, nodes and edges sorted."""
    index, low, on_stack, stack, comps = {}, {}, set(), [], []
    counter = [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    n = stack.pop()
                    on_stack.discard(n)
                    comp.add(n)
                    if n == node:
                        break
                if len(comp) > 1:
                    comps.append(comp)
    return [shortest_cycle(graph, comp) for comp in comps]


def shortest_cycle(graph, comp):
    """The shortest cycle through the smallest node of comp (breadth-first, within comp)."""
    first = min(comp)
    prev, frontier, seen = {}, [first], {first}
    while frontier:
        nxt_frontier = []
        for node in frontier:
            for nxt in sorted(graph.get(node, ())):
                if nxt not in comp:
                    continue
                if nxt == first:
                    path = [node]
                    while path[-1] != first:
                        path.append(prev[path[-1]])
                    return path[::-1] + [first]
                if nxt not in seen:
                    seen.add(nxt)
                    prev[nxt] = node
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    return [first, first]


def unit_of(rel):
    """A header's unit within its folder: its name without .h (x.h is implemented by x.c)."""
    return os.path.splitext(os.path.basename(rel))[0]


def check(root):
    lines = []
    folder_graph = {}
    header_graphs = {}  # folder -> {header: headers it includes}
    unit_graphs = {}  # folder -> {x.c: y.c for each y.h that x.c includes}
    for rel in source_files(root):
        src_folder = folder_of(rel)
        for name in includes_of(root, rel):
            dst = resolve(root, rel, name)
            if dst is None:
                if src_folder == "cli":
                    lines.append('%s: includes "%s": %s' % (
                        rel, name, "cli includes only include/hexz.h and its own headers"))
                continue
            why = layer_violation(src_folder, dst)
            if why:
                lines.append('%s: includes "%s": %s' % (rel, name, why))
            dst_folder = folder_of(dst)
            if not rel.startswith("src/") or not dst.startswith("src/"):
                continue
            if dst_folder != src_folder:
                folder_graph.setdefault(src_folder, set()).add(dst_folder)
                folder_graph.setdefault(dst_folder, set())
                continue
            if rel.endswith(".h"):
                graph = header_graphs.setdefault(src_folder, {})
                a, b = os.path.basename(rel), os.path.basename(dst)
            else:
                graph = unit_graphs.setdefault(src_folder, {})
                a, b = os.path.basename(rel), unit_of(dst) + ".c"
            graph.setdefault(a, set())
            graph.setdefault(b, set())
            if a != b:
                graph[a].add(b)
    for cyc in cycles(folder_graph):
        lines.append("cycle between folders: " + " -> ".join(cyc))
    for graphs in (header_graphs, unit_graphs):
        for folder in sorted(graphs):
            for cyc in cycles(graphs[folder]):
                lines.append("cycle between files of src/%s: %s" % (folder, " -> ".join(cyc)))
    return sorted(lines)


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1].startswith("-")):
        sys.stderr.write("usage: check-layers.py [ROOT]\n")
        return 2
    root = argv[1] if len(argv) == 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    if not os.path.isdir(os.path.join(root, "src")):
        sys.stderr.write("check-layers.py: %s: no src/ folder\n" % root)
        return 2
    lines = check(root)
    for line in lines:
        print(line)
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
