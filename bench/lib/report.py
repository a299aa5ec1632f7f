#!/usr/bin/env python3
"""The reporting side of bench/run: reads the "bench-data: {JSON}" lines
that bench/lib/measure.py printed (on the nested L1's console, or
directly), and writes the figures as JSON (bench.json) and as a Markdown
table (bench.md, also printed): medians with min and max over the
repetitions, and every figure as a ratio, Scorpi / the other.

usage: report.py OUTDIR LOG... [--smoke] [--host TEXT]
One LOG per architecture (x86_64, arm64: each run says which). Exit
status 0 when every figure was measured or is marked as not measurable;
1 when some measurement failed (the table and JSON are written all the
same); 2 when no LOG holds a run that started.
"""

import argparse
import datetime
import json
import os
import statistics
import sys

NAMES = {"scorpi": "Scorpi", "qemu-microvm": "QEMU microvm",
         "qemu-q35": "QEMU q35", "qemu-virt": "QEMU virt", "host": "host file"}

# What each figure compares with, as bench/lib/measure.py measures it.
ARCHES = {
    "x86_64": {"title": "x86-64", "boot": ["qemu-microvm", "qemu-q35"],
               "devices": "qemu-q35", "light": "qemu-microvm"},
    "arm64": {"title": "arm64", "boot": ["qemu-virt"],
              "devices": "qemu-virt", "light": "qemu-virt"},
}

# Scorpi's own exit counters have no QEMU counterpart.
NO_QEMU_COUNTERS = "QEMU keeps no count of its own"

KVM_EXIT_ORDER = ["exits", "io_exits", "mmio_exits", "halt_exits",
                  "irq_exits", "irq_window_exits", "nmi_window_exits",
                  "request_irq_exits", "signal_exits", "hypercalls",
                  "insn_emulation"]


def stats(values):
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values),
            "max": max(values), "n": len(values), "samples": values}


class Rows:
    def __init__(self, recs):
        self.recs = recs
        self.rows = []
        self.fail = {}  # (figure, target) -> why
        self.unavail = {}  # (figure, target, what) -> why
        self.missing = ("no measurement came back"
                        if any(r["kind"] == "end" for r in recs) else
                        "not reached: the run stopped before it")
        for r in recs:
            if r["kind"] == "failed":
                # "scorpi", or "scorpi/slirp" (net), "scorpi/concurrent"
                # (scale): a failure counts for its own rows only.
                self.fail.setdefault((r["figure"], r["target"]), r["why"])
            elif r["kind"] == "unavailable":
                self.unavail[(r["figure"], r["target"], r["what"])] = r["why"]

    def cell(self, figure, target, values, what=None, why=None, sub=None):
        if values:
            return stats(values)
        if why:
            return {"unmeasured": why}
        if (figure, target, what) in self.unavail:
            return {"unmeasured": self.unavail[(figure, target, what)]}
        key = (figure, f"{target}/{sub}" if sub else target)
        return {"failed": self.fail.get(key, self.missing)}

    def add(self, figure, rid, title, unit, better, get, main, refs,
            scale=1.0, what=None, why=None, sub=None):
        """A row: MAIN's figure (Scorpi's) against each of REFS, from
        get(target), a list of values; why[target] says why a target has
        none by its nature."""
        why = why or {}
        cells = {}
        for t in [main] + refs:
            vals = get(t)
            vals = [v / scale for v in vals] if vals else vals
            cells[t] = self.cell(figure, t, vals, what, why.get(t), sub)
        row = {"id": rid, "figure": figure, "title": title, "unit": unit,
               "better": better, "scorpi": cells[main], "refs": {}}
        for t in refs:
            c = dict(cells[t])
            s = cells[main]
            if "median" in c and s and "median" in s and c["median"]:
                c["ratio"] = s["median"] / c["median"]
            row["refs"][t] = c
        self.rows.append(row)


def of(recs, kind, **match):
    return [r for r in recs if r["kind"] == kind
            and all(r.get(k) == v for k, v in match.items())]


