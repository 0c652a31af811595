"""The transfer track (PROTOCOL §7): strategies see only their rows, masks are shared, fine-tune is
fit-then-adapt, transfer gain and its interval, the grid through the one runner and store, the page."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imputebench.cli import main as cli

# ``home``: a data home with the user dataset ``shifty`` and its task ``shifty-b`` (conftest.py).
from imputebench.imputer_info import split_adapt_params
from imputebench.reports.transfer_tables import (MIN_MASKS, gain_by_task, mask_interval, summarise_gain,
                                                task_headlines, verdict_counts)
from imputebench.tracks.transfer.gain import transfer_gain
from imputebench.tracks.transfer.parts import Part, draw_parts, fit_strategy


class Recorder:
    """An imputer that records what it was fitted and adapted on (row index), and fills with 0."""

    calls: list = []

    def __init__(self) -> None:
        self.calls = []

    def fit(self, X, y=None):
        self.calls.append(("fit", set(X.index)))
        return self

    def adapt(self, X, y=None, **budget):
        self.calls.append(("adapt", set(X.index), budget))
        return self

    def transform(self, X):
        return X.fillna(0)


def _parts() -> tuple[Part, Part]:
    src = pd.DataFrame({"a": [1.0, np.nan, 3.0]}, index=[0, 1, 2])
    tgt = pd.DataFrame({"a": [np.nan, 5.0]}, index=[10, 11])
    return Part(src, None), Part(tgt, None)


def test_source_only_never_sees_target_rows_and_target_only_never_sees_source_rows() -> None:
    source, target = _parts()
    for strategy, expected in (("source-only", {0, 1, 2}), ("target-only", {10, 11}), ("pooled", {0, 1, 2, 10, 11})):
        imp = fit_strategy(Recorder, strategy, source, target)
        assert [c[0] for c in imp.calls] == ["fit"]
        assert imp.calls[0][1] == expected, strategy


def test_fine_tune_fits_on_source_then_adapts_on_target_with_the_budget() -> None:
    source, target = _parts()
    imp = fit_strategy(Recorder, "fine-tune", source, target, budget={"epochs": 3})
    assert imp.calls == [("fit", {0, 1, 2}), ("adapt", {10, 11}, {"epochs": 3})]


def test_fine_tune_needs_the_transfer_contract() -> None:
    class NoAdapt(Recorder):
        adapt = None

    source, target = _parts()
    with pytest.raises(ValueError, match="adapt"):
        fit_strategy(NoAdapt, "fine-tune", source, target)


def test_adapt_budget_keys_go_to_adapt_not_to_the_constructor() -> None:
    assert split_adapt_params({"epochs": 30, "adapt_epochs": 5}) == ({"epochs": 30}, {"epochs": 5})
    from imputebench.registry import make_imputer

    make_imputer("knn", {"n_neighbors": 3, "adapt_epochs": 5})  # a profile's budget never reaches __init__


def test_parts_share_one_test_set_across_n_target_and_never_overlap() -> None:
    rng = np.random.default_rng(1)
    Xs = pd.DataFrame({"a": rng.normal(size=500)})
    Xt = pd.DataFrame({"a": rng.normal(size=3000)}, index=np.arange(10_000, 13_000))
    yt = pd.Series(pd.Categorical(rng.choice(["p", "q"], 3000)), index=Xt.index)
    parts = {n: draw_parts(Xs, None, Xt, yt, task="t", n_target=n, seed=0, max_source_rows=200) for n in (50, 1000)}
    assert parts[50].target_test.X.index.equals(parts[1000].target_test.X.index)
    assert len(parts[50].target_test.X) == 2000 and len(parts[50].target_train.X) == 50
    for p in parts.values():
        assert not set(p.target_train.X.index) & set(p.target_test.X.index)
        assert len(p.source.X) == 200
    other = draw_parts(Xs, None, Xt, yt, task="t", n_target=50, seed=1, max_source_rows=200)
    assert not other.target_train.X.index.equals(parts[50].target_train.X.index)


# -- transfer gain -----------------------------------------------------------------------------------
def _rows(values: dict[str, list[float]], mechanisms: tuple[str, ...] = ("mcar",),
          rates: tuple[float, ...] = (0.2,)) -> pd.DataFrame:
    """Transfer rows of one (task, n_target, imputer): per strategy, one error per seed, repeated over
    every (mechanism, rate) so that a cell holds seeds x mechanisms x rates masks."""
    rows = []
    for mechanism in mechanisms:
        for rate in rates:
            for strategy, errors in values.items():
                for seed, e in enumerate(errors):
                    rows.append({"track": "transfer", "task": "t", "n_target": 50, "mechanism": mechanism,
                                 "rate": rate, "seed": seed, "imputer": "x", "strategy": strategy, "armse": e,
                                 "status": "ok"})
    return pd.DataFrame(rows)


def test_gain_is_zero_when_a_strategy_equals_target_only() -> None:
    rows = _rows({"target-only": [0.2, 0.3, 0.25], "pooled": [0.2, 0.3, 0.25], "source-only": [0.1, 0.15, 0.125]})
    g = transfer_gain(rows)
    assert np.allclose(g.loc[g["strategy"] == "pooled", "gain"], 0.0)
    assert np.allclose(g.loc[g["strategy"] == "target-only", "gain"], 0.0)
    assert np.allclose(g.loc[g["strategy"] == "source-only", "gain"], 0.5)
    s = summarise_gain(g).set_index("strategy")
    assert s.loc["pooled", "gain_mean"] == 0 and not s.loc["pooled", "negative"]


def _brute_interval(values: np.ndarray) -> tuple[float, float]:
    """The exact percentile bootstrap of the mean, by listing all n^n ordered resamples (small n)."""
    import itertools

    means = np.sort([np.mean(draw) for draw in itertools.product(values, repeat=len(values))])
    total = len(means)
    # inverted CDF: the first value whose cumulative count reaches q * total (q = 1/40 and 39/40)
    return means[int(np.ceil(total / 40)) - 1], means[int(np.ceil(39 * total / 40)) - 1]


def test_a_cell_pools_seeds_mechanisms_and_rates_and_bootstraps_its_masks() -> None:
    # 2 seeds x 3 mechanisms x 1 rate = 6 masks: one cell, enough for a verdict.
    rows = _rows({"target-only": [0.2, 0.2], "pooled": [0.3, 0.26]}, mechanisms=("mcar", "mar", "mnar"))
    rows.loc[(rows["strategy"] == "pooled") & (rows["mechanism"] == "mar"), "armse"] = [0.22, 0.24]
    s = summarise_gain(transfer_gain(rows)).set_index("strategy")
    assert len(s) == 2 and "mechanism" not in s.columns and "rate" not in s.columns
    gains = 1 - np.array([0.3, 0.26, 0.22, 0.24, 0.3, 0.26]) / 0.2
    assert s.loc["pooled", "n_masks"] == 6 and s.loc["pooled", "gain_mean"] == pytest.approx(gains.mean())
    assert s.loc["pooled", ["gain_low", "gain_high"]].tolist() == pytest.approx(_brute_interval(gains))
    assert s.loc["pooled", "verdict"] and s.loc["pooled", "negative"]  # every gain below 0: so is the interval


def test_the_interval_over_many_masks_is_seeded_and_reproducible() -> None:
    rng = np.random.default_rng(4)
    gains = rng.normal(-0.05, 0.2, size=40)
    first, again = mask_interval(gains), mask_interval(gains)
    assert first == again and first[0] < gains.mean() < first[1]
    assert mask_interval(gains, seed=1) != first  # 1,000 drawn resamples: the seed is what fixes them
    # Close to the normal approximation of the mean's spread over 40 masks.
    half = 1.96 * gains.std(ddof=1) / np.sqrt(gains.size)
    assert first[1] - first[0] == pytest.approx(2 * half, rel=0.2)


def test_a_cell_with_fewer_than_six_masks_gets_no_verdict_and_the_headline_says_so() -> None:
    # One seed, one mechanism, one rate: gains of -0.20 to -0.43 but a single mask per cell.
    rows = _rows({"target-only": [0.2], "pooled": [0.24], "source-only": [0.286]})
    s = summarise_gain(transfer_gain(rows)).set_index("strategy")
    assert MIN_MASKS == 6
    assert not s["verdict"].any() and not s["negative"].any() and s["gain_low"].isna().all()
    assert s.loc["source-only", "gain_mean"] == pytest.approx(-0.43)
    assert verdict_counts(s.reset_index()) == {"cells": 2, "verdicts": 0, "negative": 0, "too_few": 2,
                                               "min_masks": 6}
    # Five masks are still too few; six give a verdict.
    five = summarise_gain(transfer_gain(_rows({"target-only": [0.2] * 5, "pooled": [0.3] * 5})))
    six = summarise_gain(transfer_gain(_rows({"target-only": [0.2] * 6, "pooled": [0.3] * 6})))
    assert not five["verdict"].any()
    assert verdict_counts(six) == {"cells": 1, "verdicts": 1, "negative": 1, "too_few": 0, "min_masks": 6}


def test_a_failed_job_leaves_its_mask_without_gain() -> None:
    rows = _rows({"target-only": [0.2] * 6, "pooled": [0.1] * 6})
    rows.loc[(rows["strategy"] == "target-only") & (rows["seed"] == 1), "status"] = "failed"
    g = transfer_gain(rows)
    pooled = g[g["strategy"] == "pooled"].set_index("seed")["gain"]
    assert pooled[0] == pytest.approx(0.5) and np.isnan(pooled[1])
    cell = summarise_gain(g).set_index("strategy").loc["pooled"]
    assert cell["n_masks"] == 5 and not cell["verdict"]  # the failed mask leaves 5: no verdict


def _two_tasks() -> pd.DataFrame:
    """Task ``up`` gains from pooling (more with a smaller target), task ``down`` loses; two imputers,
    two n_target, 6 seeds: every cell has a verdict."""
    rows = []
    for task, sign in (("up", 1), ("down", -1)):
        for n_target, size in ((50, 0.3), (1000, 0.1)):
            for imputer, shift in (("x", 0.0), ("y", 0.1)):
                for seed in range(6):
                    noise = 0.01 * (seed - 2.5)
                    for strategy, e in (("target-only", 1.0), ("pooled", 1.0 - sign * (size + shift) + noise)):
                        rows.append({"track": "transfer", "task": task, "n_target": n_target, "mechanism": "mcar",
                                     "rate": 0.2, "seed": seed, "imputer": imputer, "strategy": strategy,
                                     "armse": e, "status": "ok"})
    return pd.DataFrame(rows)


def test_the_per_task_view_keeps_a_gaining_and_a_losing_task_apart() -> None:
    summary = summarise_gain(transfer_gain(_two_tasks()))
    view = gain_by_task(summary).set_index(["task", "n_target"])
    assert set(view["strategy"]) == {"pooled"}  # target-only's gain is 0 by definition: not a line
    # Mean over the two imputers' cells: (0.3 + 0.4) / 2 at n_target = 50, (0.1 + 0.2) / 2 at 1000.
    assert view.loc[("up", 50), "gain_mean"] == pytest.approx(0.35)
    assert view.loc[("up", 1000), "gain_mean"] == pytest.approx(0.15)
    assert view.loc[("down", 50), "gain_mean"] == pytest.approx(-0.35)
    assert view.loc[("down", 1000), ["imputers", "verdicts", "negative"]].tolist() == [2, 2, 2]
    assert view.loc[("up", 1000), "negative"] == 0
    # Averaged over tasks the two would cancel to 0: the view is what shows them.
    assert view.groupby("n_target")["gain_mean"].mean().abs().max() == pytest.approx(0.0, abs=1e-12)
    heads = task_headlines(gain_by_task(summary)).set_index("task")
    assert heads.loc["up", ["best_strategy", "negative", "verdicts"]].tolist() == ["pooled", 0, 4]
    assert heads.loc["up", "best_gain"] == pytest.approx(0.25) and heads.loc["down", "negative"] == 4


def test_the_page_draws_gain_per_task_for_every_imputer_and_all_together(tmp_path: Path) -> None:
    from imputebench.harness.store import rows_to_table
    from imputebench.reports.site import build_site

    rows = _two_tasks()
    rows = rows.assign(dataset="shifty", setting="transfer", job_key=[f"k{i}" for i in range(len(rows))],
                       domain_gap=0.8, source_rows=100, n_rows=50)
    build_site(rows_to_table(rows.to_dict("records")).to_pandas(), tmp_path / "site")
    together = (tmp_path / "site" / "plots" / "transfer-by-task.svg").read_text()
    assert ">up<" in together and ">down<" in together and ">pooled<" in together  # a line per task
    per_imputer = (tmp_path / "site" / "plots" / "transfer-x.svg").read_text()
    assert ">up<" in per_imputer and ">down<" in per_imputer  # a panel per task
    page = " ".join((tmp_path / "site" / "transfer.html").read_text().split())
    assert "Gain against n_target, per task" in page and "2/2 negative" in page
    assert "4 of the 8 cells with a verdict show negative transfer" in page
    # Transfer rows only: the landing page summarises the track and links to it.
    index = " ".join((tmp_path / "site" / "index.html").read_text().split())
    assert "transfer-track rows only: 96 jobs over 2 tasks and 2 imputers" in index
    assert "4 of the 8 cells (task, imputer, strategy, n_target)" in index and 'href="transfer.html"' in index
    assert "<code>imputebench run</code>" not in index and "0 jobs over" not in index
    assert "Critical difference" not in index  # no empty main-track sections


def test_a_one_seed_transfer_store_says_it_has_no_verdict_on_both_pages(tmp_path: Path) -> None:
    from imputebench.harness.store import rows_to_table
    from imputebench.reports.site import build_site

    rows = _rows({"target-only": [0.2], "pooled": [0.24], "source-only": [0.286]})
    rows = rows.assign(dataset="shifty", setting="transfer", job_key=[f"k{i}" for i in range(len(rows))],
                       domain_gap=0.8, source_rows=100, n_rows=50)
    build_site(rows_to_table(rows.to_dict("records")).to_pandas(), tmp_path / "site")
    page, index = (" ".join((tmp_path / "site" / name).read_text().split()) for name in ("transfer.html", "index.html"))
    for html in (page, index):
        assert "too few masks for a verdict (N &lt; 6) in each of the 2 cells" in html
        assert "0 cells with negative transfer" not in html and "0 of the" not in html
    assert "n/a" in page  # the heat map's one pair: no verdict, not 0/0


# -- the grid through the runner, the store, the page ---------------------------------------------------
def test_one_mask_per_task_n_target_and_mask_shared_by_imputers_and_strategies() -> None:
    from dataclasses import replace

    from imputebench.tracks.transfer.job import TransferJob

    job = TransferJob(task="t", dataset="d", dataset_checksum="c", rule="r", max_rows=2000, n_target=50,
                      mechanism="mcar", rate=0.2, seed=0, imputer="gain", params="{}", strategy="pooled",
                      profile="quick")
    other = replace(job, imputer="knn", params='{"k": 1}', strategy="fine-tune", profile="paper")
    assert other.key != job.key and other.mask_key == job.mask_key
    for change in ({"n_target": 200}, {"seed": 1}, {"rate": 0.4}, {"mechanism": "mar"}, {"task": "u"}):
        assert replace(job, **change).mask_key != job.mask_key, change


def test_part_masks_are_drawn_per_part_and_the_same_for_every_n_target() -> None:
    from imputebench.tracks.transfer.parts import draw_part_masks, split_part_masks

    rng = np.random.default_rng(2)
    Xs = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    Xt = pd.DataFrame({"a": rng.normal(size=2300), "b": rng.normal(size=2300)})
    cut = {}
    for n in (50, 200):
        parts = draw_parts(Xs, None, Xt, None, task="t", n_target=n, seed=0, max_source_rows=None)
        packed = draw_part_masks(parts, "t", "mar", 0.3, 0)
        assert packed.shape == (400 + n + 1300, 2)
        cut[n] = split_part_masks(packed.unpack(), parts)
        assert 0.2 < 1 - cut[n]["target-test"].mean() < 0.4
    assert np.array_equal(cut[50]["source"], cut[200]["source"])
    assert np.array_equal(cut[50]["target-test"], cut[200]["target-test"])
    assert not np.array_equal(cut[50]["source"][:50], cut[50]["target-train"])  # each part its own seed
    with pytest.raises(ValueError, match="stored mask"):
        split_part_masks(np.ones((10, 2), bool), parts)


def test_a_fine_tune_budget_is_checked_when_the_plan_is_built() -> None:
    from imputebench.errors import UsageError
    from imputebench.registry import check_params

    check_params("gain", {"iterations": 10, "adapt_iterations": 5})
    with pytest.raises(UsageError, match="no adapt method"):
        check_params("knn", {"adapt_epochs": 5})
    with pytest.raises(UsageError, match="adapt_iteration"):
        check_params("gain", {"adapt_iteration": 5})
    with pytest.raises(UsageError):
        check_params("gain", {"adapt_iterations": -1})


@pytest.mark.slow
def test_transfer_grid_shares_masks_resumes_and_builds_the_page(home: Path, tmp_path: Path, monkeypatch) -> None:
    from imputebench.harness.job import run_job
    from imputebench.harness.runner import RunConfig, plan, run
    from imputebench.tracks.transfer import job as transfer_job

    seen: dict = {}
    real = transfer_job.fit_strategy

    def spy(make, strategy, source, target_train, budget=None, call=None):
        imp = real(make, strategy, source, target_train, budget, call=call)
        transform = imp.transform

        def recorded(X):
            seen.setdefault(("transform", len(X), len(target_train.X)), set()).add(
                X.isna().to_numpy().tobytes())
            return transform(X)

        imp.transform = recorded
        seen.setdefault(("source", 0), set()).add(source.X.isna().to_numpy().tobytes())
        seen.setdefault(("fit-train", len(target_train.X)), set()).add(target_train.X.isna().to_numpy().tobytes())
        return imp

    monkeypatch.setattr(transfer_job, "fit_strategy", spy)
    results = tmp_path / "results"
    cfg = RunConfig(track="transfer", track_options={"tasks": ["shifty-b"], "n_target": [50, 200]},
                    imputers=["mean", "knn"], mechanisms=["mar"], rates=[0.2], seeds=[0], results_dir=results,
                    jobs=1, progress=False)
    planned = plan(cfg)
    jobs = planned.jobs
    assert not planned.unavailable
    assert {j.strategy for j in jobs} == {"target-only", "source-only", "pooled"}  # no adapt: no fine-tune
    assert len(jobs) == 2 * 2 * 3
    assert jobs[0].domain_gap > 0.6  # the domains differ by a shift of 2 sd
    from imputebench.harness.job import RunContext
    from imputebench.harness.runner import keep_mask
    from imputebench.harness.store import ResultStore

    store = ResultStore(results)
    for job in jobs:  # in-process, as the driver does, so the spy sees every imputer's inputs
        before = set(results.rglob("*"))
        result = run_job(job, RunContext(), None)
        assert set(results.rglob("*")) == before  # the job writes nothing: the driver stores its mask
        row = result.row
        assert row["status"] == "ok", row.get("error")
        assert row["n_target"] == job.n_target and row["track"] == "transfer" and row["source_rows"] == 1800
        if result.mask is not None and store.load_mask(job.mask_key) is None:
            keep_mask(store, job.mask_key, result.mask)
        store.append([row])
    # PROTOCOL §7: one mask per part, shared by every imputer and strategy.
    assert all(len(patterns) == 1 for patterns in seen.values()), {k: len(v) for k, v in seen.items()}
    assert len(list((results / "_masks").glob("*.npz"))) == 2  # one (stacked parts) per n_target
    summary = run(cfg)  # the runner resumes from the store: nothing left to run
    assert summary.skipped == len(jobs) and sum(summary.statuses.values()) == 0
    rows = summary.rows
    assert set(rows["strategy"]) == {"target-only", "source-only", "pooled"}
    assert rows["downstream"].notna().all()  # the target domain still has two classes
    from imputebench.reports.provenance import grid_of

    grid = "1 tasks × 2 n_target × 1 mechanisms × 1 rates × 1 seeds × 6 imputer-strategy pairs (2 imputer, 3 strategy)"
    assert grid_of(rows) == f"{grid} = {len(jobs)} jobs"

    from imputebench.reports.render import render_report

    index = render_report(results)
    page = (index.parent / "transfer.html").read_text()
    assert "shifty-b" in page and "Negative transfer" in page
    assert "too few masks for a verdict" in page and "0 cells with negative transfer" not in page
    assert f"{grid} = {len(jobs)} jobs" in page  # the page's grid line
    assert 'href="transfer.html"' in index.read_text()
    assert (index.parent / "data" / "transfer-gain.csv").is_file()


def test_main_track_pages_exclude_transfer_rows(tmp_path: Path) -> None:
    from imputebench.reports.site import build_site

    rows = _rows({"target-only": [0.2, 0.3], "pooled": [0.1, 0.2]})
    rows = rows.assign(dataset="shifty", setting="transfer", job_key=[f"k{i}" for i in range(len(rows))],
                       domain_gap=0.8, source_rows=100, n_rows=50)
    from imputebench.harness.store import rows_to_table

    full = rows_to_table(rows.to_dict("records")).to_pandas()
    index = build_site(full, tmp_path / "site")
    assert "shifty" not in index.read_text()  # no main-track leaderboard of transfer rows
    assert (tmp_path / "site" / "transfer.html").is_file()
    svg = (tmp_path / "site" / "plots" / "transfer-x.svg").read_text()  # the gain curves, drawn as SVG
    assert svg.startswith("<svg") and "pooled" in svg and "target-only" in svg
    gain = pd.read_csv(tmp_path / "site" / "data" / "transfer-gain.csv")
    jobs = pd.read_parquet(tmp_path / "site" / "data" / "transfer-jobs.parquet")
    assert gain.columns[list(gain.columns).index("imputer") + 1] == "params" and "params" in jobs.columns


@pytest.mark.slow
def test_cli_lists_tasks_and_rejects_a_bad_rule(home: Path, capsys) -> None:
    assert cli(["transfer", "tasks", "shifty-b", "--json", "--data-home", str(home)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["source_rows"] == 1800 and out[0]["target_rows"] == 1800 and out[0]["domain_gap_auc"] > 0.6
    assert cli(["transfer", "add", "tiny", "--dataset", "shifty", "--column", "x1", "--threshold", "3.5",
                "--data-home", str(home)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "at least 1500" in err[0]
    assert cli(["transfer", "add", "both", "--dataset", "shifty", "--column", "x1", "--threshold", "1",
                "--values", "a", "--data-home", str(home)]) == 2
    assert "exactly one" in capsys.readouterr().err


def test_run_rejects_main_track_flags_on_the_transfer_track(capsys) -> None:
    assert cli(["run", "--track", "transfer", "--datasets", "wine", "--no-report"]) == 2
    assert "--tasks" in capsys.readouterr().err
    assert cli(["run", "--n-target", "50", "--no-report"]) == 2
    assert "--track transfer" in capsys.readouterr().err


@pytest.mark.slow
def test_ray_executor_gives_the_local_rows(home: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from imputebench.harness.job import DataSource
    from imputebench.harness.runner import RunConfig, run

    def rows(executor: str) -> pd.DataFrame:
        cfg = RunConfig(track="transfer", track_options={"tasks": ["shifty-b"], "n_target": [50]},
                        imputers=["mean"], mechanisms=["mcar"], rates=[0.2], seeds=[0],
                        results_dir=tmp_path / executor, jobs=1, progress=False, executor=executor,
                        source=DataSource(data_home=str(home)))
        return run(cfg).rows.sort_values("job_key").reset_index(drop=True)

    local, ray = rows("local"), rows("ray")
    cols = ["job_key", "strategy", "status", "armse", "rmse", "downstream", "source_rows", "n_target"]
    pd.testing.assert_frame_equal(local[cols], ray[cols])
    assert (local["status"] == "ok").all() and len(local) == 3


def test_the_fine_tune_budget_is_in_transfer_job_params_only() -> None:
    from imputebench.harness.runner import RunConfig, check_grid

    main = json.loads(check_grid(RunConfig(imputers=["gain"])).params["gain"])
    transfer = json.loads(check_grid(RunConfig(track="transfer", imputers=["gain"])).params["gain"])
    assert "adapt_iterations" not in main  # a main-track job's numbers (and key) do not depend on it
    assert transfer == {**main, "adapt_iterations": 200}


def test_an_empty_store_still_points_to_imputebench_run(tmp_path: Path) -> None:
    from imputebench.harness.store import rows_to_table
    from imputebench.reports.site import build_site

    index = build_site(rows_to_table([]).to_pandas(), tmp_path / "site").read_text()
    assert "<code>imputebench run</code>" in index and "transfer-track rows only" not in index


class _Layout:
    """Which boxes hold each table and image of a page (a stack of open elements and their classes)."""

    VOID = {"img", "meta", "br", "input", "link", "source", "hr", "wbr", "col"}

    def __init__(self, html: str) -> None:
        from html.parser import HTMLParser

        self.tables: list[list[tuple[str, set[str]]]] = []
        self.images: list[list[tuple[str, set[str]]]] = []
        stack: list[tuple[str, set[str]]] = []
        layout = self

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                classes = set((dict(attrs).get("class") or "").split())
                if tag == "table":
                    layout.tables.append(list(stack))
                if tag == "img":
                    layout.images.append(list(stack))
                if tag not in _Layout.VOID:
                    stack.append((tag, classes))

            def handle_endtag(self, tag):
                while stack and stack.pop()[0] != tag:
                    pass

        Parser().feed(html)


def test_the_transfer_page_fits_a_phone_wide_tables_scroll_in_their_own_box(tmp_path: Path) -> None:
    """No sideways scroll at 390 px: every table sits directly in a ``.scroll`` box (which scrolls on its
    own), every figure is an image in a ``figure.plot`` that the stylesheet caps at the page's width."""
    import re

    from imputebench.harness.store import rows_to_table
    from imputebench.reports.site import build_site

    rows = _two_tasks()
    rows = rows.assign(dataset="shifty", setting="transfer", job_key=[f"k{i}" for i in range(len(rows))],
                       domain_gap=0.8, source_rows=100, n_rows=50)
    site = tmp_path / "site"
    build_site(rows_to_table(rows.to_dict("records")).to_pandas(), site)
    for name in ("transfer.html", "index.html"):
        layout = _Layout((site / name).read_text())
        assert layout.tables, name
        for parents in layout.tables:
            assert parents[-1] == ("div", {"scroll"}), f"{name}: a table outside a scroll box: {parents[-3:]}"
    images = _Layout((site / "transfer.html").read_text()).images
    assert len(images) >= 3  # the per-task figure and one per imputer
    assert all(any(tag == "figure" and "plot" in classes for tag, classes in parents) for parents in images)
    css = " ".join((site / "assets" / "style.css").read_text().split())

    def rule(selector: str) -> str:
        found = re.search(re.escape(selector) + r" \{([^}]*)\}", css)
        assert found, f"style.css has no rule for {selector}"
        return found.group(1)

    assert "overflow-x: auto" in rule(".scroll") and "max-width: 100%" in rule(".scroll")
    assert "max-width: 100%" in rule("figure.plot img") and "max-width: 100%" in rule("figure.plot")


