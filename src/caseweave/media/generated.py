"""Benign generated images (random shapes over gradients) for tests, benchmarks and the demo.

Real seized material never enters the project: everything that needs an image to hash makes one
here. Each image is a pure function of its seed, so runs and machines agree.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw

SUFFIX_FORMATS = {".jpg": "JPEG", ".png": "PNG", ".gif": "GIF", ".bmp": "BMP", ".webp": "WEBP"}


def benign_image(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A gradient background with a dozen random ellipses, rectangles and lines (RGB)."""
    rng = random.Random(seed)
    width, height = size
    start = [rng.randrange(256) for _ in range(3)]
    end = [rng.randrange(256) for _ in range(3)]
    # a horizontal gradient built from one row, stretched: fast even for large sizes
    row = Image.new("RGB", (width, 1))
    row.putdata(
        [
            tuple(s + (e - s) * x // max(width - 1, 1) for s, e in zip(start, end, strict=True))
            for x in range(width)
        ]
    )
    image = row.resize((width, height))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(8, max(9, width // 2)), y0 + rng.randrange(8, max(9, height // 2))
        colour = tuple(rng.randrange(256) for _ in range(3))
        shape = rng.choice(("ellipse", "rectangle", "line"))
        if shape == "ellipse":
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        elif shape == "rectangle":
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.line((x0, y0, x1, y1), fill=colour, width=rng.randrange(2, 12))
    return image


def write_benign_images(folder: Path, count: int, *, seed: int = 0, suffix: str = ".jpg") -> list[Path]:
    """count images named image-00000.jpg … in folder (made if missing); sizes vary 320-1280 px."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for index in range(count):
        size = (rng.randrange(320, 1281), rng.randrange(240, 961))
        path = folder / f"image-{index:05d}{suffix}"
        benign_image(seed * 1_000_003 + index, size).save(path, SUFFIX_FORMATS[suffix])
        paths.append(path)
    return paths