def build(recs, arch):
    rows = Rows(recs)
    boot = lambda t: of(recs, "boot", target=t)  # noqa: E731
    q = arch["boot"]

    rows.add("boot", "boot_ms", "1. Boot: exec to init's first line",
             "ms", "lower", lambda t: [r["boot_ms"] for r in boot(t)],
             "scorpi", q)
    rows.add("boot", "vmm_cpu_ms", "2. VMM CPU (user+sys, guest excluded) "
             "to init", "ms", "lower",
             lambda t: [r["vmm_cpu_ms"] for r in boot(t)], "scorpi", q)
    # 3. KVM's counters for both; Scorpi's own beside them.
    names = set()
    for r in of(recs, "boot"):
        names.update((r.get("kvm_exits") or {}).keys())
    names = [n for n in KVM_EXIT_ORDER if n in names] + \
        sorted(names - set(KVM_EXIT_ORDER))
    nodebug = {}
    if not names:
        why = "KVM's per-VM debugfs counters are not there"
        nodebug = {t: why for t in ["scorpi"] + q}
        names = ["exits"]
    for n in names:
        vals = lambda t, n=n: [r["kvm_exits"][n] for r in boot(t)  # noqa
                               if r.get("kvm_exits") and n in r["kvm_exits"]]
        if n != "exits" and not any(vals(t) and max(vals(t)) for t in
                                    ["scorpi"] + q):
            continue  # a counter that stays at 0 for every VMM
        rows.add("boot", f"kvm_{n}", f"3. VM exits to init, KVM: {n}",
                 "exits", "lower", vals, "scorpi", q, why=nodebug)
    own = set()
    for r in boot("scorpi"):
        own.update((r.get("own_exits") or {}).get("exits", {}).keys())
    for n in sorted(own) + ["total"]:
        if n != "total" and not any(
                (r.get("own_exits") or {}).get("exits", {}).get(n)
                for r in boot("scorpi")):
            continue  # a reason that never came up

        def vals(t, n=n):
            out = []
            for r in boot(t):
                o = r.get("own_exits")
                if o:
                    out.append(o["total"] if n == "total" else
                               o["exits"].get(n, 0))
            return out
        rows.add("boot", f"own_{n}", f"3. VM exits to init, the VMM's own "
                 f"count: {n}", "exits", "lower", vals, "scorpi", q,
                 why={t: NO_QEMU_COUNTERS for t in q})
    rows.add("boot", "overhead_mib", "4. VMM memory overhead when idle "
             "(private RSS less guest RAM)", "MiB", "lower",
             lambda t: [r["overhead_kib"] for r in boot(t)], "scorpi", q,
             scale=1024)

    # 5. virtio-blk.
    for mode, qd, field, unit, title in (
            ("seqwrite", 1, "mbps", "MiB/s", "seq write 1 MiB"),
            ("seqread", 1, "mbps", "MiB/s", "seq read 1 MiB"),
            ("randread", 1, "iops", "IOPS", "rand read 4 KiB QD 1"),
            ("randread", 32, "iops", "IOPS", "rand read 4 KiB QD 32")):
        rows.add("blk", f"blk_{mode}_qd{qd}", f"5. virtio-blk: {title}", unit,
                 "higher", lambda t, mode=mode, qd=qd, field=field:
                 [r[field] for r in of(recs, "blk", target=t, mode=mode,
                                       qd=qd)],
                 "scorpi", [arch["devices"], "host"])
    # 6. virtio-net.
    for backend in ("slirp", "tap"):
        for d, title in (("g2h", "guest to host"), ("h2g", "host to guest")):
            rows.add("net", f"net_{backend}_{d}", f"6. virtio-net {backend}: "
                     f"{title}", "Mbit/s", "higher",
                     lambda t, backend=backend, d=d:
                     [r["mbits"] for r in of(recs, "net", target=t,
                                             backend=backend, dir=d)],
                     "scorpi", [arch["devices"]], what=f"{backend}-{d}",
                     sub=backend)
    # 7. Many VMs.
    st = next((r for r in recs if r["kind"] == "env"), {}).get("settings", {})
    n, mib = st.get("scale_n", "N"), st.get("scale_mib", "?")
    for how in ("sequential", "concurrent"):
        label = "one after another" if how == "sequential" else "at once"
        rows.add("scale", f"scale_{how}_s", f"7. {n} VMs of {mib} MiB "
                 f"{label}: time to all inits", "s", "lower",
                 lambda t, how=how: [r["seconds"] for r in
                                     of(recs, "scale", target=t, how=how)],
                 "scorpi", [arch["light"]], what=how, sub=how)
        rows.add("scale", f"scale_{how}_mib", f"7. {n} VMs {label}: VMM "
                 "overhead, all together", "MiB", "lower",
                 lambda t, how=how: [r["overhead_kib"] for r in
                                     of(recs, "scale", target=t, how=how)],
                 "scorpi", [arch["light"]], scale=1024, what=how, sub=how)
    return rows


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


def num(v):
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def show(c, unit=""):
    if "median" in c:
        f = (lambda v: f"{v:.0f}") if unit == "exits" else num
        if c["n"] == 1:
            return f(c["median"])
        return f"{f(c['median'])} ({f(c['min'])}–{f(c['max'])})"
    if "unmeasured" in c:
        return f"not measured: {c['unmeasured']}"
    return f"FAILED: {c['failed']}"


