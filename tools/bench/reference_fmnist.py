#!/usr/bin/env python3
"""Trains the reference CRATE classifier on Fashion-MNIST for a fixed wall-clock budget, in PyTorch.

Run with Debian's python3-torch (no torchvision, no einops needed):
    flock /tmp/crate4j-build.lock /usr/bin/python3 tools/bench/reference_fmnist.py --minutes 10 --out /tmp/reffm10.json

It is the baseline for README's Fashion-MNIST comparison: the same architecture and machine as
`crate train --patch-window 7 --patch-code 0 --pool cls`, trained the way the reference would be.
The model follows the CRATE paper's layer (Yu et al., NeurIPS 2023) in the reference implementation's
layout, so its state dict has the reference's keys (docs/architecture.md §1):
  - patch embedding: patches flattened (p1 p2 c), LayerNorm, Linear, LayerNorm; class token and position
    embedding drawn from N(0, 1);
  - layer: Z^{l+1/2} = Z^l + MSSA(LN(Z^l)),  Z^{l+1} = ISTA(LN(Z^{l+1/2}));
  - MSSA: one bias-free projection U = [U_1 .. U_K], per head softmax(U_kᵀz (U_kᵀz)ᵀ / √d_k) U_kᵀz,
    then the output Linear (+ dropout, 0 here);
  - ISTA: ReLU(x + η(Dᵀx − DᵀDx) − ηλ) with η = 0.1, λ = 0.1, D square and Kaiming-uniform;
  - head: class token, LayerNorm, Linear.
Recipe: per-image horizontal flips (p = 0.5), inputs normalised by the training split's own pixel mean
and std (computed here, 0.2860 / 0.3530), AdamW (1e-3, betas 0.9/0.999, wd 0.05 on every parameter as
the reference's main.py does), batch 128 reshuffled each epoch (last partial batch kept, as DataLoader
does), cross-entropy with label smoothing 0.1, gradient-norm clip 1.0, linear warm-up over 0.3 epochs
then cosine to 1e-5. The number of steps is fixed once from the mean time of steps 5–55 so that
training fills the budget; the test evaluation afterwards is not counted in it. Seed 0.
Threads: torch.set_num_threads(--threads, default 2) and OpenBLAS's own pool at --blas-threads (default
1), since this torch hands its GEMMs to the system OpenBLAS from inside its OpenMP regions and 2 + 2
threads on the 2 cores run a step at half speed.
Prints one JSON line at the end (and writes it atomically to --out if given).
"""
import argparse, ctypes, gzip, json, math, os, random, re, struct, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
CALIBRATION_SKIP, CALIBRATION_STEPS = 5, 50


