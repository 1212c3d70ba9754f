#!/usr/bin/python3
"""Train the small example models SEIS Lens ships in examples/, export them to ONNX, and write
the probe set and the metrics file.

Why these models: they reproduce, at toy scale, the comparisons of the SEIS paper (Lin, Farrahi &
Cai, arXiv 2602.04054) so that a user without a model of their own can see what the scores mean:

  cnn-plain       4-conv CNN classifier, no augmentation            (depth trend in a conv encoder)
  cnn-rotaug      the same CNN trained with rotation augmentation   (augmentation effect)
  vit-tiny        tiny ViT, 4x4 patches + class token, (b,50,48)    (token layers; t = 1 + 7^2)
  mixer-tiny      tiny MLP-Mixer, 4x4 patches, (b,49,48)            (token layers without class token)
  seg-skip        encoder-decoder with additive skips, per-pixel    (decoder; skip connections)
  seg-noskip      the same encoder-decoder without skips            (decoder without skips)
  multitask       one shared encoder, classification + segmentation heads (multi- vs single-task)

The dense task is a segmentation-like target built from Fashion-MNIST itself: every pixel whose
intensity exceeds FOREGROUND_THRESHOLD gets the garment's class (1..10), every other pixel is
background (0). It needs both the shape (local) and the class (global), which is what makes the
skip/no-skip and single/multi-task comparisons meaningful.

Reproducibility: everything is seeded (SEED), runs on CPU with torch 1.13 (Debian python3-torch),
uses a fixed training subset, and writes:
  examples/models/<name>.onnx          opset 13, dynamic batch dim, NCHW float32 input "input"
  examples/probes/fashion-probe.npy    64 test images (N,1,28,28) float32, normalised as in training
  examples/probes/fashion-probe-labels.npy   their labels (int64)
  examples/reference/<name>.<output>.npy  torch outputs on the first 8 probe images (for the ONNX test)
  examples/metrics.json                test accuracy on clean and rotated test images, train time

  examples/checkpoints/{plain,rotaug}/epoch_N.onnx   (--checkpoints) the cnn at init and after each epoch,
                                                    without and with rotation augmentation, for seis series

Usage:  /usr/bin/python3 scripts/train_examples.py [--only name,name] [--threads 2] [--checkpoints]
Data:   apt-get install dataset-fashion-mnist  (idx files in /usr/share/datasets/fashion-mnist)
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20260204
DATA_DIR = "/usr/share/datasets/fashion-mnist"
# Fashion-MNIST training-set statistics of pixels scaled to [0,1].
MEAN, STD = 0.2860, 0.3530
FOREGROUND_THRESHOLD = 0.1  # on [0,1] pixels, before normalisation
TRAIN_SUBSET = 12000
EVAL_IMAGES = 2000
PROBE_COUNT = 64
REFERENCE_COUNT = 8
OPSET = 13
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "examples")


# ----------------------------------------------------------------------------- data

def read_idx(path):
    """Parse an idx file (the MNIST container): magic, dims, then big-endian raw values."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte idx file (magic {raw[:4].hex()})")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return data.reshape(dims)


def load_split(prefix):
    images_path = os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte.gz")
    labels_path = os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte.gz")
    for p in (images_path, labels_path):
        if not os.path.exists(p):
            sys.exit(f"Missing {p}. Install the data set: apt-get install dataset-fashion-mnist")
    images = read_idx(images_path).astype(np.float32) / 255.0
    labels = read_idx(labels_path).astype(np.int64)
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels)


def normalise(x01):
    return (x01 - MEAN) / STD


def seg_target(x01, labels):
    """Per-pixel target: class+1 on the garment, 0 on the background."""
    fg = (x01[:, 0] > FOREGROUND_THRESHOLD).long()
    return fg * (labels.view(-1, 1, 1) + 1)


# ----------------------------------------------------------------------------- transforms