def table(rows):
    out = ["| Figure | unit | Scorpi | compared with | its figure | "
           "Scorpi / it |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        first = True
        for ref, c in r["refs"].items():
            ratio = f"{c['ratio']:.2f}" if "ratio" in c else "–"
            better = " (lower is better)" if r["better"] == "lower" else \
                " (higher is better)"
            out.append("| {} | {} | {} | {} | {} | {} |".format(
                r["title"] + better if first else "", r["unit"] if first
                else "", show(r["scorpi"], r["unit"]) if first else "",
                NAMES[ref], show(c, r["unit"]), ratio))
            first = False
    return "\n".join(out)


def read_log(path):
    """The records of one measuring run, and how many lines were garbled."""
    recs, bad = [], 0
    try:
        f = open(path, errors="replace")
    except OSError:
        return recs, bad
    with f:
        for line in f:
            line = line.replace("\r", "").rstrip("\n")
            if not line.startswith("bench-data: "):
                continue
            try:
                recs.append(json.loads(line[len("bench-data: "):]))
            except json.JSONDecodeError:
                bad += 1
    return recs, bad


def report_run(recs, bad):
    """One architecture's figures, failures and notes, and its section of
    the Markdown."""
    # A run that stopped half-way (the nested L1 locked up) still gives
    # what it measured; the rest is marked as failed.
    unfinished = not any(r["kind"] == "end" for r in recs)
    env = next((r for r in recs if r["kind"] == "env"), {})
    name = env.get("arch", "x86_64")
    arch = ARCHES[name]
    rows = build(recs, arch)
    failures = [r for r in recs if r["kind"] == "failed"]
    if bad:
        failures.append({"figure": "-", "target": "-", "rep": -1,
                         "why": f"{bad} result lines garbled on the console"})
    if unfinished:
        failures.append({"figure": "-", "target": "-", "rep": -1,
                         "why": "the measuring run stopped before its end "
                         "(see the console log): the figures after that "
                         "point are missing"})
    unavailable = [r for r in recs if r["kind"] == "unavailable"]
    notes = [r for r in recs if r["kind"] == "note"]
    where = ("inside a nested QEMU-TCG L1 (no usable /dev/kvm on the host)"
             if env.get("nested") else "directly, on /dev/kvm")
    doc = {"arch": name, "reps": env.get("settings", {}).get("reps"),
           "where": where, "measured_on": env, "figures": rows.rows,
           "unavailable": [{k: r[k] for k in ("figure", "target", "what",
                                              "why")} for r in unavailable],
           "failures": [{k: r.get(k) for k in ("figure", "target", "rep",
                                               "why")} for r in failures],
           "notes": [{k: r.get(k) for k in ("target", "why")}
                     for r in notes]}
    st = env.get("settings", {})
    head = [f"### {arch['title']}", "",
            f"- measured {where}: Linux {env.get('kernel_release')}, "
            f"{env.get('cpus')} CPUs ({env.get('cpu_model') or name}), "
            f"{env.get('mem_mib')} MiB; {env.get('qemu_version')}",
            f"- guest: {env.get('guest_kernel')}, initramfs "
            f"{env.get('initrd_bytes', 0) // 1024} KiB; 1 vCPU, 256 MiB",
            f"- {plural(st.get('reps'), 'repetition')}, interleaved; "
            "median (min–max); "
            f"disk {st.get('blk_mib')} MiB, random reads "
            f"{st.get('blk_seconds')} s; iperf3 {st.get('net_seconds')} s "
            f"each way; scale {st.get('scale_n')} VMs of "
            f"{st.get('scale_mib')} MiB, "
            f"{plural(st.get('scale_reps'), 'repetition')}",
            ""]
    md = "\n".join(head) + "\n" + table(rows.rows) + "\n"
    if failures:
        md += "\nFailed measurements:\n\n" + "\n".join(
            (f"- {r['figure']} {r['target']} (repetition {r['rep'] + 1}): "
             if r['rep'] >= 0 else "- ") + r['why'] for r in failures) + "\n"
    if notes:
        md += "\nNotes:\n\n" + "\n".join(
            f"- {r['target']}: {r['why']}" for r in notes) + "\n"
    return doc, md


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("logs", nargs="+")
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--host", default="")
    a = p.parse_args()
    runs, sections, failed = [], [], False
    for path in a.logs:
        recs, bad = read_log(path)
        if not any(r["kind"] == "env" for r in recs):
            print(f"bench: a measuring run did not start: no records in "
                  f"{path}", file=sys.stderr)
            sections.append(f"### {os.path.basename(path)}\n\nThe measuring "
                            "run did not start (no records in its log).\n")
            failed = True
            continue
        doc, md = report_run(recs, bad)
        runs.append(doc)
        sections.append(md)
        failed = failed or bool(doc["failures"])
    if not runs:
        return 2
    date = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")
    doc = {"schema": "scorpi-bench/2", "date": date, "smoke": a.smoke,
           "host": a.host, "runs": runs}
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "bench.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    md = (f"Scorpi / QEMU benchmarks, {date}"
          f"{' (smoke pass)' if a.smoke else ''}\n\n"
          + (f"- host: {a.host}\n\n" if a.host else "")
          + "\n".join(sections))
    with open(os.path.join(a.out, "bench.md"), "w") as f:
        f.write(md)
    print(md)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
