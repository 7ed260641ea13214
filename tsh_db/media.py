"""Where product pictures live: one directory the pipelines write and the API or nginx serve.

`TSH_IMAGE_DIR`, default `.tsh/images` (beside the embedded database). Paths under it are
content-addressed (`tsh_pipelines.images`) and served under `MEDIA_PREFIX`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DEFAULT_IMAGE_DIR = Path(".tsh") / "images"
MEDIA_PREFIX = "/media/"


def image_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("TSH_IMAGE_DIR", "").strip() or DEFAULT_IMAGE_DIR).resolve()
