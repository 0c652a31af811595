"""Reproductions of seed papers' tables (``imputebench reproduce NAME``).

Each module named in :data:`REPRODUCTIONS` exposes ``add_arguments(parser)`` and ``run(args) -> int``.
"""

REPRODUCTIONS: dict[str, str] = {
    "gain": "imputebench.reproductions.gain",
    "metagain": "imputebench.reproductions.metagain",
}
