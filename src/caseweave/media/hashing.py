"""Hash one file's bytes: MD5, SHA-1, SHA-256 always; PDQ + quality for images; vPDQ for videos.

Pure functions over a binary stream, so a file on disk and a zip member read from its archive go
through the same code. The bytes are read once, hashed as they arrive and dropped; an image is held
in memory only while Pillow decodes it for PDQ. Nothing is written anywhere.

The PDQ hash is pdqhash.compute on Pillow's RGB conversion of the image, with no resizing or EXIF
rotation first: this is what python-threatexchange does, so our hashes equal its hashes bit for bit.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import mimetypes
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, TYPE_CHECKING

from PIL import Image, UnidentifiedImageError

from caseweave.media.records import FileHashes, MediaKind

if TYPE_CHECKING:
    import numpy as np

CHUNK = 8 * 1024 * 1024
# Pillow's own decompression-bomb threshold (about 89 million pixels) is a sensible default cap.
DEFAULT_MAX_PIXELS = int(Image.MAX_IMAGE_PIXELS or 89_478_485)
DEFAULT_MAX_IMAGE_BYTES = 512 * 1024 * 1024  # a larger "image" is not decoded: its bytes are still hashed

IMAGE_SUFFIXES = frozenset(
    [
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".png",
        ".gif",
        ".bmp",
        ".dib",
        ".webp",
        ".tif",
        ".tiff",
        ".ppm",
        ".pgm",
        ".pbm",
        ".pnm",
        ".ico",
        ".tga",
        ".jp2",
        ".j2k",
        ".heic",
        ".heif",
        ".avif",
    ]
)
VIDEO_SUFFIXES = frozenset(
    [
        ".mp4",
        ".m4v",
        ".mov",
        ".avi",
        ".mkv",
        ".wmv",
        ".flv",
        ".webm",
        ".3gp",
        ".3g2",
        ".mpg",
        ".mpeg",
        ".ts",
        ".mts",
        ".m2ts",
        ".vob",
        ".ogv",
        ".asf",
    ]
)
# Magic numbers, so an image or video without its usual name (renamed, recovered) is still found.
IMAGE_MAGIC = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",  # TIFF little-endian
    b"MM\x00*",  # TIFF big-endian
)
VIDEO_MAGIC = (b"\x1aE\xdf\xa3", b"\x00\x00\x01\xba", b"0&\xb2u\x8ef\xcf\x11")  # mkv/webm, mpeg, asf
# ISO media ("ftyp" boxes) holds both: phone photos (HEIC, AVIF) and video (MP4, MOV, 3GP)
STILL_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"})


@dataclass(frozen=True)
class Limits:
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES


class ImageProblem(Exception):
    """The image part of a file could not be hashed; the message is the reason shown to the user."""

    def __init__(self, reason: str, *, not_image: bool = False) -> None:
        super().__init__(reason)
        self.not_image = not_image  # then the MIME type its name suggests is wrong too


def media_kind(name: str, head: bytes) -> MediaKind:
    """Image or video by name or by magic number; anything else is "other" (bytes hashed only)."""
    suffix = PurePosixPath(name).suffix.lower()
    iso = head[4:8] == b"ftyp"
    if suffix in IMAGE_SUFFIXES or head.startswith(IMAGE_MAGIC) or _riff(head, b"WEBP") or _bmp(head):
        return "image"
    if iso and head[8:12] in STILL_BRANDS:
        return "image"
    if suffix in VIDEO_SUFFIXES or head.startswith(VIDEO_MAGIC) or _riff(head, b"AVI ") or iso:
        return "video"
    return "other"


def _riff(head: bytes, form: bytes) -> bool:
    return head.startswith(b"RIFF") and head[8:12] == form


def _bmp(head: bytes) -> bool:
    """ "BM", the file size, then four reserved zero bytes: "BM" alone starts too many text files."""
    return head.startswith(b"BM") and head[6:10] == b"\0\0\0\0"


def pdq_hex(vector: np.ndarray) -> str:
    """pdqhash's 256 bits (most significant first) as 64 lower-case hex characters."""
    import numpy as np  # see pdq_of_image

    return np.packbits(vector.astype(np.uint8)).tobytes().hex()


