"""Item images as Zoho serves them: `GET /items/{item_id}/image` answers the bytes.

Each image is a real PNG or JPEG of a product-shot size (800 to 2,000 pixels a side, tens of
kB to a few MB), drawn from its `image_document_id`, so the same id always gives the same
bytes and no image is kept in memory for long. Some are broken the ways uploads break: an
HTML error page sent as `image/jpeg`, a JPEG cut short, a PNG whose header claims 50,000 by
50,000 pixels. `/_sandbox/mutate` replaces or deletes an item's image (`fields.image`).
"""

from __future__ import annotations

import io
import random
import zlib
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw

from .clock import make_id
from .errors import Answer, error
from .specs import ENT

FILE = "_file"  # the key of an answer whose body is bytes, not JSON
BROKEN = ("not_image", "truncated", "too_large")
EDITS = ("replace", "delete", *BROKEN)
# Document numbers of images made by mutations: the kind is the number modulo 4.
EDIT_BASE = 10**9
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png"}
POOL = 16  # pictures drawn per type; each image is one of them with bytes of its own


def identity_of(seed: int, idx: int, has_image: bool) -> dict[str, str]:
    """A generated item's image fields: PNG for about a quarter of them."""
    if not has_image:
        return {"image_name": "", "image_type": "", "image_document_id": ""}
    kind = "png" if random.Random(f"{seed}:image:{idx}").random() < 0.25 else "jpg"
    return {
        "image_name": f"TSH-{idx + 1:05d}.{kind}",
        "image_type": kind,
        "image_document_id": str(make_id(seed, ENT["images"], idx + 1)),
    }


def broken_kind(document_id: str) -> str | None:
    """About 3 % of generated images are broken; an edited one is what the edit asked for."""
    n = int(document_id) % 10**12
    if n >= EDIT_BASE:
        return (None, *BROKEN)[n % 4]
    return BROKEN[(n // 37) % 3] if n % 37 == 5 else None


def edit(seed: int, record: dict[str, Any], how: str, serial: int) -> None:
    """Replace (`replace`, or a broken kind) or delete the image of an item record."""
    if how == "delete":
        record.update(image_name="", image_type="", image_document_id="")
        return
    kind = 0 if how == "replace" else 1 + BROKEN.index(how)
    n = EDIT_BASE + serial * 4 + kind
    image_type = "png" if serial % 4 == 3 else "jpg"
    record.update(
        image_name=f"{record.get('sku') or 'item'}-{serial}.{image_type}",
        image_type=image_type,
        image_document_id=str(make_id(seed, ENT["images"], n)),
    )


def answer(record: dict[str, Any]) -> Answer:
    """The item's image, or Zoho's error when it has none."""
    document_id = str(record.get("image_document_id") or "")
    image_type = str(record.get("image_type") or "jpg").lower()
    if not document_id.isdigit():
        return error(404, 1002, "Image does not exist.")
    body, media = image_bytes(document_id, image_type)
    return 200, {"code": 0, FILE: (body, media)}


def image_bytes(document_id: str, image_type: str) -> tuple[bytes, str]:
    kind = broken_kind(document_id)
    media = CONTENT_TYPES.get(image_type, "image/jpeg")
    if kind == "not_image":
        return b"<html><body><h1>502 Bad Gateway</h1></body></html>\n" * 40, media
    if kind == "too_large":
        return _huge_png_header(), "image/png"
    n = int(document_id) % 10**12
    data = _tagged(_draw(n % POOL, image_type), image_type, document_id)
    return (data[: len(data) * 3 // 5] if kind == "truncated" else data), media


def _tagged(data: bytes, image_type: str, document_id: str) -> bytes:
    """Bytes of their own for each document: a comment chunk in a PNG, trailing bytes after a
    JPEG's end marker (both ignored by decoders), so every image hashes differently while
    only POOL pictures per type are ever drawn (drawing one takes 0.1 s)."""
    tag = f"zoho-sandbox image {document_id}".encode()
    if image_type != "png":
        return data + tag
    chunk = b"tEXt" + b"Comment\x00" + tag
    body = len(tag) + 8
    return (data[:-12] + body.to_bytes(4, "big") + chunk
            + zlib.crc32(chunk).to_bytes(4, "big") + data[-12:])  # fmt: skip


@lru_cache(maxsize=2 * POOL)
def _draw(n: int, image_type: str) -> bytes:
    """A product shot: shapes on a light background, with sensor noise (JPEGs more)."""
    rng = random.Random(n)
    # Zoho takes uploads of at most 5 MB: PNG photos stay below 1,600 pixels a side here.
    side = rng.choice((800, 1000, 1200, 1600, 2000) if image_type != "png" else (800, 1200, 1600))
    w, h = side, int(side * rng.choice((1, 0.75, 1.25)))
    im = Image.new("RGB", (w, h), tuple(rng.randrange(180, 256) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(6):
        x, y = rng.randrange(w // 2), rng.randrange(h // 2)
        box = (x, y, x + rng.randrange(w // 4, w // 2), y + rng.randrange(h // 4, h // 2))
        draw.ellipse(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    noise = Image.effect_noise((w, h), rng.choice((8, 16, 32))).convert("RGB")
    jpeg = image_type != "png"
    im = Image.blend(im, noise, rng.choice((0.1, 0.25, 0.4)) if jpeg else 0.04)
    out = io.BytesIO()
    if jpeg:
        im.save(out, "JPEG", quality=rng.choice((88, 92, 95)))
    else:
        im.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _huge_png_header() -> bytes:
    """A valid PNG signature and header for 50,000 x 50,000 pixels, and a few data bytes."""
    im = Image.new("RGB", (8, 8), (200, 200, 200))
    out = io.BytesIO()
    im.save(out, "PNG")
    data = bytearray(out.getvalue())
    data[16:24] = (50_000).to_bytes(4, "big") * 2  # IHDR width and height
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


def check_edit(fields: dict[str, Any]) -> str | None:
    """`fields.image` of an items mutation: one of EDITS (ValueError names the choices)."""
    how = fields.get("image")
    if how is None:
        return None
    if how not in EDITS:
        raise ValueError(f"fields.image must be one of {', '.join(EDITS)}")
    return str(how)
