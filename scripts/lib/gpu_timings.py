#!/usr/bin/env python3
"""PyTorch's side of scripts/gpu-check: the same work as Fathom's JMH benchmarks, timed on the GPU.

One JSON line per measurement on stdout: {"bench", "params", "value", "unit"}, with bench names
that match the JMH benchmarks (MatmulBenchmark.matmul, ConvBenchmark.forward, ElementwiseBenchmark.add/sum/sumColumns,
TrainStepBenchmark.step, CharLmStepBenchmark.step, DcganStepBenchmark.step), times in microseconds per
op, so the report can set them side by side. The char-LM and DCGAN models are those of
../shared/peers/torch (charlm_transformer.py, charlm_lstm.py, dcgan_fmnist.py), which run as scripts
and cannot be imported; each step reads its loss, as Fathom's benchmarks and those scripts do.
TF32 is off: Fathom computes F32 GEMMs in full F32, so PyTorch must too for a fair comparison.
With `--profile OUT_DIR` it times nothing and writes torch.profiler's tables of the GPT, LSTM, DCGAN
and CNN steps instead (profile_steps).
"""
import json
import math
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
        emit("ElementwiseBenchmark.sumColumns", {"n": str(n)}, timed(lambda: a.view(-1, 1024).sum(0)))
        del a, b

    for name in ("mlp", "cnn"):
        emit("TrainStepBenchmark.step", {"model": name, "batch": "128"}, timed(train_step(dev, g, name)))
    for arch in ("gpt", "lstm"):
        emit("CharLmStepBenchmark.step", {"arch": arch, "batch": "32", "context": "128"}, timed(charlm_step(dev, g, arch)))
    emit("DcganStepBenchmark.step", {"batch": "64"}, timed(dcgan_step(dev, g)))


def train_step(dev, g, name):
    """TrainStepBenchmark: one Adam step of the reference MLP or CNN at batch 128."""
    models = {
        "mlp": lambda: nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)),
        "cnn": lambda: nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10)),
    }
    shapes = {"mlp": (128, 784), "cnn": (128, 1, 28, 28)}
    model = models[name]().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(*shapes[name], generator=g).to(dev)
    y = (torch.arange(128) * 7 % 10).to(dev)

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


VOCAB = 113  # the fortunes corpus's, as CharLmStepBenchmark.VOCAB


