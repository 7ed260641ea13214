"""The media store: Zoho item images kept content-addressed, with thumbnails made by Pillow.

An image is stored under the SHA-256 of its bytes, `<root>/<sha[:2]>/<sha>/`, as the original
(`original.jpg` or `original.png`, Zoho's bytes as they came) and two WebP renditions: `list`
(at most 320 pixels a side, for the app's product grid) and `detail` (at most 1,024, for the
product page). A path names one content forever, so it can be served with an immutable cache
header and a changed image gets a new URL. Files are written to a temporary name and renamed,
so a reader (the consumer API or nginx) never sees half a file.

The root is `TSH_IMAGE_DIR` (default `.tsh/images`); the consumer API serves the same one.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from tsh_db.media import image_dir

# Zoho takes uploads of PNG or JPEG up to 5 MB; anything else is refused, naming the item.
MAX_BYTES = 5 * 1024 * 1024
# Decoding costs width x height x 4 bytes: 40 megapixels is a 160 MB bitmap, far beyond any
# product photo, and stops a small file that claims a huge size (a decompression bomb).
MAX_PIXELS = 40_000_000
# Largest first: each rendition is scaled down from the one before, the cheaper source.
RENDITIONS = {"detail": 1024, "list": 320}
FORMATS = {"JPEG": "jpg", "PNG": "png"}
WEBP_QUALITY = 80
# libwebp's fastest method: half the encoding time of its default for about 7 % more bytes.
WEBP_METHOD = 0


class BadImage(ValueError):
    """Bytes that are not a usable PNG or JPEG; the message says what is wrong with them."""


@dataclass(frozen=True)
class StoredImage:
    sha256: str
    path: str  # the original's path under the root: "ab/<sha>/original.jpg"
    width: int
    height: int
    original_bytes: int
    list_bytes: int
    detail_bytes: int


def renditions(path: str) -> dict[str, str]:
    """The paths of an original's renditions (and its own), for URLs."""
    folder = path.rsplit("/", 1)[0]
    return {"list": f"{folder}/list.webp", "detail": f"{folder}/detail.webp", "original": path}


class ImageStore:
    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else image_dir()

    def put(self, data: bytes) -> StoredImage:
        """Check, store and thumbnail `data`; BadImage when it is not a usable PNG or JPEG.

        Stored already (the same bytes for another item, or again after a failure): the
        renditions are reused, not made again."""
        if len(data) > MAX_BYTES:
            raise BadImage(f"{len(data):,} bytes, over Zoho's {MAX_BYTES // 1024 // 1024} MB limit")
        sha = hashlib.sha256(data).hexdigest()
        image, (width, height) = _decode(data)
        folder = self.root / sha[:2] / sha
        original = f"original.{FORMATS[image.format or '']}"
        sizes = {}
        source = image
        for name, side in RENDITIONS.items():
            target = folder / f"{name}.webp"
            if not target.exists():
                source = _scaled(source, side)
                _write(target, _webp(source))
            sizes[name] = target.stat().st_size
        if not (folder / original).exists():
            _write(folder / original, data)
        return StoredImage(
            sha, f"{sha[:2]}/{sha}/{original}", width, height, len(data),
            sizes["list"], sizes["detail"],
        )  # fmt: skip


def _decode(data: bytes) -> tuple[Image.Image, tuple[int, int]]:
    """The decoded image (a JPEG at the smallest scale the detail rendition allows, which
    libjpeg decodes several times faster) and its full size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise BadImage(f"a {image.format} file, not PNG or JPEG")
            if image.width * image.height > MAX_PIXELS:
                raise BadImage(f"{image.width:,} x {image.height:,} pixels, too large")
            size = image.size
            if image.format == "JPEG":
                image.draft("RGB", (RENDITIONS["detail"], RENDITIONS["detail"]))
            image.load()  # a truncated file fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadImage(f"too large: {exc}") from None
    except UnidentifiedImageError:
        raise BadImage(f"not an image ({data[:16]!r}…)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, BadImage):
            raise
        raise BadImage(f"a broken or truncated {_kind(data)} ({exc})") from None
    return image, size


def _kind(data: bytes) -> str:
    return "PNG" if data.startswith(b"\x89PNG") else "JPEG" if data[:2] == b"\xff\xd8" else "file"


def _scaled(image: Image.Image, side: int) -> Image.Image:
    copy = ImageOps.exif_transpose(image)  # phone photos carry their rotation in EXIF
    if copy is image:
        copy = image.copy()
    if copy.mode not in ("RGB", "RGBA"):
        copy = copy.convert("RGBA" if "A" in copy.getbands() else "RGB")
    copy.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return copy


def _webp(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return out.getvalue()


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)  # nginx and the API read it as other users
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
