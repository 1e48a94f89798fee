"""Trains Vanish's coarse inpainting network (model.py) on random crops of the
photos that photos.py prepares, with random free-form masks (masks.py).

Each sample: a photo, a square crop whose side is drawn log-uniformly between
0.75x the training size and the photo's short side (scale augmentation),
resized with an anti-aliased filter, flipped at random, with brightness,
contrast and saturation jitter; then a mask from a bank drawn once, flipped,
transposed and shifted at random.

Losses need no downloaded weights: L1 on every pixel with the hole weighted 6x
(as LaMa and RETHINED weight the hole), and an L1 on the horizontal and
vertical differences of the composited result inside the hole and its rim, so
that edges are reproduced rather than blurred.

Runs on a GPU (bf16 autocast) or a CPU. Checkpoints (`last.pt`: weights,
optimiser, step, configuration) are written every `--checkpoint-every` steps
and when the `--minutes` budget runs out, so a run can stop anywhere and go on
with `--resume`. `--smoke` trains a few steps on generated images, for CI.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from masks import mask_bank
from model import CoarseNet, parameter_count, stack_input


def load_photos(folder, device):
    from PIL import Image

    names = sorted(f for f in os.listdir(folder) if f.lower().endswith((".jpg", ".png")))
    if not names:
        sys.exit(f"train: no photos in {folder}; run training/photos.py first")
    photos = []
    for n in names:
        arr = np.asarray(Image.open(os.path.join(folder, n)).convert("RGB"), dtype=np.uint8)
        photos.append(torch.from_numpy(arr.copy()).permute(2, 0, 1).to(device))
    return names, photos


def synthetic_photos(count, size, device, seed):
    """Smooth colour fields with stripes and noise: enough to exercise the recipe in CI."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(count):
        yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
        base = torch.stack([xx, yy, 0.5 * (xx + yy)]) * 160 + 40
        stripes = 30 * torch.sin(xx * 40 * torch.rand(1, generator=g) + yy * 10)
        noise = 12 * torch.randn(3, size, size, generator=g)
        out.append((base + stripes + noise).clamp(0, 255).to(torch.uint8).to(device))
    return [f"synthetic{i}" for i in range(count)], out


def sample_batch(photos, masks, batch, size, rng, device):
    """Images in [-1, 1] [B, 3, size, size] and holes [B, 1, size, size] (1 = hole)."""
    crops = []
    for _ in range(batch):
        p = photos[rng.integers(len(photos))]
        h, w = p.shape[1:]
        short = min(h, w)
        lo = min(short, 0.75 * size)
        side = int(round(math.exp(rng.uniform(math.log(lo), math.log(short)))))
        y = rng.integers(0, h - side + 1)
        x = rng.integers(0, w - side + 1)
        crop = p[:, y:y + side, x:x + side].unsqueeze(0).float() / 255
        if side != size:
            crop = F.interpolate(crop, size=(size, size), mode="bilinear", align_corners=False, antialias=side > size)
        if rng.random() < 0.5:
            crop = crop.flip(3)
        crops.append(crop)
    img = torch.cat(crops).clamp(0, 1)
    b = (torch.from_numpy(rng.uniform(-0.12, 0.12, (batch, 1, 1, 1))).float()).to(device)
    c = (torch.from_numpy(rng.uniform(0.8, 1.2, (batch, 1, 1, 1))).float()).to(device)
    s = (torch.from_numpy(rng.uniform(0.75, 1.25, (batch, 1, 1, 1))).float()).to(device)
    grey = img.mean(1, keepdim=True)
    img = grey + s * (img - grey)
    mean = img.mean((1, 2, 3), keepdim=True)
    img = (mean + c * (img - mean) + b).clamp(0, 1)

    idx = rng.integers(len(masks), size=batch)
    m = torch.from_numpy(masks[idx]).to(device).unsqueeze(1)
    if rng.random() < 0.5:
        m = m.flip(3)
    if rng.random() < 0.5:
        m = m.flip(2)
    if rng.random() < 0.5:
        m = m.transpose(2, 3)
    m = torch.roll(m, shifts=(int(rng.integers(size)), int(rng.integers(size))), dims=(2, 3))
    return img * 2 - 1, m


def losses(out, image, hole):
    known = 1 - hole
    l1 = ((out - image).abs() * (1 + 5 * hole)).mean()
    comp = out * hole + image * known
    rim = F.max_pool2d(hole, 5, 1, 2)
    dx = lambda t: t[..., :, 1:] - t[..., :, :-1]
    dy = lambda t: t[..., 1:, :] - t[..., :-1, :]
    gx = ((dx(comp) - dx(image)).abs() * rim[..., :, 1:]).sum() / (3 * rim[..., :, 1:].sum() + 1)
    gy = ((dy(comp) - dy(image)).abs() * rim[..., 1:, :]).sum() / (3 * rim[..., 1:, :].sum() + 1)
    return l1, gx + gy


