"""Hashing one stream: the three cryptographic hashes always, PDQ for images, reasons for bad ones."""

from __future__ import annotations

import hashlib
import io

import pytest

from caseweave.media.hashing import Limits, hash_stream, media_kind, pdq_of_image
from tests.media.images import encoded, png_claiming


def hashed(data: bytes, name: str, limits: Limits = Limits()) -> object:
    return hash_stream(io.BytesIO(data), name, len(data), limits)


def test_image_gets_all_hashes_and_pdq() -> None:
    data = encoded(1)
    result = hash_stream(io.BytesIO(data), "a/b.jpg", len(data))
    assert (result.md5, result.sha1, result.sha256) == (
        hashlib.md5(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
        hashlib.sha256(data).hexdigest(),
    )
    assert result.size == len(data) and result.path == "a/b.jpg"
    assert result.kind == "image" and result.mime_type == "image/jpeg" and result.problem is None
    assert result.pdq is not None and len(result.pdq) == 64 and result.pdq_quality == 100
    assert result.hashes.keys() == {"md5", "sha1", "sha256", "pdq"}


def test_small_chunks_give_the_same_result() -> None:
    data = encoded(2, (640, 480), "PNG")
    whole = hash_stream(io.BytesIO(data), "x.png", len(data))
    chunked = hash_stream(io.BytesIO(data), "x.png", None, chunk_size=997)
    assert whole == chunked and whole.pdq is not None


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [("PNG", "RGBA"), ("PNG", "LA"), ("PNG", "P"), ("PNG", "I;16"), ("GIF", "P"), ("BMP", "RGB")],
)
def test_image_modes_and_formats(fmt: str, mode: str) -> None:
    data = encoded(3, fmt=fmt, mode=mode)
    result = hash_stream(io.BytesIO(data), f"img.{fmt.lower()}", len(data))
    assert result.pdq is not None and result.problem is None, result.problem


def test_image_found_by_content_without_its_name() -> None:
    data = encoded(4, fmt="PNG")
    result = hash_stream(io.BytesIO(data), "recovered/file0001", len(data))
    assert result.kind == "image" and result.pdq is not None and result.mime_type == "image/png"


def test_text_named_like_an_image() -> None:
    result = hash_stream(io.BytesIO(b"just some text"), "holiday.jpg", 14)
    assert result.kind == "image" and result.pdq is None and result.mime_type is None
    assert result.problem and result.problem.startswith("not an image")
    assert result.md5 == hashlib.md5(b"just some text").hexdigest()


def test_truncated_image() -> None:
    data = encoded(5, (640, 480))[:3000]
    result = hash_stream(io.BytesIO(data), "cut.jpg", len(data))
    assert result.pdq is None and result.problem and "truncated" in result.problem
    assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_decompression_bomb_header_is_refused_before_decoding() -> None:
    data = png_claiming(100_000, 100_000)
    result = hash_stream(io.BytesIO(data), "bomb.png", len(data))
    assert result.pdq is None and result.problem and "too large" in result.problem


def test_pixel_cap_is_configurable() -> None:
    result = hash_stream(io.BytesIO(encoded(6)), "big.jpg", None, Limits(max_pixels=10_000))
    assert result.problem == "image too large: 320×240 pixels is over the cap of 10,000"


def test_byte_cap_hashes_but_does_not_decode() -> None:
    data = encoded(7)
    result = hash_stream(io.BytesIO(data), "big.jpg", None, Limits(max_image_bytes=1000))
    assert result.pdq is None and result.problem and "not decoded" in result.problem
    assert result.md5 == hashlib.md5(data).hexdigest()


def test_tiny_image_is_a_problem_not_a_crash() -> None:
    result = hash_stream(io.BytesIO(encoded(8, (3, 3), "PNG")), "dot.png")
    assert result.pdq is None and result.problem and "too small" in result.problem


def test_video_and_other_files_get_cryptographic_hashes_only() -> None:
    video = hash_stream(io.BytesIO(b"\x00\x00\x00\x18ftypmp42" + bytes(100)), "clip.bin")
    assert video.kind == "video" and video.pdq is None and video.problem is None
    other = hash_stream(io.BytesIO(b""), "empty.txt")
    assert other.kind == "other" and other.size == 0 and other.md5 == hashlib.md5(b"").hexdigest()


def test_media_kind_by_name_and_magic() -> None:
    assert media_kind("A.JPG", b"") == "image"
    assert media_kind("x", b"\xff\xd8\xff\xe0") == "image"
    assert media_kind("x", b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image"
    assert media_kind("movie.MKV", b"") == "video"
    assert media_kind("notes.txt", b"hello") == "other"
    assert media_kind("x", b"BM\x36\x00\x01\x00\x00\x00\x00\x00") == "image"
    assert media_kind("notes", b"BMW service history") == "other"
    assert media_kind("IMG_0001", b"\x00\x00\x00\x18ftypheic") == "image"
    assert media_kind("x", b"\x00\x00\x00\x18ftypisom") == "video"
    assert media_kind("x", b"RIFF\x00\x00\x00\x00AVI LIST") == "video"
    assert media_kind("sound", b"RIFF\x00\x00\x00\x00WAVEfmt ") == "other"


def test_heic_without_a_plugin_is_reported_as_unsupported() -> None:
    result = hash_stream(io.BytesIO(b"\x00\x00\x00\x18ftypheic" + bytes(100)), "IMG_0001.HEIC")
    assert result.kind == "image" and result.problem == "image format not supported for PDQ (HEIC/AVIF)"


def test_pdq_of_image_is_deterministic_and_differs_between_images() -> None:
    a, qa, _ = pdq_of_image(encoded(10))
    b, _, _ = pdq_of_image(encoded(11))
    assert a == pdq_of_image(encoded(10))[0] and a != b and qa >= 50


def test_image_between_pillows_warning_and_error_thresholds_is_a_bomb_too() -> None:
    data = png_claiming(10_000, 10_000)  # 100M pixels: Pillow only warns, we refuse
    result = hash_stream(io.BytesIO(data), "bomb.png", len(data))
    assert result.pdq is None and result.problem and result.problem.startswith("image too large")
