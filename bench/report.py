#!/usr/bin/env python3
"""report.py DIR - the Markdown report of a bench/run.sh run (reads DIR/machine.tsv,
results.tsv, read.jsonl and rss.tsv; prints to stdout)."""

import csv
import json
import math
import os
import sys

MiB = 1 << 20

# Targets of issue 3, judged on the mixed image with the default chunking (cdc) and both cores.
T_PACK_LZ4 = 1.8      # hexz pack lz4 -j2 throughput / lz4 -1
T_PACK_ZSTD = 0.95    # hexz pack zstd -j2 throughput / zstd -3 -T2, and a smaller output
T_EXTRACT_LZ4 = 0.8   # hexz extract throughput / lz4 -d, per core used (both use one thread)
T_RSS_MIB = 256       # peak RSS of pack on an 8 GiB input
T_READ_P50_US = 2.0   # warm 4 KiB random read, in-process


def load(dirpath):
    machine = []
    with open(os.path.join(dirpath, "machine.tsv")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            machine.append((k, v))
    rows = []
    with open(os.path.join(dirpath, "results.tsv")) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            r.setdefault("best_wall_s", r["wall_s"])
            for k in ("in_bytes", "wall_s", "user_s", "sys_s", "maxrss_kb", "out_bytes", "best_wall_s"):
                try:
                    r[k] = float(r[k])
                except ValueError:
                    r[k] = float("nan")
            rows.append(r)
    reads = []
    p = os.path.join(dirpath, "read.jsonl")
    if os.path.exists(p):
        with open(p) as f:
            reads = [json.loads(line) for line in f if line.strip()]
    rss = []
    p = os.path.join(dirpath, "rss.tsv")
    if os.path.exists(p):
        with open(p) as f:
            rss = list(csv.DictReader(f, delimiter="\t"))
    return machine, rows, reads, rss


def tput(r, key="wall_s"):
    return r["in_bytes"] / r[key] / MiB if r[key] > 0 else float("nan")


def best(r):
    return tput(r, "best_wall_s")


def cores_used(r):
    """CPU time over wall time of the run, at least 1."""
    return max(1.0, (r["user_s"] + r["sys_s"]) / r["wall_s"]) if r["wall_s"] > 0 else 1.0


def fmt(x, nd=2):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return ("%." + str(nd) + "f") % x


def table(header, body, align=None):
    out = ["| " + " | ".join(header) + " |"]
    align = align or (["---"] + ["--:"] * (len(header) - 1))
    out.append("|" + "|".join(align) + "|")
    for b in body:
        out.append("| " + " | ".join(str(x) for x in b) + " |")
    return "\n".join(out)


def op_table(rows, op):
    body = []
    for r in rows:
        cpu = r["user_s"] + r["sys_s"]
        line = [r["tool"], fmt(r["wall_s"]), fmt(tput(r), 0), fmt(best(r), 0),
                fmt(r["user_s"]) + " + " + fmt(r["sys_s"]),
                fmt(cpu / r["wall_s"] if r["wall_s"] > 0 else float("nan")),
                fmt(r["in_bytes"] / cpu / MiB if cpu > 0 else float("nan"), 0), fmt(r["maxrss_kb"] / 1024, 1)]
        if op == "pack":
            line += [fmt(r["out_bytes"] / MiB, 1), fmt(r["in_bytes"] / r["out_bytes"] if r["out_bytes"] > 0 else float("nan"))]
        line += [r.get("load1", ""), r["ok"]]
        body.append(line)
    header = ["tool", "wall (s)", "MiB/s", "best MiB/s", "CPU user + sys (s)", "cores", "MiB per CPU-s",
              "peak RSS (MiB)"]
    if op == "pack":
        header += ["output (MiB)", "ratio"]
    header += ["load", "ok"]
    return table(header, body)


def by_tool(rows, st, op):
    return {r["tool"]: r for r in rows if r["set"] == st and r["op"] == op and not math.isnan(r["wall_s"])}


def ratios(rows, st):
    pack = by_tool(rows, st, "pack")
    ext = by_tool(rows, st, "extract")
    hexz_p = [t for t in pack if t.startswith("hexz ")]
    peers_p = [t for t in pack if not t.startswith("hexz ")]
    out = []
    if hexz_p and peers_p:
        out.append("Pack, hexz ÷ peer: throughput× (higher is better) / output size× (lower is better)\n")
        body = []
        for h in hexz_p:
            body.append([h] + ["%s / %s" % (fmt(tput(pack[h]) / tput(pack[p])), fmt(pack[h]["out_bytes"] / pack[p]["out_bytes"]))
                               for p in peers_p])
        out.append(table(["hexz"] + peers_p, body))
    hexz_e = [t for t in ext if t.startswith("hexz ")]
    peers_e = [t for t in ext if not t.startswith("hexz ")]
    if hexz_e and peers_e:
        out.append("\nExtract, hexz ÷ peer: throughput× (higher is better)\n")
        body = [[h] + [fmt(tput(ext[h]) / tput(ext[p])) for p in peers_e] for h in hexz_e]
        out.append(table(["hexz"] + peers_e, body))
    return "\n".join(out)


def verdict(ok):
    return "MET" if ok else "MISSED"


def targets(rows, reads, rss, st="mixed"):
    pack = by_tool(rows, st, "pack")
    ext = by_tool(rows, st, "extract")
    # A tree is fed to lz4 and zstd as a tar stream: "tar+lz4 -1" stands in for "lz4 -1".
    for d in (pack, ext):
        for t in list(d):
            if t.startswith("tar+"):
                d[t[4:]] = d[t]
    body = []

    def ratio_row(name, h, p, target, extra=None):
        if h in pack and p in pack:
            x = tput(pack[h]) / tput(pack[p])
            xb = best(pack[h]) / best(pack[p])
            ok, okb = x >= target, xb >= target
            note = "%s: %s MiB/s vs %s: %s MiB/s (best: %s vs %s)" % (
                h, fmt(tput(pack[h]), 0), p, fmt(tput(pack[p]), 0), fmt(best(pack[h]), 0), fmt(best(pack[p]), 0))
            if extra:
                ok2, note2 = extra(pack[h], pack[p])
                ok, okb = ok and ok2, okb and ok2
                note += "; " + note2
            body.append([name, "%s× (best %s×)" % (fmt(x), fmt(xb)), note, verdict(ok), verdict(okb)])

    def smaller(h, p):
        x = h["out_bytes"] / p["out_bytes"]
        return x < 1.0, "output %s MiB vs %s MiB (%s×)" % (fmt(h["out_bytes"] / MiB, 1), fmt(p["out_bytes"] / MiB, 1), fmt(x))

    for k in ("cdc", "fixed"):
        ratio_row("pack lz4 (%s, -j2) ≥ 1.8× lz4 -1" % k, "hexz lz4 %s -j2" % k, "lz4 -1", T_PACK_LZ4)
    for k in ("cdc", "fixed"):
        ratio_row("pack zstd-3 (%s, -j2) ≥ 0.95× zstd -3 -T2, smaller" % k, "hexz zstd %s -j2" % k, "zstd -3 -T2",
                  T_PACK_ZSTD, smaller)
    for k in ("cdc", "fixed"):
        h, p = "hexz lz4 %s" % k, "lz4 -1"
        if h in ext and p in ext:
            # Per core used: throughput divided by max(1, CPU time / wall time) of the same run
            # (hexz extract decodes ahead on several threads; lz4 -d uses one).
            ch, cp = cores_used(ext[h]), cores_used(ext[p])
            x = (tput(ext[h]) / ch) / (tput(ext[p]) / cp)
            xb = (best(ext[h]) / ch) / (best(ext[p]) / cp)
            body.append(["extract lz4 (%s) ≥ 0.8× lz4 -d per core" % k, "%s× (best %s×)" % (fmt(x), fmt(xb)),
                         "%s MiB/s on %s cores vs %s MiB/s on %s (best: %s vs %s); plain ratio %s×" % (
                             fmt(tput(ext[h]), 0), fmt(ch), fmt(tput(ext[p]), 0), fmt(cp), fmt(best(ext[h]), 0),
                             fmt(best(ext[p]), 0), fmt(tput(ext[h]) / tput(ext[p]))),
                         verdict(x >= T_EXTRACT_LZ4), verdict(xb >= T_EXTRACT_LZ4)])
    big = [r for r in rss if float(r["size"]) >= 8 * (1 << 30)]
    if st != "mixed":
        pass
    elif big:
        for r in big:
            m = float(r["maxrss_kb"]) / 1024
            body.append(["pack peak RSS ≤ 256 MiB on %s GiB (%s)" % (fmt(float(r["size"]) / (1 << 30), 0), r["codec"]),
                         "%s MiB" % fmt(m, 1), "%s s wall" % r["wall_s"], verdict(m <= T_RSS_MIB), "(one run)"])
    else:
        body.append(["pack peak RSS ≤ 256 MiB on 8 GiB", "not run", "use --rss-check 8G", "—", "—"])
    for rd in reads:
        if rd.get("set") == st and rd["pass"] == "warm" and rd["threads"] == 1:
            body.append(["warm 4 KiB random read p50 ≤ 2 µs (%s)" % rd["codec"], "%s µs" % fmt(rd["p50_us"], 3),
                         "p99 %s µs" % fmt(rd["p99_us"], 3), verdict(rd["p50_us"] <= T_READ_P50_US), "(one run)"])
    return table(["target (%s data set)" % st, "measured (median run)", "detail", "verdict (median)",
                  "verdict (best)"], body, ["---", "--:", "---", "---", "---"])


def main():
    d = sys.argv[1]
    machine, rows, reads, rss = load(d)
    print("# hexz benchmark report\n")
    print(table(["", ""], [[k, v] for k, v in machine], ["---", "---"]))
    print("\nThroughput is input bytes ÷ wall time (MiB/s); cores = (user + sys) ÷ wall; peak RSS is "
          "/usr/bin/time's maximum resident set size; ratio = input ÷ output bytes; MiB per CPU-s = "
          "input ÷ (user + sys), which other processes on the machine disturb less than wall time. "
          "Each figure is from the run with the median wall time of the repetitions; 'best MiB/s' "
          "uses the shortest wall time instead. 'load' is the 1-minute load average as the command "
          "started (the machine has 2 cores).")
    sets = []
    for r in rows:
        if r["set"] not in sets:
            sets.append(r["set"])
    for st in sets:
        mine = [r for r in rows if r["set"] == st]
        inb = mine[0]["in_bytes"]
        print("\n## %s (%s MiB of input)\n" % (st, fmt(inb / MiB, 1)))
        print("### pack\n")
        print(op_table([r for r in mine if r["op"] == "pack"], "pack"))
        print("\n### extract\n")
        print(op_table([r for r in mine if r["op"] == "extract"], "extract"))
        fs = [r for r in mine if r["op"] == "fsync"]
        if fs:
            print("\nTime hexz spent in fsync (strace -T; the peers do not fsync): " +
                  "; ".join("%s %s s" % (r["tool"], fmt(r["wall_s"], 3)) for r in fs) + ".")
        print("\n### hexz vs peers\n")
        print(ratios(rows, st))
    if any(r["set"] == "mixed" for r in rows):
        print("\n## Targets\n")
        print(targets(rows, reads, rss))
        for st in sets:
            if st != "mixed":
                print("\nThe same targets on the %s data set (for information):\n" % st)
                print(targets(rows, [], [], st))
    if reads:
        print("\n## Random reads in-process (bench_read)\n")
        body = [[r["set"], r["codec"], r["pass"], r["threads"], r["reads"], fmt(r["p50_us"]), fmt(r["p99_us"]),
                 fmt(r["mean_us"]), "%d" % r["reads_per_s"], fmt(r["mib_per_s"], 0),
                 fmt(r.get("cpu", float("nan")))] for r in reads]
        print(table(["set", "codec", "pass", "threads", "reads", "p50 (µs)", "p99 (µs)", "mean (µs)", "reads/s",
                     "MiB/s", "cores"], body, ["---"] * 3 + ["--:"] * 8))
    if rss:
        print("\n## Bounded memory (hexz pack, cdc, -j 2)\n")
        body = []
        for r in rss:
            ub = float(r["unique_blocks"] or 0)
            body.append([fmt(float(r["size"]) / (1 << 30), 1), r["codec"], r["wall_s"],
                         fmt(float(r["size"]) / float(r["wall_s"]) / MiB, 0), fmt(float(r["maxrss_kb"]) / 1024, 1),
                         fmt(float(r["out_bytes"]) / MiB, 0), "%d" % ub,
                         fmt(56 * 2 ** math.ceil(math.log2(max(ub, 1) * 4 / 3)) / MiB, 1) if ub else "n/a"])
        print(table(["input (GiB)", "codec", "wall (s)", "MiB/s", "peak RSS (MiB)", "output (MiB)", "unique blocks",
                     "dedup table (MiB)"], body))


if __name__ == "__main__":
    main()
