"""Publishing a site folder safely: built aside, swapped in at once, and never deleting what it did not write.

A site is built in a staging folder beside ``out`` and swapped in with one atomic exchange of the two
folders (Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere two renames, with the previous site restored
by the next report if a kill falls between them). A report killed at any moment therefore leaves the
previous site as it was. Each site carries a manifest (:data:`MANIFEST`) listing the files it wrote
and a content hash of its inputs: a later report removes only files the manifest lists, keeps any
other file in the folder, and refuses a non-empty folder that has no manifest (one it did not write).

Several reports into one folder at once all finish, and the one that publishes last leaves its whole
site: each builds in a staging folder of its own, which it holds a lock on (:func:`building`) so that
another report's clean-up (:func:`recover`) leaves it alone; publishing, clean-up and the creation of a
staging folder take turns under one lock per site (:data:`LOCK_SUFFIX`, a file beside the site). The
site's folders get the permissions the user's umask gives (not a temporary folder's 0700).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any, Iterator

from ..errors import ImputeBenchError

MANIFEST = ".imputebench-site.json"
STAGING_PREFIX = ".imputebench-staging-"
STAGING_MARK = ".imputebench-staging"  # written first: a leftover staging folder is provably ours
OLD_SUFFIX = ".imputebench-previous"
LOCK_SUFFIX = ".imputebench-lock"  # ".<site>.imputebench-lock" beside the site: publishing takes turns
LOCK_TIMEOUT_S = 600.0  # publishing takes seconds; a lock held longer is a stuck report


@contextlib.contextmanager
def site_lock(out: Path) -> Iterator[None]:
    """The lock one site's publishing, clean-up and new staging folders take turns under (``filelock``)."""
    from filelock import FileLock, Timeout

    out = Path(out)
    path = out.with_name(f".{out.name}{LOCK_SUFFIX}")
    try:
        with FileLock(str(path), timeout=LOCK_TIMEOUT_S):
            yield
    except Timeout:
        raise ImputeBenchError(f"another report has been publishing {out} for {LOCK_TIMEOUT_S:.0f} s (lock {path}); "
                               "wait for it, or stop it and run the report again") from None