@torch.no_grad()
def evaluate(model, photos, masks, size, device, seed=1234, batches=4, batch=16):
    """PSNR (dB, on [0, 255]) inside the hole on a fixed set of held-out crops."""
    model.eval()
    rng = np.random.default_rng(seed)
    errors = []
    for _ in range(batches):
        image, hole = sample_batch(photos, masks, batch, size, rng, device)
        out = model(stack_input(image, 1 - hole)).float().clamp(-1, 1)
        se = (((out - image) * 127.5) ** 2 * hole).sum((1, 2, 3)) / (3 * hole.sum((1, 2, 3)) + 1)
        errors.append(se)
    model.train()
    mse = torch.cat(errors).mean().item()
    return 10 * math.log10(255 ** 2 / max(mse, 1e-6))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Train Vanish's coarse inpainting network.")
    ap.add_argument("--data", default=os.path.join(here, "data"))
    ap.add_argument("--out", default=os.path.join(here, "runs", "coarse"))
    ap.add_argument("--size", type=int, default=256, help="training crop side (multiple of 32)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=20000, help="length of the learning-rate schedule")
    ap.add_argument("--minutes", type=float, default=0, help="stop (with a checkpoint) after this long; 0 = no limit")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--widths", default="32,64,96,160,256,320")
    ap.add_argument("--masks", type=int, default=4000, help="masks in the bank")
    ap.add_argument("--checkpoint-every", type=int, default=1000)
    ap.add_argument("--resume", action="store_true", help="go on from OUT/last.pt")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--smoke", action="store_true", help="a few steps on generated images (CI)")
    args = ap.parse_args()
    if args.size % 32:
        sys.exit("train: --size must be a multiple of 32")

    t0 = time.time()
    torch.manual_seed(args.seed)
    if args.device == "cpu":
        torch.set_num_threads(os.cpu_count() or 1)
    device = torch.device(args.device)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "last.pt")
    config = {"widths": [int(w) for w in args.widths.split(",")]}
    state = torch.load(ckpt_path, map_location=device) if args.resume and os.path.exists(ckpt_path) else None
    if state:
        config = state["config"]
    model = CoarseNet(widths=tuple(config["widths"])).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    step = 0
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step = state["step"]
        print(f"train: resumed at step {step}", file=sys.stderr)

    if args.smoke:
        names, photos = synthetic_photos(4, 160, device, args.seed)
        held_names, held = synthetic_photos(2, 160, device, args.seed + 1)
    else:
        names, photos = load_photos(os.path.join(args.data, "train"), device)
        held_names, held = load_photos(os.path.join(args.data, "heldout"), device)
    masks = mask_bank(8 if args.smoke else args.masks, args.size, args.seed)
    eval_masks = mask_bank(8 if args.smoke else 256, args.size, args.seed + 99)
    print(f"train: {parameter_count(model)} parameters, {len(names)} train / {len(held_names)} held-out photos, "
          f"{len(masks)} masks, device {device}", file=sys.stderr)

    rng = np.random.default_rng(args.seed + step)
    autocast = device.type == "cuda"
    log = open(os.path.join(args.out, "log.jsonl"), "a")

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step, "config": config}, tmp)
        os.replace(tmp, ckpt_path)

    model.train()
    last_print = time.time()
    while step < args.steps:
        lr = 1e-5 + 0.5 * (args.lr - 1e-5) * (1 + math.cos(math.pi * step / args.steps))
        warm = min(1.0, (step + 1) / 500)
        for g in opt.param_groups:
            g["lr"] = lr * warm
        image, hole = sample_batch(photos, masks, args.batch, args.size, rng, device)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
            out = model(stack_input(image, 1 - hole))
        l1, grad = losses(out.float(), image, hole)
        loss = l1 + 2 * grad
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        out_of_time = args.minutes > 0 and time.time() - t0 > args.minutes * 60
        if step % args.checkpoint_every == 0 or step == args.steps or out_of_time or time.time() - last_print > 60:
            psnr = evaluate(model, held, eval_masks, args.size, device, batches=1 if args.smoke else 4)
            entry = {"step": step, "loss": round(loss.item(), 5), "l1": round(l1.item(), 5),
                     "grad": round(grad.item(), 5), "heldout_hole_psnr": round(psnr, 3), "lr": lr,
                     "minutes": round((time.time() - t0) / 60, 2)}
            print(f"train: {json.dumps(entry)}", file=sys.stderr)
            log.write(json.dumps(entry) + "\n")
            log.flush()
            last_print = time.time()
        if step % args.checkpoint_every == 0 or step == args.steps or out_of_time:
            save()
        if out_of_time:
            print(f"train: time budget reached at step {step}; resume with --resume", file=sys.stderr)
            break
    save()


if __name__ == "__main__":
    main()
