#!/usr/bin/python3
"""torch-golden.json for TorchGoldenTest, from PyTorch:
- gpt, lstm: the peers' GPT and LSTM definitions (charlm_transformer.py, charlm_lstm.py, at small sizes) run on
  the weights the Java test builds. Regenerate them: run TorchGoldenTest with -Dfathom.golden.export=DIR (it writes
  DIR/golden-gpt.safetensors and DIR/golden-lstm.safetensors), then in DIR: /usr/bin/python3 torch-golden.py.
  Without those files the committed gpt and lstm entries (next to this script) are kept.
- gru, rnn_tanh, dcgan: nn.GRU, nn.RNN(tanh) and dcgan_fmnist.py's nets on fixed weights (a sine formula, the same
  in TorchGoldenTest), which need no export.
torch 1.13, numpy.
"""
import json, os, struct, math, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
HERE = os.path.dirname(os.path.abspath(__file__))
EXPORTED = all(os.path.exists(f'golden-{a}.safetensors') for a in ('gpt', 'lstm'))
def load(p):
    b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8+n]); base = 8+n; out = {}
    for k, v in h.items():
        if k == '__metadata__': continue
        dt = {'F32': np.float32, 'I64': np.int64}[v['dtype']]; s, e = v['data_offsets']
        out[k] = torch.from_numpy(np.frombuffer(b[base+s:base+e], dtype=dt).reshape(v['shape']).copy())
    return out
V, D, HEADS, CTX, HIDDEN = 20, 32, 4, 16, 128
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.fc1, self.fc2 = nn.Linear(D, HIDDEN), nn.Linear(HIDDEN, D)
    def forward(self, x, mask):
        B, T, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        q, k, v = (t.view(B, T, HEADS, D // HEADS).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D // HEADS))
        att = F.softmax(att.masked_fill(mask[:T, :T], float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))
class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(V, D); self.pos = nn.Embedding(CTX, D)
        self.blocks = nn.ModuleList(Block() for _ in range(2)); self.ln_f = nn.LayerNorm(D)
        self.head = nn.Linear(D, V, bias=False)
        self.register_buffer("mask", torch.ones(CTX, CTX, dtype=torch.bool).triu(1))
    def forward(self, idx):
        T = idx.shape[1]; x = self.tok(idx) + self.pos.weight[:T]
        for b in self.blocks: x = b(x, self.mask)
        return self.head(self.ln_f(x))
def rename(n):
    return (n.replace('attn.in_proj_weight', 'qkv.weight').replace('attn.in_proj_bias', 'qkv.bias').replace('attn.out_proj', 'proj')
             .replace('mlp.0', 'fc1').replace('mlp.2', 'fc2'))
class LSTMLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 8); self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True); self.out = nn.Linear(16, V)
    def forward(self, idx):
        h, _ = self.lstm(self.emb(idx)); return self.out(h)
res = {}
if EXPORTED:
    for arch, model, ren in (('gpt', GPT(), rename), ('lstm', LSTMLM(), lambda n: n)):
        g = load(f'golden-{arch}.safetensors')
        sd = {ren(k): v for k, v in g.items() if not k.startswith('grad.') and k not in ('logits', 'ids', 'targets')}
        missing = model.load_state_dict(sd, strict=False); print(arch, 'load', missing)
        logits = model(g['ids']); loss = F.cross_entropy(logits.reshape(-1, V), g['targets'])
        loss.backward()
        print(arch, 'loss', loss.item(), 'max |logits diff|', (logits - g['logits']).abs().max().item())
        worst = max(((p.grad - g['grad.' + k]).abs().max().item() / (p.grad.abs().max().item() + 1e-12), k)
                    for k, p in ((next(kk for kk in g if kk.startswith('grad.') and ren(kk[5:]) == n)[5:], p) for n, p in model.named_parameters()))
        print(arch, 'worst relative grad diff', worst)

    # ---- the golden file for TorchGoldenTest: logits, loss and gradient norms from torch on the Java-initialized weights
    for arch, model, ren in (('gpt', GPT(), rename), ('lstm', LSTMLM(), lambda n: n)):
        g = load(f'golden-{arch}.safetensors')
        sd = {ren(k): v for k, v in g.items() if not k.startswith('grad.') and k not in ('logits', 'ids', 'targets')}
        model.load_state_dict(sd, strict=False)
        logits = model(g['ids']); loss = F.cross_entropy(logits.reshape(-1, V), g['targets']); loss.backward()
        inv = {ren(k[5:]): k[5:] for k in g if k.startswith('grad.')}
        res[arch] = {'loss': loss.item(), 'logits': [round(float(x), 7) for x in logits.detach().reshape(-1)],
                     'grad_norms': {inv[n]: p.grad.norm().item() for n, p in model.named_parameters()}}
