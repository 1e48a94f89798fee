"""The training photographs: natural photos from Debian's wallpaper packages,
with a fixed split. The held-out split is exactly the photos `vanish bench`
measures on (src/bench/photos.ts), so the network never trains on a benchmark
photo. `python3 training/photos.py` downloads the packages with
`apt-get download`, unpacks them with `dpkg -x` into the same cache as the
benchmark (.cache/photos) and writes the photos, long side 1280, to
training/data/{train,heldout}/ (ignored by git; about 10 MB, small enough to
carry to a GPU machine).
"""
import argparse
import os
import subprocess
import sys

from PIL import Image

PACKAGES = ("plasma-workspace-wallpapers", "mate-backgrounds", "gnome-backgrounds")

TRAIN = (
    "usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg",
    "usr/share/wallpapers/DarkestHour/contents/images/2560x1600.jpg",
    "usr/share/backgrounds/mate/nature/Aqua.jpg",
    "usr/share/backgrounds/mate/nature/Blinds.jpg",
    "usr/share/backgrounds/mate/nature/Dune.jpg",
    "usr/share/backgrounds/mate/nature/FreshFlower.jpg",
    "usr/share/backgrounds/mate/nature/GreenMeadow.jpg",
    "usr/share/backgrounds/mate/nature/LadyBird.jpg",
    "usr/share/backgrounds/mate/nature/RainDrops.jpg",
    "usr/share/backgrounds/mate/nature/Storm.jpg",
    "usr/share/backgrounds/mate/nature/YellowFlower.jpg",
)

HELDOUT = (
    "usr/share/wallpapers/EveningGlow/contents/images/2560x1600.jpg",
    "usr/share/wallpapers/Path/contents/images/2560x1600.jpg",
    "usr/share/wallpapers/BytheWater/contents/images/2560x1600.jpg",
    "usr/share/backgrounds/mate/nature/Wood.jpg",
    "usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg",
    "usr/share/wallpapers/Grey/contents/images/2560x1600.jpg",
    "usr/share/backgrounds/mate/nature/TwoWings.jpg",
    "usr/share/wallpapers/Kite/contents/images/2560x1600.jpg",
    "usr/share/wallpapers/FallenLeaf/contents/images/2560x1600.jpg",
    "usr/share/wallpapers/summer_1am/contents/images/2560x1600.jpg",
    "usr/share/backgrounds/mate/nature/Garden.jpg",
    "usr/share/wallpapers/ColdRipple/contents/images/2560x1600.jpg",
)

LONG_SIDE = 1280


def name_of(path):
    """A short, unique file name: the wallpaper's folder or the file's stem."""
    parts = path.split("/")
    return parts[3] if parts[2] == "wallpapers" else os.path.splitext(parts[-1])[0]


def ensure_packages(cache):
    root = os.path.join(cache, "root")
    if all(os.path.exists(os.path.join(root, p)) for p in TRAIN + HELDOUT):
        return root
    os.makedirs(cache, exist_ok=True)
    for pkg in PACKAGES:
        print(f"photos: downloading {pkg} (apt-get download)", file=sys.stderr)
        subprocess.run(["apt-get", "download", pkg], cwd=cache, check=True, stdout=subprocess.DEVNULL)
    for deb in sorted(f for f in os.listdir(cache) if f.endswith(".deb")):
        subprocess.run(["dpkg", "-x", os.path.join(cache, deb), root], check=True)
        os.remove(os.path.join(cache, deb))
    missing = [p for p in TRAIN + HELDOUT if not os.path.exists(os.path.join(root, p))]
    if missing:
        sys.exit(f"photos: missing after unpacking: {', '.join(missing)}")
    return root


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", default=os.path.join(here, "..", ".cache", "photos"))
    parser.add_argument("--out", default=os.path.join(here, "data"))
    args = parser.parse_args()
    root = ensure_packages(args.cache)
    for split, paths in (("train", TRAIN), ("heldout", HELDOUT)):
        os.makedirs(os.path.join(args.out, split), exist_ok=True)
        for p in paths:
            img = Image.open(os.path.join(root, p)).convert("RGB")
            scale = LONG_SIDE / max(img.size)
            if scale < 1:
                img = img.resize((round(img.width * scale), round(img.height * scale)), Image.LANCZOS)
            img.save(os.path.join(args.out, split, name_of(p) + ".jpg"), quality=95)
        print(f"photos: {len(paths)} {split} photos in {os.path.join(args.out, split)}", file=sys.stderr)


if __name__ == "__main__":
    main()
