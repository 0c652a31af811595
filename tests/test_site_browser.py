"""Drive the rendered site in real headless Chromium (Debian's ``chromium`` through Playwright).

Every page must load from ``file://`` with no console error; sorting and filters must work; a
dataset named ``<script>alert(1)</script>`` must render as text. Screenshots are kept in
``$IMPUTEBENCH_ARTIFACTS`` (default ``tests/artifacts/site``). Set up with ``.ci/setup-browser.sh``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from imputebench.reports.site import build_site
from synthetic import synthetic_rows, synthetic_samples

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (.ci/setup-browser.sh)")
CHROMIUM = shutil.which("chromium")
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/setup-browser.sh)"),
              pytest.mark.slow]  # a real browser: the slow tier

EVIL = "<script>alert(1)</script>"
WIDTHS = {"desktop": 1400, "phone": 390}


def artifacts_dir() -> Path:
    root = os.environ.get("IMPUTEBENCH_ARTIFACTS")
    path = Path(root) if root else Path(__file__).parent / "artifacts"
    path = path / "site"
    path.mkdir(parents=True, exist_ok=True)
    # Self-ignoring folder: screenshots never end up in a commit.
    ignore = path.parent / ".gitignore"
    if not root and not ignore.exists():
        ignore.write_text("*\n")
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = tmp_path_factory.mktemp("results")
    rows = synthetic_rows(datasets=("wine", EVIL, "letter"), imputers=("mean", "knn", "mice", "missforest"),
                          mechanisms=("mcar", "mar"), rates=(0.2, 0.3), seeds=(0, 1), failure_share=0.08, seed=3)
    synthetic_samples(rows, results)
    provenance = {"protocol_version": 1, "versions": {"imputebench": "0.1.0"}, "seeds": [0, 1],
                  "date": "2026-11-21", "command": "imputebench run --datasets wine"}
    build_site(rows, results / "site", provenance, samples=results)  # every figure, as by default
    return results / "site"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"])
        yield b
        b.close()


class PageWatch:
    """A page that records console errors, page errors and dialogs (an executed alert)."""

    def __init__(self, browser, width: int = 1280) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": 900 if width > 600 else 844})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        # A request the browser cancels itself (net::ERR_ABORTED: a responsive figure's other
        # variant, or one in flight when the page closes) is no fault of the site; a missing or
        # unreadable file is.
        self.page.on("requestfailed", lambda r: None if r.failure == "net::ERR_ABORTED"
                     else self.errors.append(f"failed request {r.url} ({r.failure})"))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def open(self, path: Path) -> None:
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")

    def close(self) -> None:
        self.page.close()


def visible_texts(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.filter(e => e.offsetParent !== null)"
                                               ".map(e => e.textContent.trim())")


# The pictures README shows (docs/): made by this test run, never by hand.
README_PICTURES = {"index.html": "leaderboard", "dataset-wine.html": "dataset"}


@pytest.fixture(scope="module")
def readme_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated store of the default run's shape (4 datasets, 9 classical imputers, 3 mechanisms,
    2 rates, 2 seeds, 2 settings), for README's pictures: no hostile names in them."""
    results = tmp_path_factory.mktemp("readme")
    rows = synthetic_rows(datasets=("wine", "iris", "breast_cancer", "diabetes"), mechanisms=("mcar", "mar", "mnar"),
                          rates=(0.2, 0.5), seeds=(0, 1), failure_share=0.01, seed=368)
    synthetic_samples(rows, results)
    provenance = {"protocol_version": 1, "versions": {"imputebench": "0.1.0"}, "profile": "quick",
                  "seeds": [0, 1], "date": "2026-11-21", "command": "imputebench run"}
    build_site(rows, results / "site", provenance, samples=results)
    return results / "site"


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_readme_pictures(readme_site: Path, browser, device: str) -> None:
    out = artifacts_dir()
    for page, name in README_PICTURES.items():
        watch = PageWatch(browser, WIDTHS[device])
        watch.open(readme_site / page)
        watch.page.evaluate("() => Promise.all(Array.from(document.images).map(img => { img.loading = 'eager'; "
                            "return img.decode().catch(() => null); }))")
        watch.page.screenshot(path=str(out / f"{name}-{device}.png"))
        watch.close()
        assert watch.errors == [], watch.errors
        assert (out / f"{name}-{device}.png").stat().st_size > 10_000


