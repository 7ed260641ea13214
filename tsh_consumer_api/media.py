"""Product pictures: absolute URLs for the answers, and the files served with immutable caching.

The pipelines store each picture content-addressed (`tsh_pipelines.images`): a path names one
content forever, so a file can be cached by the app and any CDN for a year, and a changed
picture arrives under a new URL. The catalogue holds the original's path; answers name the
rendition that fits: `list` (320 px) in listings, `detail` (1,024 px) for one product.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from tsh_consumer_api.settings import Settings
from tsh_db.media import MEDIA_PREFIX

Size = Literal["list", "detail"]
IMMUTABLE = "public, max-age=31536000, immutable"


def image_urls(path: str | None, size: Size, settings: Settings) -> tuple[str | None, str | None]:
    """(image_url, cdn_image_url) of the stored picture `path` at `size`; (None, None)."""
    if path is None:
        return None, None
    folder = path.rsplit("/", 1)[0]
    rel = f"{MEDIA_PREFIX}{folder}/{size}.webp"
    cdn = f"{settings.cdn_base_url}{rel}" if settings.cdn_base_url else None
    return f"{settings.public_base_url}{rel}", cdn


class MediaFiles(StaticFiles):
    """The picture store, read-only, every file cacheable for a year (its name is its hash)."""

    async def check_config(self) -> None:
        # The pipelines create the folder with the first picture: until then, 404s, not 500s.
        if Path(str(self.directory)).is_dir():
            await super().check_config()

    def file_response(self, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = IMMUTABLE
        return response


def media_app(settings: Settings) -> MediaFiles:
    # Not checked at start: the pipelines create the folder with the first picture.
    return MediaFiles(directory=settings.image_dir, check_dir=False)
