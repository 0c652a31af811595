"""A report killed at each point of publishing leaves the previous site, or the new one, whole; the
next report clears what the killed one left and never deletes a file it did not write."""

from __future__ import annotations

from pathlib import Path

import pytest

from imputebench.reports import publish as pub


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs (a BaseException, so no ``except Exception`` sees it)."""


def build(out: Path, files: dict[str, str], monkeypatch: pytest.MonkeyPatch | None = None,
          kill_at: str | None = None) -> Path:
    """Build a site with ``files`` in a staging folder and publish it, killed at ``kill_at``."""
    staging = pub.staging_folder(out)
    for name, text in files.items():
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_text(text)
    if kill_at is not None:
        assert monkeypatch is not None

        def kill(*args: object, **kwargs: object) -> None:
            raise Killed

        monkeypatch.setattr(pub, kill_at, kill)
        with pytest.raises(Killed):
            pub.publish(staging, out, "new")
        monkeypatch.undo()
    else:
        pub.publish(staging, out, "old")
    return staging


def contents(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*")
            if p.is_file() and p.name != pub.MANIFEST}


def leftovers(out: Path) -> list[Path]:
    return sorted(out.parent.glob(pub.STAGING_PREFIX + "*"))


@pytest.fixture
def old_site(tmp_path: Path) -> Path:
    out = tmp_path / "site"
    build(out, {"index.html": "old", "page.html": "old page"})
    (out / "CNAME").write_text("user's own file")  # not written by a report: must survive everything
    return out


def test_killed_while_building_the_staging_folder_is_removed(old_site: Path) -> None:
    staging = pub.staging_folder(old_site)
    (staging / "index.html").write_text("half")
    pub.recover(old_site)
    assert leftovers(old_site) == []
    assert contents(old_site) == {"index.html": "old", "page.html": "old page", "CNAME": "user's own file"}


def test_killed_before_the_mark_leaves_an_empty_folder_that_is_removed(old_site: Path) -> None:
    (old_site.parent / f"{pub.STAGING_PREFIX}{old_site.name}-abc").mkdir()
    pub.recover(old_site)
    assert leftovers(old_site) == []


def test_killed_after_the_manifest_before_the_swap_keeps_the_previous_site(old_site: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    build(old_site, {"index.html": "new"}, monkeypatch, kill_at="_exchange")
    assert len(leftovers(old_site)) == 1 and not (leftovers(old_site)[0] / pub.STAGING_MARK).exists()
    pub.recover(old_site)
    assert leftovers(old_site) == []
    assert contents(old_site) == {"index.html": "old", "page.html": "old page", "CNAME": "user's own file"}


def test_killed_before_the_first_sites_rename_publishes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "site"
    staging = pub.staging_folder(out)
    (staging / "index.html").write_text("first")
    real_rename = pub.os.rename

    def killed_rename(src: object, dst: object) -> None:
        raise Killed

    monkeypatch.setattr(pub.os, "rename", killed_rename)
    with pytest.raises(Killed):
        pub.publish(staging, out, "first")
    monkeypatch.setattr(pub.os, "rename", real_rename)
    pub.recover(out)
    assert leftovers(out) == [] and contents(out) == {"index.html": "first"}


def test_killed_while_clearing_the_previous_site_loses_no_foreign_file(old_site: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = old_site.parent / "probe-a", old_site.parent / "probe-b"
    a.mkdir(), b.mkdir()
    if not pub._exchange(a, b):  # the platform has no atomic exchange: not this path
        pytest.skip("no renameat2(RENAME_EXCHANGE) here; the two-rename path is tested below")
    a.rmdir(), b.rmdir()
    build(old_site, {"index.html": "new"}, monkeypatch, kill_at="_remove_old_site")
    [previous] = leftovers(old_site)  # the exchange put the old site where the staging folder was
    (previous / "notes.txt").write_text("written into the site while the report built")
    pub.recover(old_site)
    assert leftovers(old_site) == []
    assert contents(old_site) == {"index.html": "new", "CNAME": "user's own file",
                                  "notes.txt": "written into the site while the report built"}


def test_killed_between_the_two_renames_brings_the_previous_site_back(old_site: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pub, "_exchange", lambda a, b: False)
    real_rename = pub.os.rename
    calls = []

    def rename_then_kill(src: object, dst: object) -> None:
        calls.append(dst)
        if len(calls) == 2:  # the old site is aside; the new one not yet in place
            raise Killed
        real_rename(src, dst)

    monkeypatch.setattr(pub.os, "rename", rename_then_kill)
    staging = pub.staging_folder(old_site)
    (staging / "index.html").write_text("new")
    with pytest.raises(Killed):
        pub.publish(staging, old_site, "new")
    monkeypatch.undo()
    assert not old_site.exists()
    pub.recover(old_site)
    assert leftovers(old_site) == []
    assert contents(old_site) == {"index.html": "old", "page.html": "old page", "CNAME": "user's own file"}


def test_a_folder_that_only_looks_like_staging_is_left_alone(old_site: Path) -> None:
    lookalike = old_site.parent / f"{pub.STAGING_PREFIX}{old_site.name}-mine"
    lookalike.mkdir()
    (lookalike / "data.csv").write_text("someone's data")
    pub.recover(old_site)
    assert (lookalike / "data.csv").read_text() == "someone's data"


def test_a_staging_folder_a_running_report_holds_is_left_alone(old_site: Path) -> None:
    """Another report's clean-up never removes the staging folder of a report still building."""
    with pub.building(old_site) as staging:
        (staging / "index.html").write_text("being built")
        pub.recover(old_site)  # what a second report does first
        assert (staging / "index.html").read_text() == "being built"
        pub.publish(staging, old_site, "new")
    assert leftovers(old_site) == []
    assert contents(old_site) == {"index.html": "being built", "CNAME": "user's own file"}


def test_a_failed_build_leaves_no_staging_folder(old_site: Path) -> None:
    with pytest.raises(RuntimeError), pub.building(old_site) as staging:
        (staging / "index.html").write_text("half")
        raise RuntimeError("a page failed")
    assert leftovers(old_site) == []
    assert contents(old_site)["index.html"] == "old"


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_a_sites_folders_get_the_umasks_permissions(tmp_path: Path, umask: int) -> None:
    import os
    import stat

    previous = os.umask(umask)
    try:
        out = tmp_path / "site"
        with pub.building(out) as staging:
            (staging / "data").mkdir()
            (staging / "index.html").write_text("x")
            pub.publish(staging, out, "x")
    finally:
        os.umask(previous)
    for folder in (out, out / "data"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask, folder


def test_a_read_only_folder_is_checked_without_a_lock(old_site: Path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes anywhere: a read-only folder cannot be made here")
    lock = old_site.with_name(f".{old_site.name}{pub.LOCK_SUFFIX}")
    lock.unlink()  # as on a copy of a site made read-only
    old_site.parent.chmod(0o555)
    try:
        pub.recover(old_site)  # no lock file can be made there; nothing to clear either
    finally:
        old_site.parent.chmod(0o755)
    assert not lock.exists() and contents(old_site)["index.html"] == "old"