class GptBlock(nn.Module):
    """charlm_transformer.py's pre-LN block: d 128, 4 heads, MLP 512, exact GELU."""

    def __init__(self, d=128, heads=4, hidden=512):
        super().__init__()
        self.d, self.heads = d, heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc1, self.fc2 = nn.Linear(d, hidden), nn.Linear(hidden, d)

    def forward(self, x, mask):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (u.view(b, t, self.heads, d // self.heads).transpose(1, 2) for u in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // self.heads))
        att = F.softmax(att.masked_fill(mask[:t, :t], float("-inf")), dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class Gpt(nn.Module):
    """charlm_transformer.py's model: 4 blocks, learned positions, untied head."""

    def __init__(self, context, d=128, layers=4):
        super().__init__()
        self.tok, self.pos = nn.Embedding(VOCAB, d), nn.Embedding(context, d)
        self.blocks = nn.ModuleList(GptBlock(d) for _ in range(layers))
        self.ln_f, self.head = nn.LayerNorm(d), nn.Linear(d, VOCAB, bias=False)
        self.register_buffer("mask", torch.ones(context, context, dtype=torch.bool).triu(1))

    def forward(self, idx):
        x = self.tok(idx) + self.pos.weight[:idx.shape[1]]
        for block in self.blocks:
            x = block(x, self.mask)
        return self.head(self.ln_f(x))


class Lstm(nn.Module):
    """charlm_lstm.py's model: Embedding(V, 64), a 2-layer LSTM of 256, Linear(256, V)."""

    def __init__(self):
        super().__init__()
        self.emb, self.lstm, self.out = nn.Embedding(VOCAB, 64), nn.LSTM(64, 256, num_layers=2, batch_first=True), nn.Linear(256, VOCAB)

    def forward(self, idx):
        return self.out(self.lstm(self.emb(idx))[0])


def charlm_step(dev, g, arch, batch=32, context=128):
    """CharLmStepBenchmark: one step on a fixed batch; AdamW(3e-4, wd 0.1) for gpt, Adam(2e-3) for lstm."""
    ids = torch.randint(VOCAB, (batch, context + 1), generator=g).to(dev)
    x, y = ids[:, :-1].contiguous(), ids[:, 1:].reshape(-1)
    torch.manual_seed(0)
    if arch == "gpt":
        model = Gpt(context).to(dev)
        opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
    else:
        model = Lstm().to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    def step():
        loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def dcgan_step(dev, g, batch=64, z_dim=64):
    """DcganStepBenchmark: dcgan_fmnist.py's step (D on real and detached fake, D update, G through
    the updated D, G update) on a fixed image and noise batch."""
    torch.manual_seed(0)
    gen = nn.Sequential(
        nn.Linear(z_dim, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1), nn.Tanh()).to(dev)
    disc = nn.Sequential(
        nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, stride=2, padding=1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1)).to(dev)
    opt_g = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = (torch.rand(batch, 1, 28, 28, generator=g) * 2 - 1).to(dev)
    z = torch.randn(batch, z_dim, generator=g).to(dev)
    ones, zeros = torch.ones(batch, 1, device=dev), torch.zeros(batch, 1, device=dev)

    def step():
        fake = gen(z)
        loss_d = (F.binary_cross_entropy_with_logits(disc(real), ones)
                  + F.binary_cross_entropy_with_logits(disc(fake.detach()), zeros))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        loss_g = F.binary_cross_entropy_with_logits(disc(fake), ones)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        return loss_d.item() + loss_g.item()

    return step


def profile_steps(out_dir, steps=30):
    """--profile OUT_DIR: PyTorch's kernels in `steps` steps of the GPT, LSTM, DCGAN and CNN
    (torch.profiler, after 5 warm-up steps), into OUT_DIR/torch-profile-<model>.txt, the twin of
    Fathom's -Dfathom.cuda.profile tables that scripts/gpu-check writes next to them."""
    from torch.profiler import profile, ProfilerActivity
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    makers = {"gpt": lambda g: charlm_step(dev, g, "gpt"), "lstm": lambda g: charlm_step(dev, g, "lstm"),
              "dcgan": lambda g: dcgan_step(dev, g), "cnn": lambda g: train_step(dev, g, "cnn")}
    for name, make in makers.items():
        path = "%s/torch-profile-%s.txt" % (out_dir, name)
        try:
            step = make(torch.Generator(device="cpu").manual_seed(42))
            for _ in range(5):
                step()
            torch.cuda.synchronize()
            with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
                t0 = time.perf_counter()
                for _ in range(steps):
                    step()
                torch.cuda.synchronize()
                wall_ms = (time.perf_counter() - t0) * 1000
            averages = prof.key_averages()
            table = None
            for key in ("self_device_time_total", "self_cuda_time_total"):  # the name changed across PyTorch versions
                try:
                    table = averages.table(sort_by=key, row_limit=20)
                    break
                except Exception:  # noqa: BLE001 - try the other name
                    continue
            text = "PyTorch %s, %d %s steps in %.3f ms (profiled)\n%s\n" % (torch.__version__, steps, name, wall_ms, table)
        except Exception as e:  # noqa: BLE001 - one model's failure must not hide the others'
            text = "PyTorch %s: profiling the %s step failed: %r\n" % (torch.__version__, name, e)
        with open(path, "w") as f:
            f.write(text)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--profile":
        profile_steps(sys.argv[2])
        sys.exit(0)
    t0 = time.time()
    main()
    print(json.dumps({"bench": "script_wall_s", "value": round(time.time() - t0, 1)}))
