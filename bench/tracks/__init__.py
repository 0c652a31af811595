"""The tracks: each a :class:`Track` declared in its own module (PROTOCOL §3's main grid, §7's
transfer track, and any other), looked up here by name.

Where tracks come from, in this order: :func:`register_track` (tests, notebooks), the built-ins
(:data:`BUILTIN_TRACKS`, ``name -> "module:attribute"``) and the ``imputebench.tracks`` entry point
group of installed packages. Listing names imports no track.
"""

from __future__ import annotations

import difflib
import importlib
from functools import lru_cache

from ..errors import UsageError
from .base import OPTION_KINDS, Plan, Track, TrackGrid, TrackOption

BUILTIN_TRACKS: dict[str, str] = {
    "main": "imputebench.tracks.main:TRACK",
    "transfer": "imputebench.tracks.transfer:TRACK",
    "natural": "imputebench.tracks.natural:TRACK",
}
ENTRY_POINT_GROUP = "imputebench.tracks"
_registered: dict[str, Track] = {}


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, str]:
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def track_names() -> list[str]:
    """Every known track's name: built-ins first, then installed, then registered (nothing imported)."""
    return list(dict.fromkeys([*BUILTIN_TRACKS, *_entry_points(), *_registered]))


@lru_cache(maxsize=None)
def _load(target: str) -> Track:
    module, _, attr = target.partition(":")
    track = getattr(importlib.import_module(module), attr)
    return track() if isinstance(track, type) else track


def get_track(name: str) -> Track:
    """The track ``name``; an unknown name is a one-line UsageError naming the valid ones."""
    if name in _registered:
        return _registered[name]
    target = BUILTIN_TRACKS.get(name) or _entry_points().get(name)
    if target is None:
        valid = track_names()
        close = difflib.get_close_matches(name, valid, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"unknown track {name!r}{hint}; valid: {', '.join(valid)}")
    return _load(target)


def all_tracks() -> list[Track]:
    """Every known track's declaration (imports each track's declaring module)."""
    return [get_track(n) for n in track_names()]


def rows_of(rows, name: str | None = None):
    """The rows of track ``name`` (default: the default track, which also owns rows with no track:
    stores older than the track column), a fresh index. ``rows``: a frame of the store's schema."""
    from ..harness.config import DEFAULT_TRACK

    name = name or DEFAULT_TRACK
    if "track" not in rows:
        return rows.reset_index(drop=True) if name == DEFAULT_TRACK else rows.iloc[:0]
    return rows[(rows["track"].fillna(DEFAULT_TRACK) == name).to_numpy()].reset_index(drop=True)


def register_track(track: Track) -> Track:
    """Make ``track`` known in this process (by its ``name``); returns it. Workers need no
    registration: they import a job's track module when they unpickle the job."""
    if not track.name:
        raise ValueError("a track needs a name")
    bad = [o.flag for o in track.options if o.kind not in OPTION_KINDS]
    if bad:
        raise ValueError(f"track {track.name}: option {bad[0]} has an unknown kind; valid: {', '.join(OPTION_KINDS)}")
    _registered[track.name] = track
    return track


def unregister_track(name: str) -> None:
    """Forget a track :func:`register_track` made known."""
    _registered.pop(name, None)


__all__ = ["BUILTIN_TRACKS", "ENTRY_POINT_GROUP", "OPTION_KINDS", "Plan", "Track", "TrackGrid", "TrackOption",
           "all_tracks", "get_track", "register_track", "rows_of", "track_names", "unregister_track"]
