#!/usr/bin/python3
"""torch-golden.json for TorchGoldenTest: the peers' GPT and LSTM definitions (charlm_transformer.py,
charlm_lstm.py, at small sizes) run by PyTorch on the weights the Java test builds.

Regenerate: run TorchGoldenTest with -Dfathom.golden.export=DIR (it writes DIR/golden-gpt.safetensors and
DIR/golden-lstm.safetensors), then in DIR: /usr/bin/python3 torch-golden.py (torch 1.13, numpy).
"""
import json, struct, math, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
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
res = {}
for arch, model, ren in (('gpt', GPT(), rename), ('lstm', LSTMLM(), lambda n: n)):
    g = load(f'golden-{arch}.safetensors')
    sd = {ren(k): v for k, v in g.items() if not k.startswith('grad.') and k not in ('logits', 'ids', 'targets')}
    model.load_state_dict(sd, strict=False)
    logits = model(g['ids']); loss = F.cross_entropy(logits.reshape(-1, V), g['targets']); loss.backward()
    inv = {ren(k[5:]): k[5:] for k in g if k.startswith('grad.')}
    res[arch] = {'loss': loss.item(), 'logits': [round(float(x), 7) for x in logits.detach().reshape(-1)],
                 'grad_norms': {inv[n]: p.grad.norm().item() for n, p in model.named_parameters()}}
json.dump(res, open('torch-golden.json', 'w'), indent=0)
