"""Finding and starting Debian's Chromium for the report's browser test and the report benchmark."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# as root on a machine without a GPU or a display: no sandbox, no GPU, nothing fetched in the background
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
MISSING = (
    "Chromium not found (looked for /usr/bin/chromium and chromium on PATH): install it with "
    "`apt-get install -y chromium` (Debian/Ubuntu), or set CHROMIUM=/path/to/chromium"
)


def find_chromium() -> str | None:
    """``$CHROMIUM`` when set (and only it), else Debian's /usr/bin/chromium or chromium on PATH."""
    candidates: list[str | None] = (
        [os.environ["CHROMIUM"]]
        if os.environ.get("CHROMIUM")
        else ["/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")]
    )
    return next((p for p in candidates if p and Path(p).is_file()), None)