@pytest.mark.parametrize("device", list(WIDTHS))
def test_every_page_loads_fits_the_screen_and_draws_every_figure(site: Path, browser, device: str) -> None:
    pages = sorted(site.glob("*.html"))
    assert len(pages) >= 10
    out = artifacts_dir()
    width = WIDTHS[device]
    for path in pages:
        watch = PageWatch(browser, width)
        watch.open(path)
        # Figures load lazily (and hidden ones not at all): load every one, then check it decoded.
        images = watch.page.evaluate("""() => Promise.all(Array.from(document.images).map(img => {
            img.loading = "eager";
            return img.complete && img.naturalWidth ? [img.src, img.naturalWidth] : new Promise(done => {
                img.onload = img.onerror = () => done([img.src, img.naturalWidth]);
                if (img.complete) { done([img.src, img.naturalWidth]); }
            });
        }))""")
        overflow = watch.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        watch.page.screenshot(path=str(out / f"{path.stem}-{device}.png"), full_page=True)
        text = watch.page.inner_text("body")
        watch.close()
        assert watch.errors == [], f"{path.name}: {watch.errors}"
        assert watch.dialogs == [], f"{path.name} ran a script: {watch.dialogs}"
        assert overflow <= 0, f"{path.name} scrolls sideways by {overflow} px at {width} px"
        broken = [src for src, w in images if w == 0]
        assert broken == [], f"{path.name}: images that did not load: {broken}"
        assert "Not drawn" not in text and "Could not be drawn" not in text, path.name


def test_menus_are_reachable_on_a_phone(site: Path, browser) -> None:
    watch = PageWatch(browser, WIDTHS["phone"])
    watch.open(site / "index.html")
    page = watch.page
    for menu, target in (("Datasets", "dataset-letter.html"), ("Imputers", "imputer-knn.html")):
        page.locator("details.menu summary", has_text=menu).click()
        link = page.locator(f'details.menu[open] a[href="{target}"]')
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTHS["phone"], (menu, box)
        assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
        link.click()
        page.wait_for_load_state("load")
        assert page.url.endswith(target)
        page.go_back()
    # Leaving a page cancels its lazy figure requests: those are not errors here (the page test checks them).
    assert [e for e in watch.errors if not e.startswith("failed request")] == []
    watch.close()


def visible_figure(page, prefix: str) -> list[str]:
    return page.eval_on_selector_all(
        f'figure.plot:not([hidden]) img[src^="plots/{prefix}"]', "els => els.map(e => e.getAttribute('src'))")


def test_filter_state_round_trips_through_the_url_and_moves_the_figures(site: Path, browser) -> None:
    watch = PageWatch(browser)
    watch.open(site / "index.html")
    page = watch.page
    pooled_cd, pooled_pareto = visible_figure(page, "cd-"), visible_figure(page, "pareto-")
    assert len(pooled_cd) == 1 and len(pooled_pareto) == 1
    page.select_option("select[data-filter=metric]", "rmse")
    page.select_option("select[data-filter=mechanism]", "mar")
    page.select_option("select[data-filter=rate]", "0.3")
    page.select_option("select[data-filter=family]", "iterative")
    page.fill("input[data-search]", "mi")
    state = {"metric": "rmse", "mechanism": "mar", "rate": "0.3", "family": "iterative", "q": "mi"}
    page.wait_for_function("() => location.hash.includes('q=mi')")
    assert all(f"{k}={v}" in page.url for k, v in state.items()), page.url
    cd, pareto = visible_figure(page, "cd-"), visible_figure(page, "pareto-")
    # Both figures follow metric, mechanism and rate; family and search cannot filter an image, and a
    # note beside each figure says so while either narrows the table.
    for shown, pooled in ((cd, pooled_cd), (pareto, pooled_pareto)):
        assert len(shown) == 1 and shown != pooled, shown
        assert all(part in shown[0] for part in ("-rmse-", "-mar-0.3")), shown
    assert len(visible_texts(page, "p.search-note")) == 2
    rows = visible_texts(page, "div.ranking:not([hidden]) tbody tr td:first-child")
    assert rows and all("mi" in r for r in rows)  # mice, missforest: iterative and matching the search
    link = page.url
    fresh = PageWatch(browser)
    fresh.page.goto(link)  # the shared link, in a new tab, restores the view
    fresh.page.wait_for_load_state("load")
    for key in ("metric", "mechanism", "rate", "family"):
        sync_api.expect(fresh.page.locator(f"select[data-filter={key}]")).to_have_value(state[key])
    sync_api.expect(fresh.page.locator("input[data-search]")).to_have_value("mi")
    assert visible_figure(fresh.page, "cd-") == cd
    assert visible_texts(fresh.page, "div.ranking:not([hidden]) tbody tr td:first-child") == rows
    page.reload()
    sync_api.expect(page.locator("select[data-filter=mechanism]")).to_have_value("mar")
    page.fill("input[data-search]", "")
    assert len(visible_texts(page, "p.search-note")) == 2  # the family filter still narrows the table
    page.select_option("select[data-filter=family]", "all")
    assert visible_texts(page, "p.search-note") == []
    for prefix in ("cd-", "pareto-"):
        shown = visible_figure(page, prefix)
        assert len(shown) == 1 and "-rmse-mar-0.3" in shown[0], shown
    page.select_option("select[data-filter=metric]", "mae")  # the Pareto plot follows the metric too
    assert "-mae-mar-0.3" in visible_figure(page, "pareto-")[0]
    assert watch.errors == [] and fresh.errors == []
    watch.close()
    fresh.close()