def _grid_rows(track: str, **axes) -> pd.DataFrame:
    """Store-like rows: every combination of ``axes`` (name -> values), one row each."""
    import itertools

    names = list(axes)
    return pd.DataFrame([dict(zip(names, combo), track=track) for combo in itertools.product(*axes.values())])


def test_the_grid_line_names_every_axis_and_multiplies_to_the_job_count() -> None:
    from imputebench.reports.provenance import grid_of

    common = dict(mechanism=["mar"], rate=[0.2], seed=[0, 1], setting=["transfer"])
    pairs = [("mean", "target-only"), ("mean", "pooled"), ("remasker", "target-only"), ("remasker", "pooled"),
             ("remasker", "fine-tune")]  # fine-tune only for the imputer that adapts
    transfer = pd.concat([_grid_rows("transfer", task=["a", "b"], dataset=["d"], n_target=[50, 200], **common)
                          .assign(imputer=i, strategy=st) for i, st in pairs], ignore_index=True)
    line = grid_of(transfer)
    assert line == ("2 tasks × 2 n_target × 1 mechanisms × 1 rates × 2 seeds × 5 imputer-strategy pairs "
                    "(2 imputer, 3 strategy) = 40 jobs")
    assert len(transfer) == 2 * 2 * 2 * 5
    main = _grid_rows("main", dataset=["iris", "wine", "diabetes"], mechanism=["mcar", "mar"], rate=[0.2], seed=[0],
                      setting=["in-sample"], imputer=["mean", "knn"])
    both = grid_of(pd.concat([main, transfer], ignore_index=True))
    assert both == ("main: 3 datasets × 2 mechanisms × 1 rates × 1 seeds × 1 settings × 2 imputers = 12 jobs; "
                    f"transfer: {line}")
    # a store holding part of a grid says so rather than multiplying to a wrong count
    assert grid_of(main.iloc[1:]).endswith("= 12 combinations, 11 jobs in the store")
