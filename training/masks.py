"""Random free-form training masks after LaMa's generator (Suvorov et al. 2022,
the "thick" and "medium" settings at 512 px, scaled to the crop): irregular
strokes and boxes in the ratio 1 : 0.3, rejected above 50 % of the image.
Drawn with PIL; returns float32 arrays with 1 = hole.
"""
import math

import numpy as np
from PIL import Image, ImageDraw

SETTINGS = {
    "thick": dict(strokes=(1, 5), width=250, length=450, boxes=(1, 4), box=(30, 300)),
    "medium": dict(strokes=(4, 10), width=100, length=200, boxes=(1, 5), box=(30, 150)),
}


def _strokes(rng, size, s, scale):
    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    for _ in range(rng.integers(s["strokes"][0], s["strokes"][1] + 1)):
        x, y = rng.integers(0, size, 2)
        for _ in range(rng.integers(1, 6)):
            angle = 0.01 + rng.random() * math.pi * 2
            length = (10 + rng.random() * s["length"]) * scale
            width = max(2, int((5 + rng.random() * s["width"]) * scale))
            nx = int(np.clip(x + length * math.cos(angle), 0, size - 1))
            ny = int(np.clip(y + length * math.sin(angle), 0, size - 1))
            draw.line([(x, y), (nx, ny)], fill=255, width=width)
            r = width // 2
            draw.ellipse([nx - r, ny - r, nx + r, ny + r], fill=255)
            x, y = nx, ny
    return img


def _boxes(rng, size, s, scale):
    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    lo, hi = s["box"]
    for _ in range(rng.integers(s["boxes"][0], s["boxes"][1] + 1)):
        w = int((lo + rng.random() * (hi - lo)) * scale)
        h = int((lo + rng.random() * (hi - lo)) * scale)
        x = rng.integers(0, max(1, size - w))
        y = rng.integers(0, max(1, size - h))
        draw.rectangle([x, y, x + w, y + h], fill=255)
    return img


def random_mask(rng, size):
    """One size x size hole mask (1 = hole) covering 2-50 % of the square."""
    scale = size / 512
    while True:
        s = SETTINGS["thick" if rng.random() < 0.6 else "medium"]
        img = _strokes(rng, size, s, scale) if rng.random() < 1 / 1.3 else _boxes(rng, size, s, scale)
        m = (np.asarray(img, dtype=np.uint8) > 127).astype(np.float32)
        if 0.02 <= m.mean() <= 0.5:
            return m


def mask_bank(count, size, seed):
    """`count` masks drawn once; training samples them with flips and shifts."""
    rng = np.random.default_rng(seed)
    return np.stack([random_mask(rng, size) for _ in range(count)])