def read_idx(path):
    """An idx file (gzipped or not) as a numpy array: magic 0x00 0x00 type rank, big-endian dims."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype, rank = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        sys.exit(f"error: {path} is not an unsigned-byte idx file")
    dims = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def find(root, stem):
    for name in (stem, stem + ".gz"):
        if os.path.isfile(os.path.join(root, name)):
            return os.path.join(root, name)
    sys.exit(f"error: no {stem}[.gz] in {root}")


def load_split(root, prefix):
    images = read_idx(find(root, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(find(root, f"{prefix}-labels-idx1-ubyte"))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)  # (N, 1, 28, 28) in [0, 1]
    return x, torch.from_numpy(labels.astype(np.int64))


class Patchify(nn.Module):
    """b c (h p1) (w p2) -> b (h w) (p1 p2 c): the reference's patch order, channel fastest."""

    def __init__(self, patch):
        super().__init__()
        self.patch = patch

    def forward(self, img):
        b, c, hh, ww = img.shape
        p = self.patch
        x = img.reshape(b, c, hh // p, p, ww // p, p).permute(0, 2, 4, 3, 5, 1)
        return x.reshape(b, (hh // p) * (ww // p), p * p * c)


class PreNorm(nn.Module):
    def __init__(self, dim, fn):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.norm(x))


class Mssa(nn.Module):
    """Multi-head subspace self-attention with the reference's output Linear (keys qkv, to_out.0)."""

    def __init__(self, dim, heads, head_dim, dropout=0.0):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        inner = heads * head_dim
        self.qkv = nn.Linear(dim, inner, bias=False)  # U = [U_1 .. U_K], one matrix for query, key and value
        self.drop = nn.Dropout(dropout)
        project = not (heads == 1 and head_dim == dim)  # the reference drops to_out when one head spans the width
        self.to_out = nn.Sequential(nn.Linear(inner, dim), nn.Dropout(dropout)) if project else nn.Identity()

    def forward(self, z):
        b, n, _ = z.shape
        w = self.qkv(z).reshape(b, n, self.heads, self.head_dim).transpose(1, 2)  # (b, K, n, d_k) = U_kᵀ z
        a = torch.softmax(w @ w.transpose(-1, -2) * self.head_dim ** -0.5, dim=-1)
        out = (self.drop(a) @ w).transpose(1, 2).reshape(b, n, -1)
        return self.to_out(out)


class Ista(nn.Module):
    """One ISTA step towards a sparse code of x against the dictionary D (key: weight)."""

    def __init__(self, dim, eta=0.1, lam=0.1):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(dim, dim))
        nn.init.kaiming_uniform_(self.weight)  # the reference's init (gain √2, fan-in), not Linear's a=√5
        self.eta, self.lam = eta, lam

    def forward(self, x):
        d = self.weight
        grad = F.linear(x, d.t()) - F.linear(F.linear(x, d), d.t())  # Dᵀx − DᵀDx, three products as written
        return F.relu(x + self.eta * grad - self.eta * self.lam)


class Crate(nn.Module):
    def __init__(self, image=28, channels=1, patch=7, dim=128, depth=6, heads=4, head_dim=32, classes=10, pool="cls"):
        super().__init__()
        n = (image // patch) ** 2
        pd = channels * patch * patch
        self.to_patch_embedding = nn.Sequential(Patchify(patch), nn.LayerNorm(pd), nn.Linear(pd, dim), nn.LayerNorm(dim))
        self.pos_embedding = nn.Parameter(torch.randn(1, n + 1, dim))
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.transformer = nn.Module()
        self.transformer.layers = nn.ModuleList(
            nn.ModuleList([PreNorm(dim, Mssa(dim, heads, head_dim)), PreNorm(dim, Ista(dim))]) for _ in range(depth))
        self.pool = pool
        self.mlp_head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, classes))

    def forward(self, img):
        x = self.to_patch_embedding(img)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embedding
        for compress, sparsify in self.transformer.layers:
            x = sparsify(x + compress(x))  # Z + MSSA(LN Z), then ISTA(LN ·)
        x = x[:, 0] if self.pool == "cls" else x.mean(dim=1)
        return self.mlp_head(x)