def rotate_any(x, degrees, mode="bilinear"):
    """Rotate NCHW images about their centre by per-sample angles (degrees, counter-clockwise),
    zero padding outside. Interpolates: only multiples of 90 are exact (use torch.rot90 for those)."""
    theta = torch.as_tensor(degrees, dtype=x.dtype).reshape(-1) * math.pi / 180.0
    if theta.numel() == 1:
        theta = theta.expand(x.shape[0])
    cos, sin = torch.cos(theta), torch.sin(theta)
    zero = torch.zeros_like(cos)
    # affine_grid maps output coordinates to input coordinates, hence the inverse rotation.
    mat = torch.stack([torch.stack([cos, sin, zero], 1), torch.stack([-sin, cos, zero], 1)], 1)
    grid = F.affine_grid(mat, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)


def augment_rotation(x01, seg, gen):
    """Half of each batch: random exact 90-degree multiple; other half: uniform angle in [0,360).
    Works on [0,1] pixels (so padding is true black) and rotates the dense target alongside."""
    b = x01.shape[0]
    out = x01.clone()
    seg_out = seg.clone() if seg is not None else None
    k = torch.randint(0, 4, (b,), generator=gen)
    arbitrary = torch.rand(b, generator=gen) < 0.5
    for q in range(1, 4):
        idx = ((k == q) & ~arbitrary).nonzero().flatten()
        if idx.numel():
            out[idx] = torch.rot90(x01[idx], q, dims=(2, 3))
            if seg_out is not None:
                seg_out[idx] = torch.rot90(seg[idx], q, dims=(1, 2))
    idx = arbitrary.nonzero().flatten()
    if idx.numel():
        angles = torch.rand(idx.numel(), generator=gen) * 360.0
        out[idx] = rotate_any(x01[idx], angles)
        if seg_out is not None:
            seg_out[idx] = rotate_any(seg[idx].unsqueeze(1).float(), angles, mode="nearest")[:, 0].long()
    return out, seg_out


# ----------------------------------------------------------------------------- models

class ConvEncoder(nn.Module):
    """Four 3x3 conv blocks: 28x28x16 -> 28x28x32 -> pool 14x14x64 -> pool 7x7x64."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv4 = nn.Conv2d(64, 64, 3, padding=1)

    def forward(self, x):
        f1 = F.relu(self.conv1(x))
        f2 = F.relu(self.conv2(f1))
        f3 = F.relu(self.conv3(F.max_pool2d(f2, 2)))
        f4 = F.relu(self.conv4(F.max_pool2d(f3, 2)))
        return f2, f3, f4


class ClassHead(nn.Module):
    def __init__(self, channels=64):
        super().__init__()
        self.fc = nn.Linear(channels, 10)

    def forward(self, f):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(f, 1), 1))


class SegDecoder(nn.Module):
    """Upsample 7->14->28. With skips, the encoder map of the same size is added before each conv
    (additive, FPN-style rather than U-Net concatenation: same parameter count with and without
    skips, and half the decoder cost, which keeps CPU training short)."""

    def __init__(self, skip):
        super().__init__()
        self.skip = skip
        self.up1 = nn.Conv2d(64, 32, 3, padding=1)
        self.up2 = nn.Conv2d(32, 16, 3, padding=1)
        self.seg_out = nn.Conv2d(16, 11, 1)

    def forward(self, f2, f3, f4):
        u = F.interpolate(f4, scale_factor=2, mode="nearest")
        if self.skip:
            u = u + f3
        u = F.relu(self.up1(u))
        u = F.interpolate(u, scale_factor=2, mode="nearest")
        if self.skip:
            u = u + f2
        u = F.relu(self.up2(u))
        return self.seg_out(u)


class Cnn(nn.Module):
    outputs = ("logits",)

    def __init__(self):
        super().__init__()
        self.encoder = ConvEncoder()
        self.head = ClassHead()

    def forward(self, x):
        return self.head(self.encoder(x)[2])


class SegNet(nn.Module):
    outputs = ("segmentation",)

    def __init__(self, skip):
        super().__init__()
        self.encoder = ConvEncoder()
        self.decoder = SegDecoder(skip)

    def forward(self, x):
        return self.decoder(*self.encoder(x))


class MultiTask(nn.Module):
    outputs = ("logits", "segmentation")

    def __init__(self):
        super().__init__()
        self.encoder = ConvEncoder()
        self.head = ClassHead()
        self.decoder = SegDecoder(skip=True)

    def forward(self, x):
        f2, f3, f4 = self.encoder(x)
        return self.head(f4), self.decoder(f2, f3, f4)


class Attention(nn.Module):
    """Multi-head self-attention written out with Linear/MatMul/Softmax so the ONNX graph has
    plain, named ops (torch's fused nn.MultiheadAttention fast path does not export cleanly)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        hd = d // self.heads
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, hd).permute(2, 0, 3, 1, 4).unbind(0)
        att = torch.softmax(q @ k.transpose(-2, -1) * (hd ** -0.5), dim=-1)
        return self.proj((att @ v).transpose(1, 2).reshape(b, t, d))


