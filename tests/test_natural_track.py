"""The natural-missingness track (PROTOCOL §10): tables with their own holes, scored without their
missing values. A small synthetic table with real holes (added with ``datasets add --keep-missing``)
runs the whole track in the fast tier; the five shared tables, Ray, and a run killed midway and
resumed are slow. The shared tables are never committed: that test is skipped without them
(``$IMPUTEBENCH_NATURAL`` or ``../shared/datasets-natural`` beside the clone)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import natural_tables_dir
from imputebench.errors import UsageError
from imputebench.harness.job import DataSource, RunContext, run_job
from imputebench.harness.runner import RunConfig, plan, run
from imputebench.harness.store import ResultStore, rows_to_table
from imputebench.tracks.natural.holes import draw_observed_mask, hidden_share, missingness_pattern
from imputebench.tracks.natural.scores import TRUTH_FREE_SCORES, settings
from test_tracks import ENV, FAULTS, check_fault_rows

TABLE = "holey"


def holey_frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Correlated features with holes of their own: x2 missing more often where x3 is high (MAR),
    x4 and colour missing at random, x1 and x3 complete; the label depends on x1 and x3."""
    rng = np.random.default_rng(seed)
    x1, x3 = rng.normal(size=n), rng.normal(size=n)
    frame = pd.DataFrame({"x1": x1, "x2": x1 + rng.normal(0, 0.3, n), "x3": x3, "x4": x1 - x3 + rng.normal(0, 0.3, n),
                          "colour": np.where(x1 + rng.normal(0, 0.5, n) > 0, "red", "blue"),
                          "label": (x1 + x3 > 0).astype(int)})
    frame.loc[rng.random(n) < 0.6 / (1 + np.exp(-2 * x3)), "x2"] = np.nan
    frame.loc[rng.random(n) < 0.15, "x4"] = np.nan
    frame.loc[rng.random(n) < 0.1, "colour"] = np.nan
    return frame


def add_holey(folder: Path) -> Path:
    """A data home holding ``holey`` with its holes kept (through the CLI, as a user adds one)."""
    from imputebench import datasets
    from imputebench.cli import main as cli
    from imputebench.tracks.natural.job import clear_memos

    path = folder / "holey.csv"
    holey_frame().to_csv(path, index=False)
    home = folder / "home"
    assert cli(["datasets", "add", TABLE, str(path), "--target", "label", "--categorical", "colour", "--keep-missing",
                "--data-home", str(home)]) == 0
    datasets.clear_memo()
    clear_memos()
    return home


@pytest.fixture(scope="module")
def holey_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return add_holey(tmp_path_factory.mktemp("natural"))


def natural_config(home: Path, results: Path, **kw) -> RunConfig:
    base = dict(track="natural", track_options={"tables": [TABLE]}, imputers=["mean", "knn"], mechanisms=["mcar", "mar"],
                seeds=[0], source=DataSource(data_home=str(home), allow_network=False), results_dir=results, jobs=1,
                progress=False)
    return RunConfig(**{**base, **kw})


def in_process(cfg: RunConfig) -> pd.DataFrame:
    """The plan's jobs run one after another in this process (one worker's caches), as stored rows."""
    planned = plan(cfg)
    out = [run_job(j, RunContext(source=cfg.source), None, planned.data[j.data_key]).row for j in planned.jobs]
    return rows_to_table(out).to_pandas()