def lr_at(step, peak, floor, warmup, total):
    """Per-step linear warm-up to the peak, then cosine to the floor at the last step."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * progress))


def openblas():
    """Debian's torch calls the system OpenBLAS (pthread build), whose own thread pool
    torch.set_num_threads does not reach; None if no OpenBLAS is loaded."""
    for lib in blas_libraries():
        try:
            handle = ctypes.CDLL(lib)
            handle.openblas_set_num_threads, handle.openblas_get_num_threads
            return handle
        except (OSError, AttributeError):
            pass
    return None


def blas_libraries():
    with open("/proc/self/maps") as f:
        return sorted({l.split()[-1] for l in f if re.search(r"blas|lapack|mkl", l.split()[-1], re.I)})


def blas_summary():
    cfg = torch.__config__.show()
    info = ", ".join(m.group(0) for m in re.finditer(r"(BLAS_INFO|LAPACK_INFO|USE_MKLDNN|CPU capability usage)[=:] ?[^,\n]+", cfg))
    libs = [os.path.basename(p) for p in blas_libraries()]
    return f"{info}; loaded: {', '.join(libs) or 'none'}"


@torch.no_grad()
def evaluate(model, x, y, batch=500):
    model.eval()
    top1 = top5 = 0
    for i in range(0, len(x), batch):
        pred = model(x[i:i + batch]).topk(5, dim=1).indices
        hit = pred.eq(y[i:i + batch, None])
        top1 += hit[:, 0].sum().item()
        top5 += hit.any(dim=1).sum().item()
    model.train()
    return 100.0 * top1 / len(x), 100.0 * top5 / len(x)


def write_atomic(path, text):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="training budget (the final evaluation is extra)")
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op (OpenMP) threads")
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="OpenBLAS's own pool; its GEMMs run inside torch's OpenMP regions, so 2 + 2 threads "
                         "on 2 cores oversubscribe them (measured 0.256 against 0.12 s/step)")
    ap.add_argument("--out", help="JSON file for the result line")
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--lr", type=float, default=1e-3)
    a = ap.parse_args()
    if a.minutes <= 0 or a.threads < 1 or a.blas_threads < 1:
        sys.exit("error: --minutes must be > 0, --threads and --blas-threads >= 1")

    torch.manual_seed(0); random.seed(0); np.random.seed(0)
    torch.set_num_threads(a.threads)
    xtr, ytr = load_split(a.data, "train")
    xte, yte = load_split(a.data, "t10k")
    mean, std = xtr.mean().item(), xtr.std().item()
    xtr, xte = (xtr - mean) / std, (xte - mean) / std

    model = Crate()
    blas = openblas()
    if blas is not None:
        blas.openblas_set_num_threads(a.blas_threads)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.999), weight_decay=0.05)
    batch, floor = 128, 1e-5
    per_epoch = math.ceil(len(xtr) / batch)
    warmup = round(0.3 * per_epoch)
    budget = a.minutes * 60
    total = None  # fixed after calibration
    gen = torch.Generator().manual_seed(0)
    print(f"CRATE {params:,} parameters; train {tuple(xtr.shape)}, mean {mean:.4f} std {std:.4f}; "
          f"{a.threads} torch threads, {a.blas_threads} OpenBLAS; budget {budget:.0f} s", file=sys.stderr, flush=True)

    step, seen, loss_sum, epoch = 0, 0, 0.0, 0
    start = time.perf_counter()
    while total is None or step < total:
        order = torch.randperm(len(xtr), generator=gen)
        for i in range(0, len(xtr), batch):
            if total is not None and step >= total:
                break
            idx = order[i:i + batch]
            x, y = xtr[idx], ytr[idx]
            flip = torch.rand(len(idx), generator=gen) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(-1), x)
            lr = lr_at(step, a.lr, floor, min(warmup, total or warmup), total or 10 ** 9)
            for g in opt.param_groups:
                g["lr"] = lr
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            seen += len(idx)
            loss_sum += loss.item()
            now = time.perf_counter() - start
            if step == CALIBRATION_SKIP:
                t0 = now
            if total is None and step == CALIBRATION_SKIP + CALIBRATION_STEPS:
                sec = (now - t0) / CALIBRATION_STEPS
                total = max(step, step + int((budget - now) / sec))
                print(f"calibrated: {sec:.4f} s/step -> {total} steps ({total / per_epoch:.2f} epochs)", file=sys.stderr, flush=True)
            if step % 100 == 0:
                print(f"step {step}/{total} loss {loss_sum / 100:.4f} lr {lr:.2e} {now:.0f} s", file=sys.stderr, flush=True)
                loss_sum = 0.0
        epoch += 1
    seconds = time.perf_counter() - start
    t = time.perf_counter()
    top1, top5 = evaluate(model, xte, yte)
    result = {"model": "CRATE (reference layout) w128 d6 h4 p7 cls", "params": params,
              "epochs": round(seen / len(xtr), 3), "steps": step, "seconds": round(seconds, 1),
              "train_img_per_s": round(seen / seconds, 1), "top1": round(top1, 2), "top5": round(top5, 2),
              "eval_seconds": round(time.perf_counter() - t, 1), "minutes": a.minutes, "lr": a.lr,
              "normalise": [round(mean, 4), round(std, 4)], "torch": torch.__version__, "blas": blas_summary(),
              "threads": torch.get_num_threads(),
              "blas_threads": blas.openblas_get_num_threads() if blas is not None else None}
    line = json.dumps(result)
    if a.out:
        write_atomic(a.out, line)
    print(line)


if __name__ == "__main__":
    main()