def pdq_of_image(data: bytes, limits: Limits = Limits()) -> tuple[str, int, str | None]:
    """(PDQ hex, quality 0-100, MIME type) of an encoded image; ImageProblem with the reason if not."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its threshold and twice it: under our cap that is a bomb;
            # a cap raised above Pillow's threshold is ours to enforce (Pillow still refuses 2× its own)
            pillow_cap = Image.MAX_IMAGE_PIXELS or limits.max_pixels
            if limits.max_pixels <= pillow_cap:
                warnings.simplefilter("error", Image.DecompressionBombWarning)
            else:
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > limits.max_pixels:
                    raise ImageProblem(
                        f"image too large: {width}×{height} pixels is over the cap of {limits.max_pixels:,}"
                    )
                mime = Image.MIME.get(image.format or "")
                rgb = image.convert("RGB")
    except ImageProblem:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageProblem(f"image too large (decompression bomb): {error}") from None
    except UnidentifiedImageError:
        if data[4:8] == b"ftyp":  # HEIC/AVIF: Pillow reads them only with a plugin, not installed here
            raise ImageProblem("image format not supported for PDQ (HEIC/AVIF)") from None
        raise ImageProblem("not an image: no image format recognises its content", not_image=True) from None
    except Exception as error:  # decoders raise OSError, ValueError, SyntaxError, EOFError … on bad bytes
        raise ImageProblem(f"unreadable image: {_reason(error)}") from None
    if min(rgb.size) < 5:  # PDQ needs a few pixels each way (vPDQ's MIN_HASHABLE_DIM)
        raise ImageProblem(f"image too small for PDQ: {rgb.size[0]}×{rgb.size[1]} pixels")
    # imported here: most commands never hash an image, and numpy costs ~70 ms at start-up
    import numpy as np
    import pdqhash

    vector, quality = pdqhash.compute(np.asarray(rgb))
    return pdq_hex(vector), int(quality), mime


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]


def hash_stream(
    stream: IO[bytes], name: str, size: int | None = None, limits: Limits = Limits(), chunk_size: int = CHUNK
) -> FileHashes:
    """Hash a file's bytes as they stream; PDQ for images. Read errors propagate (OSError, zip errors)."""
    md5, sha1, sha256 = hashlib.md5(), hashlib.sha1(), hashlib.sha256()
    # a file of known size is read in one call of its own size, as read_bytes() would (no 8 MiB buffer)
    first = stream.read(chunk_size if size is None else min(chunk_size, size + 1))
    kind = media_kind(name, first[:16])
    keep = kind == "image" and (size is None or size <= limits.max_image_bytes)
    chunks: list[bytes] = []
    chunk, total = first, 0
    while chunk:
        md5.update(chunk)
        sha1.update(chunk)
        sha256.update(chunk)
        total += len(chunk)
        if keep:
            chunks.append(chunk)
            keep = total <= limits.max_image_bytes
        chunk = stream.read(chunk_size)
    pdq: str | None = None
    quality: int | None = None
    problem: str | None = None
    mime = mimetypes.guess_type(name, strict=False)[0]
    if kind == "image":
        if not keep:
            problem = f"image not decoded: {total:,} bytes is over the cap of {limits.max_image_bytes:,}"
        else:
            try:
                pdq, quality, found_mime = pdq_of_image(
                    chunks[0] if len(chunks) == 1 else b"".join(chunks), limits
                )
                mime = found_mime or mime
            except ImageProblem as error:
                problem = str(error)
                mime = None if error.not_image else mime
    return FileHashes(
        path=name,
        size=total,
        md5=md5.hexdigest(),
        sha1=sha1.hexdigest(),
        sha256=sha256.hexdigest(),
        kind=kind,
        mime_type=mime,
        pdq=pdq,
        pdq_quality=quality,
        problem=problem,
    )


def vpdq_available() -> bool:
    """vPDQ needs the optional `vpdq` package, which links FFmpeg's libraries (see docs/media.md)."""
    return importlib.util.find_spec("vpdq") is not None


def vpdq_of_file(path: str) -> tuple[str, ...]:
    """vPDQ features of a video on disk, "frame,quality,seconds,hash" each (vpdq reads files only)."""
    import vpdq  # optional extra: imported only where present

    return tuple(
        f"{f.frame_number},{f.quality},{f.timestamp:.3f},{f.hex}" for f in vpdq.computeHash(str(path))
    )