def test_filters_show_exactly_the_selected_ranking(site: Path, browser) -> None:
    watch = PageWatch(browser)
    watch.open(site / "index.html")
    page = watch.page
    visible = "div.ranking:not([hidden])"
    assert page.locator(visible).count() == 1
    page.select_option("select[data-filter=metric]", "mae")
    page.select_option("select[data-filter=mechanism]", "mar")
    page.select_option("select[data-filter=rate]", "0.3")
    shown = page.locator(visible)
    assert shown.count() == 1
    assert shown.get_attribute("data-metric") == "mae"
    assert shown.get_attribute("data-mechanism") == "mar"
    assert shown.get_attribute("data-rate") == "0.3"
    # The CD diagram and the Pareto plot follow the setting and metric filters.
    cds = page.eval_on_selector_all("figure.plot[data-metric]:not([hidden])",
                                    "els => els.map(e => e.dataset.metric + '|' + e.dataset.setting)")
    assert cds == ["mae|in-sample", "mae|in-sample"]
    page.select_option("select[data-filter=setting]", "downstream")
    page.select_option("select[data-filter=metric]", "downstream")
    assert page.locator(visible).get_attribute("data-setting") == "downstream"
    page.screenshot(path=str(artifacts_dir() / "index-filtered.png"), full_page=False)
    assert watch.errors == []
    watch.close()


def test_sorting_reorders_rows_both_ways(site: Path, browser) -> None:
    watch = PageWatch(browser)
    watch.open(site / "index.html")
    page = watch.page
    table = page.locator("div.ranking:not([hidden]) table")
    names = lambda: visible_texts(page, "div.ranking:not([hidden]) tbody tr td:first-child")  # noqa: E731
    table.locator("thead th", has_text="imputer").click()
    assert names() == sorted(names())
    table.locator("thead th", has_text="imputer").click()
    assert names() == sorted(names(), reverse=True)
    table.locator("thead th", has_text="win rate").click()  # ascending: the worst first
    rates = [float(t.rstrip("%")) for t in visible_texts(page, "div.ranking:not([hidden]) tbody tr td:nth-child(4)")
             if t]
    assert rates == sorted(rates) and len(rates) >= 2
    # A results page: sort the datasets column of the visible table.
    watch.open(site / "results-in-sample-mcar.html")
    grid = page.locator("section.filterable:not([hidden]) table")
    grid.locator("thead th").first.click()
    grid.locator("thead th").first.click()
    rows = visible_texts(page, "section.filterable:not([hidden]) tbody th")
    assert rows == sorted(rows, key=str.lower, reverse=True)
    assert watch.errors == []
    watch.close()