else:
    old = json.load(open(os.path.join(HERE, "torch-golden.json")))
    res = {a: old[a] for a in ("gpt", "lstm")}
    print("gpt, lstm: no golden-*.safetensors here, keeping the committed entries")

# ---- GRU, tanh RNN and the DCGAN on fixed weights (no export needed): value k of parameter p (in named_parameters
# order) is offset + scale * sin(0.731 k + 1.37 p + 0.2), computed in double and rounded to float32, as TorchGoldenTest.fixed
def fixed(n, p, scale, offset=0.0):
    k = np.arange(n, dtype=np.float64)
    return torch.from_numpy((offset + scale * np.sin(0.731 * k + 1.37 * p + 0.2)).astype(np.float32))
def fill(model, first, scale_of):
    names = []
    with torch.no_grad():
        for p, (n, t) in enumerate(model.named_parameters()):
            scale, offset = scale_of(n, t)
            t.copy_(fixed(t.numel(), first + p, scale, offset).reshape(t.shape)); names.append(n)
    return names
def rounded(t):
    return [round(float(x), 7) for x in t.detach().reshape(-1)]
# Recurrent: input 3, hidden 4, batch 2, 5 steps, batch_first; x, h0 and the loss weights c fixed too;
# loss = sum(output * c) + sum(h_n^2), so that both outputs carry gradient.
for name, layer in (('gru', nn.GRU(3, 4, num_layers=1, batch_first=True)),
                    ('rnn_tanh', nn.RNN(3, 4, num_layers=1, nonlinearity='tanh', batch_first=True))):
    names = fill(layer, 0, lambda n, t: (0.5, 0.0))
    x = fixed(2 * 5 * 3, 50, 1.0).reshape(2, 5, 3).requires_grad_()
    h0 = fixed(1 * 2 * 4, 51, 0.5).reshape(1, 2, 4).requires_grad_()
    c = fixed(2 * 5 * 4, 52, 1.0).reshape(2, 5, 4)
    out, hn = layer(x, h0)
    loss = (out * c).sum() + (hn * hn).sum(); loss.backward()
    norms = {n: p.grad.norm().item() for n, p in layer.named_parameters()}
    norms['input'] = x.grad.norm().item(); norms['h0'] = h0.grad.norm().item()
    res[name] = {'names': names, 'loss': loss.item(), 'output': rounded(out), 'h_n': rounded(hn), 'grad_norms': norms}
    print(name, 'loss', loss.item())
# DCGAN (dcgan_fmnist.py's nets), batch 4: G's parameters p = 0.., D's p = 20..; matrices and kernels
# scale 1/sqrt(numel / size(0)), biases 0.1, batch-norm weights 1 + 0.1 sin. z [4, 64] and "real" images
# [4, 1, 28, 28] fixed. Two GanSteps on that batch (Adam 2e-4, betas (0.5, 0.999)); G(z), D(real) and
# D(G(z)) of the first step's forward, and both steps' losses.
def dcgan_scale(n, t):
    if t.dim() > 1: return 1.0 / math.sqrt(t.numel() / t.shape[0]), 0.0
    return (0.1, 1.0) if n.endswith('weight') else (0.1, 0.0)
G = nn.Sequential(
    nn.Linear(64, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
    nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
    nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1), nn.Tanh())
D = nn.Sequential(
    nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, stride=2, padding=1),
    nn.BatchNorm2d(128), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
gnames, dnames = fill(G, 0, dcgan_scale), fill(D, 20, dcgan_scale)
z = fixed(4 * 64, 100, 1.0).reshape(4, 64); real = fixed(4 * 784, 101, 0.9).reshape(4, 1, 28, 28)
optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
ones, zeros = torch.ones(4, 1), torch.zeros(4, 1)
dl, gl, first = [], [], {}
for step in range(2):
    fake = G(z); dreal = D(real); dfake = D(fake.detach())
    lossD = F.binary_cross_entropy_with_logits(dreal, ones) + F.binary_cross_entropy_with_logits(dfake, zeros)
    optD.zero_grad(); lossD.backward(); optD.step()
    lossG = F.binary_cross_entropy_with_logits(D(fake), ones)
    optG.zero_grad(); lossG.backward(); optG.step()
    if step == 0: first = {'g_out': rounded(fake), 'd_real': rounded(dreal), 'd_fake': rounded(dfake)}
    dl.append(lossD.item()); gl.append(lossG.item())
res['dcgan'] = {'g_names': gnames, 'd_names': dnames, **first, 'd_loss': dl, 'g_loss': gl}
print('dcgan d_loss', dl, 'g_loss', gl)
json.dump(res, open('torch-golden.json', 'w'), indent=0)