def _held_by_a_live_report(staging: Path) -> bool:
    """True when a running report holds ``staging``'s mark (:func:`building`); a killed one holds nothing."""
    from filelock import FileLock, Timeout

    try:
        with FileLock(str(staging / STAGING_MARK), timeout=0):
            return False
    except Timeout:
        return True


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest of the site in ``out``; None when there is none (or it cannot be read)."""
    try:
        manifest = json.loads((Path(out) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and isinstance(manifest.get("files"), list) else None


def check_target(out: Path) -> None:
    """Refuse (one line) an ``out`` that is a file, or a non-empty folder this program did not write."""
    out = Path(out)
    recover(out)
    if out.exists() and not out.is_dir():
        raise ImputeBenchError(f"--out {out} is a file, not a folder; name a folder for the site")
    if out.is_dir() and read_manifest(out) is None and any(out.iterdir()):
        raise ImputeBenchError(f"--out {out} holds files that imputebench did not write (no {MANIFEST}); "
                               "name an empty or new folder for the site")


def recover(out: Path) -> None:
    """Undo what a killed report left: a previous site moved aside comes back; staging folders go.

    A staging folder can be left in four states, by where the kill fell: still marked (being built:
    removed); empty (killed between creating it and marking it: removed); finished but not swapped
    in (its manifest written, the mark gone); or holding the previous site after the exchange,
    partly cleared. The last two carry a manifest and are cleared like an old site, so a file that
    appeared in them and is not in ``out`` moves there instead of being deleted. A staging folder
    that a running report holds is left alone."""
    out = Path(out)
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        return  # nothing a report left there could be removed (a read-only site is only read)
    with site_lock(out):
        _recover(out)


def _recover(out: Path) -> None:
    old = out.with_name(out.name + OLD_SUFFIX)
    if old.is_dir() and not out.exists() and read_manifest(old) is not None:
        os.rename(old, out)
    for leftover in out.parent.glob(f"{STAGING_PREFIX}{out.name}-*"):
        manifest = read_manifest(leftover)
        if (leftover / STAGING_MARK).exists():
            if not _held_by_a_live_report(leftover):
                shutil.rmtree(leftover, ignore_errors=True)
        elif manifest is not None and not out.exists():
            os.rename(leftover, out)  # a finished first site, killed before its rename
        elif manifest is not None:
            _remove_old_site(leftover, out, set(manifest["files"]) | {MANIFEST})
        else:
            try:
                leftover.rmdir()  # empty: killed before the mark; anything else is not provably ours
            except OSError:
                pass


def staging_folder(out: Path) -> Path:
    """A new, empty, marked folder beside ``out`` (same file system, so the swap is a rename), named
    for this report alone, with the permissions the umask gives."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    while True:
        staging = out.with_name(f"{STAGING_PREFIX}{out.name}-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            os.mkdir(staging)  # mode 0o777 less the umask, as any folder the user makes
            break
        except FileExistsError:
            continue
    (staging / STAGING_MARK).touch()
    return staging


@contextlib.contextmanager
def building(out: Path) -> Iterator[Path]:
    """A staging folder for a site in ``out`` (:func:`staging_folder`), held by this report while it
    builds and publishes (no other report's :func:`recover` removes it), removed on the way out when
    it was not published."""
    from filelock import FileLock

    Path(out).parent.mkdir(parents=True, exist_ok=True)  # the lock file lives there
    with site_lock(out):  # no clean-up sees it between its creation and its lock
        staging = staging_folder(out)
        held = FileLock(str(staging / STAGING_MARK))
        held.acquire()
    try:
        yield staging
    finally:
        if (staging / STAGING_MARK).exists():  # not published: the folder is wholly ours
            shutil.rmtree(staging, ignore_errors=True)
        held.release()


def written_files(folder: Path) -> list[str]:
    """Every file under ``folder`` (relative, POSIX), the staging mark and manifest excepted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.name not in (STAGING_MARK, MANIFEST))


def publish(staging: Path, out: Path, inputs_hash: str) -> None:
    """Write the manifest into ``staging`` and swap it in as ``out``. Files in ``out`` that the old
    manifest does not list are carried over into the new site (hard links: no copy, no window
    where they are missing); the old site's own files are removed. One report at a time per site."""
    with site_lock(out):
        _publish(Path(staging), Path(out), inputs_hash)


def _publish(staging: Path, out: Path, inputs_hash: str) -> None:
    files = written_files(staging)
    old_manifest = read_manifest(out) if out.is_dir() else None
    ours = set(old_manifest["files"]) | {MANIFEST} if old_manifest else {MANIFEST}
    foreign = []
    if out.is_dir():
        for path in out.rglob("*"):
            rel = path.relative_to(out).as_posix()
            if path.is_file() and rel not in ours and not (staging / rel).exists():
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                _link_or_copy(path, target)
                foreign.append(rel)
    manifest = {"files": files, "inputs": inputs_hash, "kept": sorted(foreign)}
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    (staging / STAGING_MARK).unlink()
    if not out.exists():
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        old = staging  # the exchange put the previous site where the staging folder was
    else:
        old = out.with_name(out.name + OLD_SUFFIX)
        shutil.rmtree(old, ignore_errors=True) if read_manifest(old) is not None else None
        os.rename(out, old)
        os.rename(staging, out)
    _remove_old_site(old, out, ours)


def _remove_old_site(old: Path, out: Path, ours: set[str]) -> None:
    """Remove the previous site's files; a file that appeared in it during the build (not ours, not
    carried over) is moved into the new site rather than deleted."""
    for path in sorted(old.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        rel = path.relative_to(old).as_posix()
        if path.is_dir():
            try:
                path.rmdir()
            except OSError:
                pass
        elif rel in ours or path.name == STAGING_MARK or _same_file(path, out / rel):
            path.unlink()
        elif not (out / rel).exists():
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            os.rename(path, out / rel)
    try:
        old.rmdir()
    except OSError:
        pass


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two folders (Linux ``renameat2``); False where that is not available."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        renameat2 = ctypes.CDLL(name, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
