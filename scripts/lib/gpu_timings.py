#!/usr/bin/env python3
"""PyTorch's side of scripts/gpu-check: the same work as Fathom's JMH benchmarks, timed on the GPU.

One JSON line per measurement on stdout: {"bench", "params", "value", "unit"}, with bench names
that match the JMH benchmarks (MatmulBenchmark.matmul, ConvBenchmark.forward, ElementwiseBenchmark.add/sum,
TrainStepBenchmark.step), times in microseconds per op, so the report can set them side by side.
TF32 is off: Fathom computes F32 GEMMs in full F32, so PyTorch must too for a fair comparison.
"""
import json
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except Exception as e:  # noqa: BLE001 - any import failure is a reason to report, not a crash
    print(json.dumps({"bench": "env", "error": "PyTorch not importable: %s" % e}))
    sys.exit(0)


def timed(fn, warmup=5, min_time=1.0):
    """Mean microseconds per call, CUDA events around a batch of calls after warm-up."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    reps = 1
    while True:
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(reps):
            fn()
        end.record()
        torch.cuda.synchronize()
        ms = start.elapsed_time(end)
        if ms >= min_time * 1000 or reps >= 1 << 16:
            return ms * 1000.0 / reps
        reps *= 2


def emit(bench, params, value, unit="us/op"):
    print(json.dumps({"bench": bench, "params": params, "value": round(value, 3), "unit": unit}), flush=True)


def main():
    if not torch.cuda.is_available():
        print(json.dumps({"bench": "env", "error": "torch.cuda.is_available() is False"}))
        return
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(0)
    env = {"bench": "env", "torch": torch.__version__, "cuda": torch.version.cuda,
           "cudnn": torch.backends.cudnn.version(), "gpu": props.name, "memory_gib": round(props.total_memory / 2**30, 1)}
    # The memory's nominal bandwidth: two transfers per clock (kHz) across the bus, where PyTorch says both.
    clock_khz, bus_bits = getattr(props, "memory_clock_rate", 0), getattr(props, "memory_bus_width", 0)
    if clock_khz and bus_bits:
        env["peak_gb_per_s"] = round(2.0 * clock_khz * 1e3 * bus_bits / 8 / 1e9, 1)
    print(json.dumps(env), flush=True)
    g = torch.Generator(device="cpu").manual_seed(42)

    for n in (1024, 2048, 4096):
        a = torch.randn(n, n, generator=g).to(dev)
        b = torch.randn(n, n, generator=g).to(dev)
        emit("MatmulBenchmark.matmul", {"n": str(n)}, timed(lambda: a @ b))

    # The reference CNN's two convolutions at batch 128 (ConvBenchmark's conv1 and conv2).
    for name, (c_in, c_out, hw) in {"conv1": (1, 32, 28), "conv2": (32, 64, 14)}.items():
        x = torch.randn(128, c_in, hw, hw, generator=g).to(dev)
        w = torch.randn(c_out, c_in, 3, 3, generator=g).to(dev)
        bias = torch.randn(c_out, generator=g).to(dev)
        emit("ConvBenchmark.forward", {"layer": name}, timed(lambda: F.conv2d(x, w, bias, padding=1)))

    for n in (16777216, 67108864):  # 64 MB, and 256 MB where a launch's fixed cost no longer counts
        a = torch.randn(n, generator=g).to(dev)
        b = torch.randn(n, generator=g).to(dev)
        emit("ElementwiseBenchmark.add", {"n": str(n)}, timed(lambda: a + b))
        emit("ElementwiseBenchmark.sum", {"n": str(n)}, timed(lambda: a.sum()))
        del a, b

    models = {
        "mlp": lambda: nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)),
        "cnn": lambda: nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10)),
    }
    shapes = {"mlp": (128, 784), "cnn": (128, 1, 28, 28)}
    for name, make in models.items():
        model = make().to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.rand(*shapes[name], generator=g).to(dev)
        y = (torch.arange(128) * 7 % 10).to(dev)

        def step():
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        emit("TrainStepBenchmark.step", {"model": name, "batch": "128"}, timed(step))


if __name__ == "__main__":
    t0 = time.time()
    main()
    print(json.dumps({"bench": "script_wall_s", "value": round(time.time() - t0, 1)}))