class ViTBlock(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """4x4 patches of a 28x28 image -> 7x7 grid; a class token in front, so blocks emit (b,50,48)."""
    outputs = ("logits",)

    def __init__(self, dim=48, depth=4, heads=4, hidden=96, patch=4):
        super().__init__()
        grid = 28 // patch
        self.patch_embed = nn.Conv2d(1, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + grid * grid, dim) * 0.02)
        self.blocks = nn.ModuleList([ViTBlock(dim, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        p = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(p.shape[0], -1, -1), p], 1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x)[:, 0])


class MixerBlock(nn.Module):
    def __init__(self, tokens, dim, token_hidden, channel_hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.token_mlp = nn.Sequential(nn.Linear(tokens, token_hidden), nn.GELU(), nn.Linear(token_hidden, tokens))
        self.norm2 = nn.LayerNorm(dim)
        self.channel_mlp = nn.Sequential(nn.Linear(dim, channel_hidden), nn.GELU(), nn.Linear(channel_hidden, dim))

    def forward(self, x):
        x = x + self.token_mlp(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.norm2(x))


class Mixer(nn.Module):
    """4x4 patches -> 49 tokens, no class token; blocks emit (b,49,48); global average pool head."""
    outputs = ("logits",)

    def __init__(self, dim=48, depth=4, patch=4):
        super().__init__()
        tokens = (28 // patch) ** 2
        self.patch_embed = nn.Conv2d(1, dim, patch, stride=patch)
        self.blocks = nn.ModuleList([MixerBlock(tokens, dim, 64, 96) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x).mean(1))


# name -> (constructor, tasks, augment, epochs, lr, description)
SPECS = {
    "cnn-plain": (Cnn, ("class",), False, 3, 2e-3, "4-conv CNN classifier, no augmentation"),
    "cnn-rotaug": (Cnn, ("class",), True, 4, 2e-3,
                   "same CNN, trained with rotation augmentation (half exact 90-degree multiples, half uniform angles)"),
    "vit-tiny": (ViT, ("class",), False, 4, 1e-3, "tiny ViT: 4x4 patches + class token, 4 blocks, dim 48"),
    "mixer-tiny": (Mixer, ("class",), False, 4, 1e-3, "tiny MLP-Mixer: 4x4 patches, 4 blocks, dim 48"),
    "seg-skip": (lambda: SegNet(True), ("seg",), False, 2, 2e-3,
                 "encoder-decoder with additive skip connections (encoder maps added in the decoder), per-pixel class segmentation"),
    "seg-noskip": (lambda: SegNet(False), ("seg",), False, 2, 2e-3,
                   "the same encoder-decoder without skip connections"),
    "multitask": (MultiTask, ("class", "seg"), False, 2, 2e-3,
                  "shared conv encoder with a classification head and the seg-skip decoder"),
}


# ----------------------------------------------------------------------------- train / evaluate

def train(name, model, tasks, augment, epochs, lr, xtr01, ytr, log, after_epoch=None):
    gen = torch.Generator().manual_seed(SEED + sum(map(ord, name)))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    batch = 128
    steps = epochs * math.ceil(len(xtr01) / batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(xtr01), generator=gen)
        total, count = 0.0, 0
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            x01, y = xtr01[idx], ytr[idx]
            seg = seg_target(x01, y) if "seg" in tasks else None
            if augment:
                x01, seg = augment_rotation(x01, seg, gen)
            out = model(normalise(x01))
            outs = out if isinstance(out, tuple) else (out,)
            loss = 0.0
            for task, o in zip(tasks, outs):
                loss = loss + (F.cross_entropy(o, y) if task == "class" else F.cross_entropy(o, seg))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
            count += len(idx)
        log(f"  {name} epoch {epoch + 1}/{epochs} loss {total / count:.4f}")
        if after_epoch is not None:
            after_epoch(epoch + 1)


@torch.no_grad()
def evaluate(model, tasks, xte01, yte):
    """Accuracy on clean and rotated test images. rot90/180/270 are exact (torch.rot90);
    rot45 interpolates (bilinear, zero padding) and crop corners."""
    model.eval()
    views = {
        "clean": lambda x: x,
        "rot90": lambda x: torch.rot90(x, 1, dims=(2, 3)),
        "rot180": lambda x: torch.rot90(x, 2, dims=(2, 3)),
        "rot270": lambda x: torch.rot90(x, 3, dims=(2, 3)),
        "rot45": lambda x: rotate_any(x, 45.0),
    }
    seg_views = {
        "clean": lambda s: s,
        "rot90": lambda s: torch.rot90(s, 1, dims=(1, 2)),
        "rot180": lambda s: torch.rot90(s, 2, dims=(1, 2)),
        "rot270": lambda s: torch.rot90(s, 3, dims=(1, 2)),
        "rot45": lambda s: rotate_any(s.unsqueeze(1).float(), 45.0, mode="nearest")[:, 0].long(),
    }
    result = {}
    seg_clean = seg_target(xte01, yte)
    for view, fn in views.items():
        correct = {t: 0.0 for t in tasks}
        fg_correct, fg_total = 0.0, 0.0
        for i in range(0, len(xte01), 1000):
            x01 = fn(xte01[i:i + 1000])
            out = model(normalise(x01))
            outs = out if isinstance(out, tuple) else (out,)
            for task, o in zip(tasks, outs):
                if task == "class":
                    correct[task] += float((o.argmax(1) == yte[i:i + 1000]).sum())
                else:
                    target = seg_views[view](seg_clean[i:i + 1000])
                    pred = o.argmax(1)
                    correct[task] += float((pred == target).float().mean(dim=(1, 2)).sum())
                    fg = target > 0
                    fg_correct += float(((pred == target) & fg).sum())
                    fg_total += float(fg.sum())
        entry = {}
        if "class" in tasks:
            entry["accuracy"] = round(correct["class"] / len(xte01), 4)
        if "seg" in tasks:
            entry["pixelAccuracy"] = round(correct["seg"] / len(xte01), 4)
            entry["foregroundPixelAccuracy"] = round(fg_correct / max(fg_total, 1.0), 4)
        result[view] = entry
    return result


# ----------------------------------------------------------------------------- export

def atomic_write(path, write):
    """Write through a temp file in the same directory, then rename: no half-written outputs."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=os.path.splitext(path)[1])
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; outputs are ordinary repository files
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def export_onnx(name, model, path, description=None):
    import onnx

    model.eval()
    dummy = torch.zeros(2, 1, 28, 28)
    outputs = list(model.outputs)
    axes = {"input": {0: "batch"}}
    for o in outputs:
        axes[o] = {0: "batch"}

    def write(tmp):
        torch.onnx.export(model, dummy, tmp, input_names=["input"], output_names=outputs,
                          dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)
        m = onnx.load(tmp)
        onnx.checker.check_model(m)
        m.doc_string = f"SEIS Lens example model '{name}' ({description or SPECS[name][5]}); trained by scripts/train_examples.py"
        m.producer_name = "pytorch (seis-lens scripts/train_examples.py)"
        onnx.save(m, tmp)

    atomic_write(path, write)
    return os.path.getsize(path)


# ----------------------------------------------------------------------------- checkpoint series

# A training run as a series of checkpoints, for `seis series` (issue 9): the cnn architecture trained
# with and without rotation augmentation, exported at initialisation (epoch 0) and after each epoch.
# A smaller training subset than the single models so both runs fit in minutes on 2 cores; the lr
# schedule covers all CHECKPOINT_EPOCHS, so epoch N here is not cnn-plain's epoch N.
CHECKPOINT_RUNS = {"plain": False, "rotaug": True}
CHECKPOINT_EPOCHS = 4
CHECKPOINT_TRAIN_SUBSET = 8000


def train_checkpoint_series(out_dir, smoke, log):
    xtr01, ytr = load_split("train")
    xte01, yte = load_split("t10k")
    train_subset = 256 if smoke else CHECKPOINT_TRAIN_SUBSET
    epochs = 1 if smoke else CHECKPOINT_EPOCHS
    subset = torch.randperm(len(xtr01), generator=torch.Generator().manual_seed(SEED))[:train_subset]
    xtr01, ytr = xtr01[subset], ytr[subset]
    eval_idx = torch.randperm(len(xte01), generator=torch.Generator().manual_seed(SEED + 1))[:(200 if smoke else EVAL_IMAGES)]
    summary = {}
    for run, augment in CHECKPOINT_RUNS.items():
        torch.manual_seed(SEED)  # both runs start from the same initial weights
        model = Cnn()
        folder = os.path.join(out_dir, "checkpoints", run)
        accuracy = {}

        def save(epoch, model=model, folder=folder, run=run, augment=augment, accuracy=accuracy):
            description = f"cnn checkpoint, run '{run}' ({'rotation augmentation' if augment else 'no augmentation'}), after {epoch} epochs"
            export_onnx(f"cnn-{run}-epoch{epoch}", model, os.path.join(folder, f"epoch_{epoch}.onnx"), description)
            accuracy[f"epoch_{epoch}"] = evaluate(model, ("class",), xte01[eval_idx], yte[eval_idx])
            model.train()
            log(f"  {run} epoch {epoch}: {json.dumps(accuracy[f'epoch_{epoch}'])}")

        save(0)
        log(f"checkpoints/{run}: {epochs} epochs on {train_subset} images, augment={augment}")
        train(f"cnn-{run}", model, ("class",), augment, epochs, 3e-3, xtr01, ytr, log, after_epoch=save)
        summary[run] = {"rotationAugmentation": augment, "epochs": epochs, "trainImages": train_subset, "test": accuracy}

    def write_json(p):
        with open(p, "w") as f:
            f.write(json.dumps({"generatedBy": "scripts/train_examples.py --checkpoints", "seed": SEED, "torch": torch.__version__, "runs": summary}, indent=2) + "\n")

    atomic_write(os.path.join(out_dir, "checkpoints", "metrics.json"), write_json)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated subset of: " + ", ".join(SPECS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=OUT, help="output directory (default: examples/)")
    parser.add_argument("--smoke", action="store_true",
                        help="1 epoch on 512 images: checks the pipeline end to end, models are useless")
    parser.add_argument("--checkpoints", action="store_true",
                        help="only the checkpoint series (examples/checkpoints/{plain,rotaug}/epoch_N.onnx); leaves the other files alone")
    args = parser.parse_args()
    out_dir = os.path.abspath(args.out)
    if args.checkpoints:
        torch.set_num_threads(args.threads)
        train_checkpoint_series(out_dir, args.smoke, lambda s: print(s, flush=True))
        return
    train_subset = 512 if args.smoke else TRAIN_SUBSET
    names = [n for n in args.only.split(",") if n] or list(SPECS)
    unknown = [n for n in names if n not in SPECS]
    if unknown:
        sys.exit(f"Unknown model(s) {unknown}; choose from {list(SPECS)}")

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    log = lambda s: print(s, flush=True)  # noqa: E731

    xtr01, ytr = load_split("train")
    xte01, yte = load_split("t10k")
    # Accuracy is measured on a fixed seeded subset of the test set: 6 views x 10k images per
    # model would cost more CPU than the training itself on a shared 2-core machine.
    eval_count = 200 if args.smoke else EVAL_IMAGES
    eval_idx = torch.randperm(len(xte01), generator=torch.Generator().manual_seed(SEED + 1))[:eval_count]
    subset = torch.randperm(len(xtr01), generator=torch.Generator().manual_seed(SEED))[:train_subset]
    xtr01, ytr = xtr01[subset], ytr[subset]

    # Probe: a class-balanced, seeded draw from the test set (never seen in training).
    pgen = np.random.default_rng(SEED)
    per_class = PROBE_COUNT // 10
    picks = []
    for c in range(10):
        picks.extend(pgen.choice(np.flatnonzero(yte.numpy() == c), per_class, replace=False).tolist())
    rest = np.setdiff1d(np.arange(len(yte)), picks)
    picks.extend(pgen.choice(rest, PROBE_COUNT - len(picks), replace=False).tolist())
    picks = np.array(sorted(picks))
    probe = normalise(xte01[picks]).numpy().astype(np.float32)
    probe_labels = yte[picks].numpy().astype(np.int64)
    atomic_write(os.path.join(out_dir, "probes", "fashion-probe.npy"), lambda p: np.save(p, probe))
    atomic_write(os.path.join(out_dir, "probes", "fashion-probe-labels.npy"),
                 lambda p: np.save(p, probe_labels))

    metrics_path = os.path.join(out_dir, "metrics.json")

    def record(name, entry):
        """Merge one model's entry into metrics.json right away (re-read first), so an interrupted
        run keeps what it finished and runs for disjoint --only subsets can share one folder."""
        models = {}
        if os.path.exists(metrics_path):
            with open(metrics_path) as f:
                models = json.load(f).get("models", {})
        if name is not None:
            models[name] = entry
        doc = {
            "generatedBy": "scripts/train_examples.py",
            "torch": torch.__version__,
            "seed": SEED,
            "dataset": "Fashion-MNIST (Debian dataset-fashion-mnist)",
            "evaluation": f"{eval_count} test images (seeded subset of the 10,000 t10k images)",
            "normalisation": {"mean": MEAN, "std": STD, "formula": "(pixel/255 - mean) / std"},
            "probe": {"file": "probes/fashion-probe.npy", "shape": list(probe.shape), "dtype": "float32",
                      "labels": "probes/fashion-probe-labels.npy", "testIndices": picks.tolist()},
            "segmentationTarget": f"pixel/255 > {FOREGROUND_THRESHOLD} -> class+1, else 0 (11 classes)",
            "rotatedViews": "rot90/180/270 exact (torch.rot90, counter-clockwise); rot45 bilinear, zero padding, corners cropped",
            "models": {k: models[k] for k in SPECS if k in models},
        }

        def write_json(p):
            with open(p, "w") as f:
                f.write(json.dumps(doc, indent=2) + "\n")

        atomic_write(metrics_path, write_json)

    for name in names:
        ctor, tasks, augment, epochs, lr, description = SPECS[name]
        epochs = 1 if args.smoke else epochs
        torch.manual_seed(SEED)
        model = ctor()
        params = sum(p.numel() for p in model.parameters())
        log(f"{name}: {params} parameters, {epochs} epochs on {train_subset} images, augment={augment}")
        t0 = time.time()
        train(name, model, tasks, augment, epochs, lr, xtr01, ytr, log)
        seconds = time.time() - t0
        scores = evaluate(model, tasks, xte01[eval_idx], yte[eval_idx])
        log(f"  {name}: {json.dumps(scores)}  ({seconds:.0f}s)")
        onnx_path = os.path.join(out_dir, "models", f"{name}.onnx")
        size = export_onnx(name, model, onnx_path)
        with torch.no_grad():
            ref = model(torch.from_numpy(probe[:REFERENCE_COUNT]))
        refs = ref if isinstance(ref, tuple) else (ref,)
        for output, r in zip(model.outputs, refs):
            atomic_write(os.path.join(out_dir, "reference", f"{name}.{output}.npy"),
                         lambda p, r=r: np.save(p, r.numpy().astype(np.float32)))
        record(name, {
            "description": description,
            "file": f"models/{name}.onnx",
            "sizeBytes": size,
            "parameters": params,
            "tasks": list(tasks),
            "outputs": list(model.outputs),
            "rotationAugmentation": augment,
            "epochs": epochs,
            "trainImages": train_subset,
            "trainSeconds": round(seconds, 1),
            "threads": args.threads,
            "test": scores,
        })
    record(None, None)
    log(f"wrote {metrics_path}")


if __name__ == "__main__":
    main()
