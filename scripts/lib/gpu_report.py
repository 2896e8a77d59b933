#!/usr/bin/env python3
"""Sets Fathom's JMH results beside PyTorch's timings of the same work (scripts/gpu-check).

Usage: gpu_report.py OUT_DIR   (reads jmh-gemm.json, jmh-gemm-own.json, jmh-conv.json, jmh-ops.json, jmh-step.json,
jmh-models.json, jmh-step-jcuda.json, jmh-ops-jcuda.json, jmh-sum-ordinary.json, jmh-steps-ordinary.json, torch-timings.jsonl,
reduce-probe.log; prints markdown)
"""
import json
import os
import re
import sys

PARAM_KEYS = ("n", "layer", "model", "arch", "batch", "context")


def key(bench, params):
    return bench, tuple((k, str(params[k])) for k in PARAM_KEYS if k in params)


def work(bench, params):
    """(amount, unit) of useful work per op, to turn µs/op into a rate."""
    if bench == "MatmulBenchmark.matmul":
        n = int(params["n"])
        return 2.0 * n ** 3 / 1e9, "GFLOP/s"
    if bench == "ElementwiseBenchmark.add":
        return 12.0 * int(params["n"]) / 1e9, "GB/s"
    if bench in ("ElementwiseBenchmark.sum", "ElementwiseBenchmark.sumColumns"):
        return 4.0 * int(params["n"]) / 1e9, "GB/s"
    if bench == "ConvBenchmark.forward":
        c_in, c_out, hw = (1, 32, 28) if params["layer"] == "conv1" else (32, 64, 14)
        return 2.0 * 128 * c_out * hw * hw * c_in * 9 / 1e9, "GFLOP/s"
    if bench == "TrainStepBenchmark.step":
        return float(params.get("batch", 128)), "samples/s"
    if bench == "CharLmStepBenchmark.step":
        return float(params.get("batch", 32)) * float(params.get("context", 128)), "tokens/s"
    if bench == "DcganStepBenchmark.step":
        return 1.0, "steps/s"
    return None, None


# What a results file's rows are marked with when they ran the same benchmarks another way; a row's
# PyTorch peer is the benchmark without it.
OWN_KERNEL, VIA_JCUDA, ORDINARY = " (own kernel)", " (launch via JCuda)", " (ordinary launch)"


def load(out):
    fathom, torch, env = {}, {}, {}
    # jmh-gemm-own.json: the same GEMMs with cuBLAS turned off, when the plan had it (the own
    # kernel's ratio to PyTorch's cuBLAS is issue 5's "own GEMM >= 0.5 of cuBLAS").
    # jmh-step-jcuda.json, jmh-ops-jcuda.json: training steps and elementwise ops with
    # -Dfathom.cuda.launch=jcuda (JCuda's cuLaunchKernel instead of the default NativeLaunch).
    # jmh-sum-ordinary.json, jmh-steps-ordinary.json: the full sum and the training steps with
    # -Dfathom.cuda.pdl=false (ordinary launches, where programmatic dependent launch is the default).
    for name, suffix in (("jmh-gemm.json", ""), ("jmh-gemm-own.json", OWN_KERNEL), ("jmh-conv.json", ""),
                         ("jmh-ops.json", ""), ("jmh-step.json", ""), ("jmh-models.json", ""),
                         ("jmh-step-jcuda.json", VIA_JCUDA), ("jmh-ops-jcuda.json", VIA_JCUDA),
                         ("jmh-sum-ordinary.json", ORDINARY), ("jmh-steps-ordinary.json", ORDINARY)):
        path = os.path.join(out, name)
        if os.path.exists(path):
            with open(path) as f:
                for r in json.load(f):
                    bench = ".".join(r["benchmark"].split(".")[-2:]) + suffix
                    metric = r["primaryMetric"]
                    scale = {"us/op": 1.0, "ms/op": 1e3, "s/op": 1e6, "ns/op": 1e-3}.get(metric["scoreUnit"])
                    if scale is None:
                        continue
                    fathom[key(bench, r.get("params", {}))] = (metric["score"] * scale, r.get("params", {}))
    path = os.path.join(out, "torch-timings.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if r.get("bench") == "env":
                    env = r
                elif "params" in r:
                    torch[key(r["bench"], r["params"])] = (r["value"], r["params"])
    return fathom, torch, env


def copy_ceilings(out):
    """{n: GB/s} a device-to-device copy of n floats reached (bytes read and written), from the sum
    kernel probe's log (scripts/lib/reduce_probe.cu): what memory-bound ops can reach at that size,
    beside the nominal bandwidth, which even a copy does not (80% of it at 2^24 floats on an H200)."""
    path = os.path.join(out, "reduce-probe.log")
    found = {}
    if os.path.exists(path):
        with open(path) as f:
            for m in re.finditer(r"n = 2\^(\d+) .*?: copy [\d.]+ µs, (\d+) GB/s read\+written", f.read()):
                found[str(1 << int(m.group(1)))] = float(m.group(2))
    return found


def main():
    out = sys.argv[1]
    fathom, torch, env = load(out)
    copies = copy_ceilings(out)
    print("\n## Timings side by side (µs per op; ratio = PyTorch time / Fathom time, > 1 means Fathom is faster)")
    if env:
        print("\nPyTorch: " + ", ".join("%s %s" % (k, v) for k, v in env.items() if k != "bench"))
    if not fathom:
        print("\nno JMH results (see the JMH sections above)")
        return
    print("\n| benchmark | params | Fathom µs | Fathom rate | PyTorch µs | PyTorch rate | ratio |")
    print("|---|---|---|---|---|---|---|")
    for k in sorted(fathom):
        bench, params = k
        score, p = fathom[k]
        peer_bench = bench
        for mark in (OWN_KERNEL, VIA_JCUDA, ORDINARY):
            peer_bench = peer_bench.replace(mark, "")
        amount, unit = work(peer_bench, p)
        rate = "%.1f %s" % (amount / (score * 1e-6), unit) if amount else ""
        if unit == "GB/s" and env.get("peak_gb_per_s"):
            gbs = amount / (score * 1e-6)
            rate += " (%.0f%% of %.0f" % (100.0 * gbs / env["peak_gb_per_s"], env["peak_gb_per_s"])
            rate += ", %.0f%% of a copy's %.0f)" % (100.0 * gbs / copies[p["n"]], copies[p["n"]]) if p.get("n") in copies else ")"
        t = torch.get((peer_bench, params))
        if t:
            t_rate = "%.1f %s" % (amount / (t[0] * 1e-6), unit) if amount else ""
            ratio = "%.2f" % (t[0] / score)
        else:
            t_rate, ratio = "", "no peer"
        shown = ", ".join("%s=%s" % kv for kv in params)
        print("| %s | %s | %.1f | %s | %s | %s | %s |" % (bench, shown, score, rate, "%.1f" % t[0] if t else "–", t_rate, ratio))
    print("\nTargets (issue 5): own GEMM ≥ 0.50 of cuBLAS (PyTorch's matmul is cuBLAS; the own kernel's rows when the plan"
          " had cuBLAS), GEMM through cuBLAS ≥ 0.95 of it; elementwise and reductions ≥ 70% of"
          " nominal memory bandwidth (PyTorch's add/sum rates and a copy's are the practical ceilings); CNN training step ≥ 0.80 of PyTorch.")


if __name__ == "__main__":
    main()
