"""The transfer track (PROTOCOL §7): strategies see only their rows, masks are shared, fine-tune is
fit-then-adapt, transfer gain and its interval, the grid through the one runner and store, the page."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from imputebench.cli import main as cli

# ``home``: a data home with the user dataset ``shifty`` and its task ``shifty-b`` (conftest.py).
from imputebench.imputer_info import split_adapt_params
from imputebench.tracks.transfer.gain import summarise_gain, transfer_gain
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
def _rows(values: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for strategy, errors in values.items():
        for seed, e in enumerate(errors):
            rows.append({"track": "transfer", "task": "t", "n_target": 50, "mechanism": "mcar", "rate": 0.2,
                         "seed": seed, "imputer": "x", "strategy": strategy, "armse": e, "status": "ok"})
    return pd.DataFrame(rows)


def test_gain_is_zero_when_a_strategy_equals_target_only() -> None:
    rows = _rows({"target-only": [0.2, 0.3, 0.25], "pooled": [0.2, 0.3, 0.25], "source-only": [0.1, 0.15, 0.125]})
    g = transfer_gain(rows)
    assert np.allclose(g.loc[g["strategy"] == "pooled", "gain"], 0.0)
    assert np.allclose(g.loc[g["strategy"] == "target-only", "gain"], 0.0)
    assert np.allclose(g.loc[g["strategy"] == "source-only", "gain"], 0.5)
    s = summarise_gain(g).set_index("strategy")
    assert s.loc["pooled", "gain_mean"] == 0 and not s.loc["pooled", "negative"]


def test_interval_is_scipy_t_and_negative_transfer_is_an_interval_below_zero() -> None:
    rows = _rows({"target-only": [0.2, 0.2, 0.2], "pooled": [0.3, 0.32, 0.26], "source-only": [0.1, 0.4, 0.2]})
    s = summarise_gain(transfer_gain(rows)).set_index("strategy")
    gains = 1 - np.array([0.3, 0.32, 0.26]) / 0.2
    lo, hi = stats.t.interval(0.95, 2, loc=gains.mean(), scale=stats.sem(gains))
    assert s.loc["pooled", ["gain_low", "gain_high"]].tolist() == pytest.approx([lo, hi])
    assert s.loc["pooled", "negative"]  # -0.4 +- 0.15: entirely below 0
    assert not s.loc["source-only", "negative"]  # straddles 0


def test_a_failed_job_leaves_its_mask_without_gain() -> None:
    rows = _rows({"target-only": [0.2, 0.2], "pooled": [0.1, 0.1]})
    rows.loc[(rows["strategy"] == "target-only") & (rows["seed"] == 1), "status"] = "failed"
    g = transfer_gain(rows)
    pooled = g[g["strategy"] == "pooled"].set_index("seed")["gain"]
    assert pooled[0] == pytest.approx(0.5) and np.isnan(pooled[1])
    assert np.isnan(summarise_gain(g).set_index("strategy").loc["pooled", "gain_low"])  # one seed: no interval


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

    from imputebench.reports.render import render_report

    index = render_report(results)
    page = (index.parent / "transfer.html").read_text()
    assert "shifty-b" in page and "Negative transfer" in page
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