@pytest.fixture(scope="module")
def holey_rows(holey_home: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return in_process(natural_config(holey_home, tmp_path_factory.mktemp("results")))


# -- the table's holes (pure) ------------------------------------------------------------------------
def test_the_missingness_pattern_counts_columns_and_row_patterns():
    X = pd.DataFrame({"a": [1.0, np.nan, np.nan, 4.0, 5.0], "b": [np.nan, 2.0, np.nan, 4.0, 5.0],
                      "c": pd.Categorical(["u", "v", None, "u", "v"])})
    p = missingness_pattern(X)
    assert p["n_rows"] == 5 and p["columns"] == ["a", "b", "c"] and p["missing"] == [2, 2, 1]
    assert p["n_patterns"] == 4
    assert p["patterns"] == [{"missing": [], "rows": 2}, {"missing": [0], "rows": 1}, {"missing": [1], "rows": 1},
                             {"missing": [0, 1, 2], "rows": 1}]


@pytest.mark.parametrize("mechanism", ["mcar", "mar", "mnar"])
def test_extra_masks_hide_only_observed_cells_at_their_rate_and_are_reproducible(mechanism):
    X = holey_frame(2000).drop(columns="label").astype({"colour": "category"})
    holes = X.isna().to_numpy()
    kept = draw_observed_mask(X, mechanism, 0.2, np.random.default_rng(7))
    assert kept[holes].all()  # a natural hole is never "hidden": it is missing already, never scored
    assert (kept & ~holes).any(axis=0).all()  # every column keeps an observed cell
    share = hidden_share(kept, X)
    assert share == ((~kept).sum() / (~holes).sum())
    assert abs(share - 0.2) < (0.02 if mechanism == "mcar" else 0.06), share  # of the observed cells
    assert np.array_equal(kept, draw_observed_mask(X, mechanism, 0.2, np.random.default_rng(7)))


# -- the track, end to end in one process ---------------------------------------------------------------
def test_the_grid_has_a_job_per_setting_mask_seed_and_imputer(holey_home, tmp_path):
    planned = plan(natural_config(holey_home, tmp_path, seeds=[0, 1]))
    jobs = planned.jobs
    per_imputer_seed = 1 + 2 * 2 + len(TRUTH_FREE_SCORES)  # downstream, 2 mechanisms x 2 rates, truth-free
    assert len(jobs) == 2 * 2 * per_imputer_seed and len({j.key for j in jobs}) == len(jobs)
    masked = [j for j in jobs if j.setting == "masked"]
    assert {j.rate for j in masked} == {0.1, 0.2}  # §10 b's rates unless --rates says otherwise
    assert {j.mask_key for j in masked if j.imputer == "mean"} == {j.mask_key for j in masked if j.imputer == "knn"}
    assert all(j.mechanism is None and j.rate is None for j in jobs if j.setting != "masked")
    assert {j.setting for j in jobs} == set(settings())
    # the table's missingness travels beside the identity, never in the key
    assert jobs[0].natural_missing == pytest.approx(holey_frame().drop(columns="label").isna().to_numpy().mean())


def test_every_setting_scores_without_the_missing_values(holey_rows, holey_home):
    from imputebench.datasets import load_dataset

    rows = holey_rows
    assert (rows["status"] == "ok").all(), rows[["setting", "imputer", "error"]]
    assert set(rows["track"]) == {"natural"} and rows["missing_pattern"].notna().all()
    down = rows[rows["setting"] == "downstream"]
    assert down["downstream"].between(0.5, 1).all() and set(down["downstream_metric"]) == {"accuracy"}
    for col in ("complete_case_downstream", "native_downstream", "complete_case_rows"):
        assert down[col].nunique() == 1 and down[col].notna().all()  # one per split, beside every imputer
    ds = load_dataset(TABLE, data_home=holey_home, keep_missing=True)
    from imputebench.protocol.downstream import split_rows

    train, _ = split_rows(len(ds.X), ds.y, ds.target_kind, 0)
    assert down["complete_case_rows"].iloc[0] == int(ds.X.iloc[train].notna().all(axis=1).sum())
    masked = rows[rows["setting"] == "masked"].set_index(["mechanism", "rate", "imputer"])
    assert masked["armse"].notna().all() and masked["realised_rate"].between(0.05, 0.3).all()
    for mech in ("mcar", "mar"):  # the features are correlated: k-NN beats the mean on hidden observed cells
        for rate in (0.1, 0.2):
            assert masked.loc[(mech, rate, "knn"), "rmse"] < masked.loc[(mech, rate, "mean"), "rmse"]
    shift = rows[rows["setting"] == "obs_shift"].set_index("imputer")["obs_shift"]
    assert shift["knn"] < shift["mean"]  # one value for every hole is far from the observed values
    from imputebench.reports.provenance import grid_of

    scores = 1 + 2 * 2 + len(TRUTH_FREE_SCORES)  # downstream, 2 mechanisms x 2 rates, truth-free
    parts = ", ".join(f"{rows[c].nunique(dropna=False)} {c}" for c in ("setting", "mechanism", "rate"))
    assert grid_of(rows) == f"1 tables × {scores} scores and masks ({parts}) × 1 seeds × 2 imputers = {len(rows)} jobs"


def test_the_extra_mask_score_is_the_error_at_the_hidden_observed_cells_only(holey_rows, holey_home, tmp_path):
    """The mean imputer's RMSE by hand: the column means of the cells left observed, at the hidden cells
    on the [0, 1] scale of the observed values; the natural holes take no part."""
    from imputebench.datasets import load_dataset
    from imputebench.tracks.natural.job import draw_extra_mask

    ds = load_dataset(TABLE, data_home=holey_home, keep_missing=True)
    job = next(j for j in plan(natural_config(holey_home, tmp_path)).jobs
               if j.setting == "masked" and j.imputer == "mean" and j.mechanism == "mar" and j.rate == 0.2)
    kept = draw_extra_mask(ds.X, job).unpack()
    errors = []
    for j, c in enumerate(ds.X.columns):
        if c == "colour":
            continue
        values = ds.X[c].to_numpy(dtype=float)
        lo, hi = np.nanmin(values), np.nanmax(values)
        fill = np.nanmean(np.where(kept[:, j], values, np.nan))
        errors.append(((fill - values[~kept[:, j]]) / (hi - lo)) ** 2)
    stored = holey_rows.set_index("job_key").loc[job.key, "rmse"]
    assert stored == pytest.approx(np.sqrt(np.concatenate(errors).mean()), rel=1e-9)


def test_faults_in_imputer_code_are_rows_on_the_natural_track(holey_home, tmp_path):
    faults = [f for f in FAULTS if FAULTS[f][1] != {"adapt"}]
    rows = in_process(natural_config(holey_home, tmp_path, imputers=faults, mechanisms=["mcar"], rates=[0.2]))
    assert len(rows) == len(faults) * len(settings())
    check_fault_rows(rows)
    assert rows["downstream"].isna().all() and rows["obs_shift"].isna().all()


def half_refit(X: pd.DataFrame, impute, *, X_imputed: pd.DataFrame, random_state: int) -> float:
    """A test-only truth-free score that refits: impute every other row on its own, and measure how far
    its numeric holes land from the whole table's imputation (mean absolute difference)."""
    half = X.iloc[::2]
    again = impute(half, random_state)
    holes = half.isna()
    numeric = [c for c in X.columns if c != "colour"]
    return float(np.concatenate([(again[c] - X_imputed.loc[half.index, c])[holes[c]].abs().to_numpy()
                                 for c in numeric]).mean())


def test_a_truth_free_score_that_refits_plugs_in_with_one_declaration(holey_home, tmp_path, monkeypatch):
    """What the I-Score will do: one more TruthFreeScore, whose function re-imputes through the job's
    guarded call; the new setting gets its own jobs and keys."""
    from imputebench.tracks.natural import scores
    from imputebench.tracks.natural.scores import TruthFreeScore

    declared = TruthFreeScore("half_refit", "half refit", False, "test_natural_track:half_refit", proper=False)
    monkeypatch.setattr(scores, "TRUTH_FREE_SCORES", (*scores.TRUTH_FREE_SCORES, declared))
    planned = plan(natural_config(holey_home, tmp_path, imputers=["mean"], track_options={
        "tables": [TABLE], "scores": ["half_refit"]}))
    assert [j.setting for j in planned.jobs] == ["half_refit"]
    job = planned.jobs[0]
    ds = planned.data[job.data_key]
    row = run_job(job, RunContext(), None, ds).row
    assert row["status"] == "ok", row["error"]
    half = ds.X.iloc[::2]
    by_hand = np.concatenate([np.full(int(half[c].isna().sum()), abs(half[c].mean() - ds.X[c].mean()))
                              for c in ("x1", "x2", "x3", "x4")]).mean()
    assert row["half_refit"] == pytest.approx(by_hand, rel=1e-12) and by_hand > 0
    failed = run_job(replace(job, imputer="faulty:Raises"), RunContext(), None, ds).row
    assert failed["status"] == "failed" and "boom in fit" in failed["error"]


# -- bad input: one line, nothing loaded -----------------------------------------------------------------
def test_bad_tables_and_scores_are_one_line(holey_home, tmp_path, monkeypatch):
    from imputebench.harness.runner import check_grid

    monkeypatch.delenv("IMPUTEBENCH_NATURAL", raising=False)
    cfg = natural_config(holey_home, tmp_path)
    with pytest.raises(UsageError, match=r"unknown natural-missingness table 'holy' \(did you mean 'holey'\?\); valid: "
                                         r"boys, brandsma, holey, house_votes84, ozone, pima_diabetes2"):
        check_grid(replace(cfg, track_options={"tables": ["holy"]}))
    with pytest.raises(UsageError, match=r"unknown natural-track score 'iscor' \(did you mean 'iscore'\?\); valid: downstream, masked, iscore, "
                                         r"obs_shift"):
        check_grid(replace(cfg, track_options={"scores": ["iscor"]}))
    # by default, every table available here: the shared ones need their folder, holey is in the data home
    assert check_grid(replace(cfg, track_options={})).datasets == [TABLE]
    empty = replace(cfg, track_options={}, source=DataSource(data_home=str(tmp_path / "none")))
    with pytest.raises(UsageError, match=r"no natural-missingness tables here: give --natural DIR"):
        check_grid(empty)


def test_the_cli_names_the_tracks_flags_and_a_table_added_without_its_holes(tmp_path, capsys):
    from imputebench.cli import main as cli

    csv = tmp_path / "t.csv"
    holey_frame().to_csv(csv, index=False)
    home = tmp_path / "home"
    assert cli(["datasets", "add", "plain", str(csv), "--target", "label", "--categorical", "colour", "--data-home",
                str(home)]) == 0
    capsys.readouterr()
    code = cli(["run", "--track", "natural", "--tables", "plain", "--data-home", str(home), "--results",
                str(tmp_path / "r"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "plain was added without its holes: add it again with --keep-missing" in err[0]
    assert not (tmp_path / "r").exists()


# -- the page -----------------------------------------------------------------------------------------
def test_disagreeing_rankings_are_said_plainly():
    from imputebench.reports.natural_page import agreement_sentence
    from imputebench.reports.natural_tables import agreement_of

    imputers = ["a", "b", "c", "d", "e"]
    rankings = pd.DataFrame(
        [{"table": "t", "score": "downstream", "imputer": i, "rank": r} for i, r in zip(imputers, [1, 2, 3, 4, 5])]
        + [{"table": "t", "score": "armse", "imputer": i, "rank": r} for i, r in zip(imputers, [5, 4, 3, 2, 1])]
        + [{"table": "t", "score": "obs_shift", "imputer": i, "rank": r} for i, r in zip(imputers, [2, 1, 3, 4, 5])])
    agreement = agreement_of(rankings)
    pair = {(r["score_a"], r["score_b"]): r for _, r in agreement.iterrows()}
    first = pair[("downstream", "armse")]
    assert first["spearman"] == pytest.approx(-1.0) and first["verdict"] == "disagree"
    assert pair[("downstream", "obs_shift")]["verdict"] == "agree"  # 0.9
    assert pair[("armse", "obs_shift")]["verdict"] == "disagree"  # -0.9
    text = agreement_sentence(first, {"downstream": "downstream", "armse": "ARMSE", "obs_shift": "shift"})
    assert text == "downstream and ARMSE disagree (Spearman -1.00 over 5 imputers): the first puts a first, the second e."


def test_the_page_renders_each_tables_pattern_rankings_and_downloads(holey_rows, tmp_path):
    from imputebench.reports.site import build_site

    build_site(holey_rows, tmp_path / "site", {"protocol_version": 1})
    html = (tmp_path / "site" / "natural.html").read_text()
    assert '<a href="natural.html"' in (tmp_path / "site" / "index.html").read_text()  # in the navigation
    assert "Where the scores disagree" in html and f'id="t-{TABLE}"' in html
    pattern = missingness_pattern(holey_frame().drop(columns="label"))
    assert html.count("<rect ") == len(pattern["patterns"]) * len(pattern["columns"])
    assert "x2, x4" in html and "complete-case model" in html and "ARMSE on extra masks" in html
    ranks = pd.read_csv(tmp_path / "site" / "data" / "natural-rankings.csv")
    assert set(ranks["score"]) == {"downstream", "armse", "iscore", "obs_shift"}
    assert ranks.set_index(["score", "imputer"]).loc[("armse", "knn"), "rank"] == 1
    assert "params" in ranks.columns  # each entry's hyper-parameters beside its ranks


def test_the_energy_iscore_is_a_truth_free_score_of_every_job(holey_rows):
    """PROTOCOL §10 c: the I-Score needs only the incomplete table; every imputer gets a finite score."""
    iscore = holey_rows[holey_rows["setting"] == "iscore"].set_index("imputer")["iscore"]
    assert set(iscore.index) == {"mean", "knn"} and np.isfinite(iscore.to_numpy(dtype=float)).all()
    assert holey_rows.loc[holey_rows["setting"] != "iscore", "iscore"].isna().all()


# -- slow: the runner, Ray, a killed run, the shared tables -----------------------------------------------
@pytest.mark.slow
@pytest.mark.xdist_group("ray")
def test_the_runner_gives_the_same_rows_on_ray_and_resumes(holey_home, tmp_path):
    pytest.importorskip("ray")
    local = run(natural_config(holey_home, tmp_path / "local", jobs=2))
    planned = 2 * (1 + 2 * 2 + len(TRUTH_FREE_SCORES))  # imputers x (downstream, masks, truth-free scores)
    assert local.statuses == {"ok": planned}
    on_ray = run(natural_config(holey_home, tmp_path / "ray", executor="ray", jobs=2)).rows
    cols = ["job_key", "status", "realised_rate", "rmse", "armse", "downstream", "complete_case_downstream",
            "native_downstream", "obs_shift"]
    pd.testing.assert_frame_equal(local.rows[cols].sort_values("job_key").reset_index(drop=True),
                                  on_ray[cols].sort_values("job_key").reset_index(drop=True), check_exact=True)
    again = run(natural_config(holey_home, tmp_path / "local", jobs=2))
    assert again.skipped == planned and not again.statuses


@pytest.mark.slow
def test_a_run_killed_midway_resumes_and_runs_every_job_once(holey_home, tmp_path):
    results = tmp_path / "results"
    cmd = [sys.executable, "-m", "imputebench.cli", "run", "--track", "natural", "--tables", TABLE, "--data-home",
           str(holey_home), "--imputers", "faulty:Slow,mean", "--mechanisms", "mcar,mar", "--seeds", "0-2",
           "--results", str(results), "--jobs", "2", "--no-report", "--quiet"]
    planned = 2 * 3 * (1 + 2 * 2 + len(TRUTH_FREE_SCORES))  # imputers x seeds x (downstream, masks, truth-free)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=ENV)
    store = ResultStore(results)
    deadline = time.time() + 240
    while time.time() < deadline and not store.files() and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, mid-run: no flush, no compaction
    proc.communicate(timeout=60)
    kept = len(store.load())
    assert 0 < kept < planned, kept
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=ENV)
    assert out.returncode == 0, out.stderr
    assert f"{planned} jobs: {kept} already in the store, {planned - kept} run ({planned - kept} ok)" in out.stdout
    raw = pd.read_parquet(results / "jobs")  # every row ever written: no job ran twice
    assert len(raw) == planned and raw["job_key"].is_unique and (raw["status"] == "ok").all()


@pytest.mark.slow
def test_the_five_shared_tables_run_end_to_end_and_render(tmp_path):
    from imputebench.datasets.natural import NATURAL_TABLES
    from imputebench.reports.render import render_report

    shared = natural_tables_dir()
    if shared is None:
        pytest.skip("natural tables ../shared/datasets-natural are absent (set IMPUTEBENCH_NATURAL to run this test)")
    cfg = RunConfig(track="natural", imputers=["mean", "knn"], mechanisms=["mcar"], profile="ci", jobs=2,
                    source=DataSource(data_home=str(tmp_path / "home"), natural=str(shared), allow_network=False),
                    results_dir=tmp_path / "results", progress=False)
    summary = run(cfg)
    rows = summary.rows
    assert set(rows["dataset"]) == set(NATURAL_TABLES) and not summary.unavailable
    assert len(rows) == 5 * 2 * (len(settings()) + 1) and (rows["status"] == "ok").all(), \
        rows.loc[rows["status"] != "ok", ["dataset", "setting", "imputer", "error"]]
    assert (rows["natural_missing"] > 0).all() and rows["max_rows"].eq(300).all()
    render_report(tmp_path / "results")
    html = (tmp_path / "results" / "site" / "natural.html").read_text()
    for name in NATURAL_TABLES:
        assert f'id="t-{name}"' in html
    assert html.count("<svg ") == 5
