"""Reproductions of seed papers' tables (``imputebench reproduce NAME``).

Each module named in :data:`REPRODUCTIONS` holds a paper's published numbers, reruns its setting
through the runner (``reproduce``) and puts the two side by side (``compare``, ``render``); its first
docstring line is the command's help. The command line of each (its arguments, a thin handler) is in
:mod:`imputebench.commands.reproduce`.
"""

REPRODUCTIONS: dict[str, str] = {
    "gain": "imputebench.gates.reproductions.gain",
    "metagain": "imputebench.gates.reproductions.metagain",
}