def test_script_dataset_name_renders_as_text(site: Path, browser) -> None:
    watch = PageWatch(browser)
    dataset_pages = [p for p in site.glob("dataset-*.html") if "script" in p.name]
    assert len(dataset_pages) == 1
    watch.open(dataset_pages[0])
    assert watch.page.locator("h1").inner_text() == f"Dataset: {EVIL}"
    watch.open(site / "results-in-sample-mcar.html")
    assert EVIL in visible_texts(watch.page, "section.filterable:not([hidden]) tbody th")
    assert watch.page.locator("script").count() == 1  # only the site's own site.js
    assert watch.dialogs == []
    watch.close()


def test_failed_cells_carry_their_error_in_a_tooltip(site: Path, browser) -> None:
    watch = PageWatch(browser)
    found = False
    for path in sorted(site.glob("results-*.html")):
        watch.open(path)
        titles = watch.page.eval_on_selector_all(
            "td.st-failed, td.st-timeout, td.st-infeasible, td.st-diverged, td.st-partial", "els => els.map(e => e.title)")
        if titles:
            found = True
            assert all("did not succeed" in t for t in titles)
    assert found, "the generated store has failures; some results cell must show one"
    watch.close()


@pytest.fixture(scope="module")
def reference_site(tmp_path_factory) -> Path:
    """The shipped reference set's site, as the Pages workflow builds it."""
    from imputebench import cli

    out = tmp_path_factory.mktemp("reference") / "site"
    assert cli.main(["reference", "site", "quick-v1", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("device", list(WIDTHS))
def test_reference_leaderboard_loads_fits_the_screen_and_is_pictured(reference_site: Path, browser,
                                                                     device: str) -> None:
    """README's picture of the reference site; on a 390 px phone its pages scroll no wider than the screen."""
    watch = PageWatch(browser, WIDTHS[device])
    watch.open(reference_site / "index.html")
    out = artifacts_dir() / f"reference-{device}.png"
    watch.page.screenshot(path=str(out))
    text = watch.page.inner_text("body")
    rows = visible_texts(watch.page, ".ranking tbody tr td:first-child")
    overflow = {"index.html": watch.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")}
    watch.close()
    assert watch.errors == [], watch.errors
    assert "This leaderboard is reference set quick-v1" in text
    assert {"mean", "knn", "missforest"} <= set(rows)
    assert out.stat().st_size > 10_000
    for page in ("imputer-remasker.html", "dataset-letter.html", "protocol.html"):
        other = PageWatch(browser, WIDTHS[device])
        other.open(reference_site / page)
        overflow[page] = other.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        other.close()
        assert other.errors == [], (page, other.errors)
    assert all(v <= 1 for v in overflow.values()), overflow


@pytest.mark.parametrize("device", list(WIDTHS))
def test_transfer_page_and_its_landing_page_fit_the_screen(browser, tmp_path: Path, device: str) -> None:
    """A transfer-only store (two tasks, two imputers, two n_target, six seeds): transfer.html and the
    landing page that summarises it scroll no wider than the screen; wide tables scroll in their box."""
    import pandas as pd

    from imputebench.harness.store import rows_to_table

    rows = []
    for task in ("adult-sex", "beijing-2014-a-long-task-name"):
        for n_target in (50, 200):
            for imputer in ("mean", "knn"):
                for seed in range(6):
                    for strategy, e in (("target-only", 1.0), ("pooled", 1.1 - 0.04 * seed)):
                        rows.append({"track": "transfer", "task": task, "n_target": n_target, "mechanism": "mcar",
                                     "rate": 0.2, "seed": seed, "imputer": imputer, "strategy": strategy,
                                     "armse": e, "status": "ok", "dataset": "shifty", "setting": "transfer",
                                     "job_key": f"{task}-{n_target}-{imputer}-{seed}-{strategy}", "domain_gap": 0.8,
                                     "source_rows": 1800, "n_rows": 1000})
    site = tmp_path / "site"
    build_site(rows_to_table(pd.DataFrame(rows).to_dict("records")).to_pandas(), site)
    width = WIDTHS[device]
    for name in ("transfer.html", "index.html"):
        watch = PageWatch(browser, width)
        watch.open(site / name)
        overflow = watch.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        watch.page.screenshot(path=str(artifacts_dir() / f"transfer-{name.split('.')[0]}-{device}.png"), full_page=True)
        watch.close()
        assert watch.errors == [], f"{name}: {watch.errors}"
        assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at {width} px"
