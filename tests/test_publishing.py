"""One way to install imputebench, written the same everywhere: it is not on a package index, so the
README, the docs, the GitHub Actions example and the release notes all install a release's wheel by
its URL (the example workflow's steps themselves run in CI: .ci/workflow-example.sh)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent

WHEEL_URL = re.compile(r"https://github\.com/[^/\s]+/imputebench/releases/download/v([\d.]+)/imputebench-([\d.]+)"
                       r"-py3-none-any\.whl")


def test_every_install_line_is_the_release_wheel_of_this_version():
    from imputebench import __version__

    texts = {p: (REPO / p).read_text() for p in ("README.md", "docs/ci-regression.md", "docs/github-actions-imputebench.yml",
                                                  "docs/plugins.md", ".ci/release-notes.sh")}
    for path, text in texts.items():
        assert not re.search(r"pip install[^\n]*imputebench==", text), f"{path} installs imputebench from an index"
        assert not re.search(r"pip install (-U |--upgrade )?imputebench\b(?!\[)", text), path
    urls = {m.group(0) for text in texts.values() for m in WHEEL_URL.finditer(text)}
    assert urls and all(WHEEL_URL.fullmatch(u).groups() == (__version__, __version__) for u in urls), urls
    pages = {m for text in texts.values() for m in re.findall(r"https://github\.com/[^/\s]+/imputebench/releases", text)}
    assert len(pages) == 1, f"more than one release page: {pages}"
    flow = yaml.safe_load(texts["docs/github-actions-imputebench.yml"])
    (job,) = flow["jobs"].values()
    assert WHEEL_URL.fullmatch(job["env"]["IMPUTEBENCH_WHEEL"])
    install = next(s["run"] for s in job["steps"] if s.get("name") == "Install")
    assert 'pip install "$IMPUTEBENCH_WHEEL" .' in install  # one command line: imputebench never from an index
