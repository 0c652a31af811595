"""`imputebench reproduce metagain`: the paper's Tables 1-4 beside ours (tiny budget, wine only)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from imputebench.cli import main
from imputebench.gates.reproductions.metagain import METHOD_TO_IMPUTER, published, rankings, render_rankings

pytest.importorskip("torch")

TINY = ["--datasets", "wine", "--seeds", "0", "--profile", "ci", "--methods", "Mean,Meta-GAIN,GAIN",
        "--param", "metagain.n_iterations=20", "--param", "metagain.hidden_dim=16", "--offline"]


def test_published_values_are_package_data_with_their_source():
    pub = published()
    assert set(pub["table"]) == {"Table 1", "Table 2", "Table 3", "Table 4"}
    assert pub["source"].str.contains("Meta-GAIN").all()
    # Every method the paper prints maps to a suite imputer, except the complete-data column.
    assert set(pub["method"]) - set(METHOD_TO_IMPUTER) == {"Complete"}
    wine_t1 = pub[(pub["table"] == "Table 1") & (pub["dataset"] == "wine")]
    assert len(wine_t1) == 10


@pytest.mark.slow
def test_reproduce_json_rows(tmp_path, capsys):
    assert main(["reproduce", "metagain", *TINY, "--results", str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = out["rows"]
    assert rows and set(rows[0]) == {"table", "dataset", "mechanism", "method", "metric", "published",
                                     "measured_mean", "measured_std"}
    assert {r["dataset"] for r in rows} == {"wine"}
    by_key = {(r["table"], r["method"]): r for r in rows}
    for table in ("Table 1", "Table 2", "Table 3"):
        for method in ("Mean", "Meta-GAIN"):
            r = by_key[(table, method)]
            assert np.isfinite(r["measured_mean"]) and 0 < r["measured_mean"] < 1, r
    assert np.isfinite(by_key[("Table 4", "Meta-GAIN")]["measured_mean"])
    assert 0.5 < by_key[("Table 4", "Complete")]["measured_mean"] <= 1.0
    # Methods we did not run keep the paper's number and no measurement.
    assert np.isnan(by_key[("Table 1", "KNNI")]["measured_mean"])
    # GAIN is asked for; it is either measured or listed as skipped with a reason.
    assert "GAIN" in out["skipped_methods"] or np.isfinite(by_key[("Table 1", "GAIN")]["measured_mean"])


@pytest.mark.slow
def test_reproduce_prints_tables_and_reuses_the_store(tmp_path, capsys):
    args = ["reproduce", "metagain", *TINY, "--results", str(tmp_path)]
    assert main(args) == 0
    text = capsys.readouterr().out
    for table in ("Table 1", "Table 2", "Table 3", "Table 4"):
        assert table in text
    assert "published / ours" in text and "wine" in text
    first = [line for line in text.splitlines() if line.startswith("wine")]
    assert main(args) == 0  # the second run finds every job in the store: same numbers
    again = [line for line in capsys.readouterr().out.splitlines() if line.startswith("wine")]
    assert first == again


def test_rankings_put_the_papers_order_beside_ours_for_the_methods_measured():
    import pandas as pd

    rows = [("Table 1", "wine", "armse", "Mean", 0.228, 0.207), ("Table 1", "wine", "armse", "GAIN", 0.171, 0.210),
            ("Table 1", "wine", "armse", "Meta-GAIN", 0.156, 0.150), ("Table 1", "wine", "armse", "KNNI", 0.204, np.nan),
            ("Table 4", "wine", "accuracy", "Complete", 0.983, 0.98), ("Table 4", "wine", "accuracy", "GAIN", 0.947, 0.97),
            ("Table 4", "wine", "accuracy", "Meta-GAIN", 0.962, 0.93)]
    table = pd.DataFrame(rows, columns=["table", "dataset", "metric", "method", "published", "measured_mean"])
    ranks = rankings(table).set_index("table")
    assert ranks.loc["Table 1", "paper"] == "Meta-GAIN < GAIN < Mean"  # KNNI not measured: left out
    assert ranks.loc["Table 1", "ours"] == "Meta-GAIN < Mean < GAIN"
    assert ranks.loc["Table 1", "same_best"]
    assert ranks.loc["Table 4", "paper"] == "Meta-GAIN > GAIN"  # accuracy: high first, Complete left out
    assert not ranks.loc["Table 4", "same_best"]
    assert "(best differs)" in render_rankings(table)


def test_ablation_variants_map_to_metagain_switches():
    from imputebench.gates.reproductions.metagain import ablation_switches

    methods = published(ablation=True).query("table == 'Table 5'")["method"].unique()
    switches = [ablation_switches(m) for m in methods]
    assert len(methods) == 8 and len({tuple(sorted(s.items())) for s in switches}) == 8
    assert ablation_switches("Meta-GAIN ID=on;MN=off;TR=on") == {"use_kl": True, "use_meta": False, "use_task": True}


@pytest.mark.slow  # nine small runs (eight Table 5 variants and GAIN)
def test_ablation_all_off_row_is_gain_on_the_same_masks(tmp_path, capsys):
    from imputebench.gates.reproductions.metagain import is_gain_row

    assert is_gain_row("Meta-GAIN ID=off;MN=off;TR=off") and not is_gain_row("Meta-GAIN ID=off;MN=on;TR=off")
    args = ["reproduce", "metagain", "--datasets", "wine", "--seeds", "0", "--profile", "ci",
            "--methods", "GAIN,Meta-GAIN", "--param", "metagain.n_iterations=10", "--param", "metagain.hidden_dim=8",
            "--param", "metagain.search_iterations=2", "--param", "gain.iterations=20", "--offline",
            "--results", str(tmp_path), "--ablation", "--json"]
    assert main(args) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    by_key = {(r["table"], r["method"]): r for r in rows}
    all_off = by_key[("Table 5", "Meta-GAIN ID=off;MN=off;TR=off")]
    # The same jobs as Table 1's GAIN (same masks, same imputer): the same number, not Meta-GAIN's.
    assert all_off["measured_mean"] == by_key[("Table 1", "GAIN")]["measured_mean"]
    assert np.isfinite(all_off["measured_mean"])
    others = [r for (t, m), r in by_key.items() if t == "Table 5" and m != "Meta-GAIN ID=off;MN=off;TR=off"]
    assert len(others) == 7 and all(np.isfinite(r["measured_mean"]) for r in others)
    import pandas as pd

    jobs = pd.read_parquet(tmp_path / "jobs")
    assert set(jobs["imputer"]) == {"gain", "metagain"}
