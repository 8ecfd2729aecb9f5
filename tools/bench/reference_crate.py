#!/usr/bin/env python3
"""Times the reference CRATE-tiny in PyTorch, for the side-by-side against `crate bench`.

Run with Debian's python3-torch (OpenBLAS):  /usr/bin/python3 tools/bench/reference_crate.py [--threads 2] [--batch 32]
Prints one JSON line: forward and train-step images/s (medians after warm-up) and the BLAS library
the process actually mapped. OpenBLAS's own pool is set to --blas-threads (default 1), as in
reference_fmnist.py: this torch calls the system OpenBLAS from inside its OpenMP regions.

The model is written from the CRATE paper (Yu et al., NeurIPS 2023) in the reference's layout:
patches (row in patch, column in patch, channel) -> LN -> Linear -> LN, class token, position
embedding, L layers of Z + MSSA(LN Z) then ISTA(LN Z), where MSSA projects once with a bias-free
qkv (U_k^T z as query, key and value), softmax(U U^T / sqrt(p)) U per head and a Linear to_out, and
ISTA is the textbook step relu(x + eta (x D - (x D^T) D) - eta lambda) with three GEMMs; the class
token is pooled through LN and a Linear head. The train step is what `crate bench` times:
cross-entropy with label smoothing 0.1, AdamW (lr 1e-4, weight decay 0.05), backward, step.
"""
import argparse, json, os, statistics, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_fmnist import openblas  # noqa: E402  (the system OpenBLAS's own thread pool)


class PreNorm(nn.Module):
    def __init__(self, dim, fn):
        super().__init__()
        self.norm, self.fn = nn.LayerNorm(dim), fn

    def forward(self, x):
        return self.fn(self.norm(x))


class Mssa(nn.Module):
    def __init__(self, dim, heads, head_dim):
        super().__init__()
        self.heads, self.scale = heads, head_dim ** -0.5
        self.qkv = nn.Linear(dim, heads * head_dim, bias=False)
        self.to_out = nn.Sequential(nn.Linear(heads * head_dim, dim))

    def forward(self, x):
        b, n, _ = x.shape
        u = self.qkv(x).reshape(b, n, self.heads, -1).transpose(1, 2)        # U_k^T z: (b, h, n, p)
        a = torch.softmax(torch.matmul(u, u.transpose(-1, -2)) * self.scale, dim=-1)
        return self.to_out(torch.matmul(a, u).transpose(1, 2).reshape(b, n, -1))


class Ista(nn.Module):
    def __init__(self, dim, eta=0.1, lam=0.1):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(dim, dim))
        nn.init.kaiming_uniform_(self.weight)
        self.eta, self.lam = eta, lam

    def forward(self, x):
        d = self.weight
        step = F.linear(x, d.t()) - F.linear(F.linear(x, d), d.t())          # x D - (x D^T) D
        return F.relu(x + self.eta * step - self.eta * self.lam)


class Crate(nn.Module):
    def __init__(self, image=224, patch=16, channels=3, classes=1000, dim=384, depth=12, heads=6):
        super().__init__()
        self.patch, n, pd = patch, (image // patch) ** 2, channels * patch * patch
        self.to_patch_embedding = nn.Sequential(nn.Identity(), nn.LayerNorm(pd), nn.Linear(pd, dim), nn.LayerNorm(dim))
        self.pos_embedding = nn.Parameter(torch.randn(1, n + 1, dim))
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.layers = nn.ModuleList(nn.ModuleList([PreNorm(dim, Mssa(dim, heads, dim // heads)), PreNorm(dim, Ista(dim))])
                                    for _ in range(depth))
        self.mlp_head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, classes))

    def forward(self, img):
        b, c, h, w = img.shape
        p = self.patch
        x = img.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1).reshape(b, (h // p) * (w // p), p * p * c)
        x = self.to_patch_embedding(x)
        x = torch.cat((self.cls_token.expand(b, 1, -1), x), dim=1) + self.pos_embedding
        for compress, sparsify in self.layers:
            x = sparsify(compress(x) + x)
        return self.mlp_head(x[:, 0])


def blas_library():
    """The BLAS shared object this process mapped (the Debian alternative decides which)."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    return sorted(libs)


def median_seconds(step, warmup, steps):
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="OpenBLAS's own pool, which torch.set_num_threads does not reach; its GEMMs run inside torch's "
                         "OpenMP regions, so more than 1 oversubscribes 2 cores")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Crate()
    blas = openblas()
    if blas is not None:
        blas.openblas_set_num_threads(a.blas_threads)
    images, labels = torch.rand(a.batch, 3, 224, 224), torch.randint(0, 1000, (a.batch,))

    def forward():
        with torch.no_grad():
            model(images).sum().item()

    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.05)

    def train_step():
        opt.zero_grad()
        loss = F.cross_entropy(model(images), labels, label_smoothing=0.1)
        loss.backward()
        opt.step()
        loss.item()

    model.eval()
    fwd = median_seconds(forward, a.warmup, a.steps)
    model.train()
    train = median_seconds(train_step, a.warmup, a.steps)
    print(json.dumps({"model": "reference CRATE-tiny (PyTorch)", "torch": torch.__version__, "blas": blas_library(),
                      "threads": torch.get_num_threads(),
                      "blasThreads": blas.openblas_get_num_threads() if blas is not None else None, "batch": a.batch, "steps": a.steps,
                      "forwardImagesPerSec": round(a.batch / fwd, 2), "trainImagesPerSec": round(a.batch / train, 2)}))


if __name__ == "__main__":
    main()
