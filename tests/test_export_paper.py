"""`imputebench export paper`: tables, marks, citations, the README, LaTeX that compiles and PDFs that render.

Rows are built here (a small, fully known grid), so every expected number is computed from them
independently; the end-to-end tests run the real CLI on a real `imputebench run` store and on the
shipped `quick-v1` reference set (slow)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imputebench.cli import main
from imputebench.errors import UsageError
from imputebench.imputer_info import ImputerInfo
from imputebench.registry.mean import MeanImputer
from imputebench.reports import leaderboard as lb
from imputebench.datasets import dataset_cites, dataset_names
from imputebench.registry.info import BUILTIN_INFO
from imputebench.reports.paper.bib import BibError, collect_references, parse_bibtex

# What each built-in imputer and dataset declares it cites (ImputerInfo.cites, CatalogEntry.cites).
IMPUTER_KEYS = {name: info.cites for name, info in BUILTIN_INFO.items()}
DATASET_KEYS = {name: dataset_cites(name) for name in dataset_names()}
from imputebench.reports.paper.export import ExportOptions, export_paper
from imputebench.reports.paper.latex import escape
from imputebench.reports.paper.readme import Source
from imputebench.reports.paper.selection import Selection
from imputebench.reports.paper.tables import leaderboard_table, rank_marks
from imputebench.harness.store import rows_to_table

PLUGIN = "my_imp&co"  # a plugin name with LaTeX specials, to check escaping
LEVEL = {"em": 0.10, "knn": 0.14, "mean": 0.25, PLUGIN: 0.30}


def make_rows(datasets=("iris", "wine"), imputers=("em", "knn", "mean", PLUGIN), rates=(0.2, 0.5),
              mechanisms=("mcar", "mar"), seeds=(0, 1), settings=("in-sample",)) -> pd.DataFrame:
    """A grid of rows with known scores: each imputer's level + a per-dataset, per-rate and per-seed
    offset; knn fails on (wine, mar, 0.5, seed 1); the plugin is infeasible on iris at 0.5."""
    out = []
    for d_i, dataset in enumerate(datasets):
        for setting in settings:
            for mechanism in mechanisms:
                for rate in rates:
                    for seed in seeds:
                        for imputer in imputers:
                            value = LEVEL.get(imputer, 0.2) + 0.01 * d_i + 0.1 * rate + 0.003 * seed
                            status, error = "ok", None
                            if (imputer, dataset, mechanism, rate, seed) == ("knn", "wine", "mar", 0.5, 1):
                                status, error = "failed", "ValueError: boom"
                            if imputer == PLUGIN and dataset == "iris" and rate == 0.5:
                                status, error = "infeasible", "needs a class target"
                            ok = status == "ok"
                            out.append({
                                "job_key": f"{dataset}-{setting}-{mechanism}-{rate}-{seed}-{imputer}",
                                "dataset": dataset, "mechanism": mechanism, "rate": rate, "seed": seed,
                                "imputer": imputer, "params": json.dumps({"k": 5}) if imputer == "knn" else "{}",
                                "params_overridden": False,  # as a store writes it: the profile's own settings
                                "profile": "quick", "setting": setting, "status": status, "error": error,
                                "armse": value if ok else np.nan, "rmse": value * 1.1 if ok else np.nan,
                                "downstream": 0.9 - value if ok else np.nan, "complete_downstream": 0.95,
                                # a metric with an underscore: table names and LaTeX labels carry it
                                "cat_accuracy": 0.8 - value if ok else np.nan,
                                "fit_seconds": {"em": 0.5, "knn": 0.05, "mean": 0.01}.get(imputer, 1.0),
                                "transform_seconds": 0.0, "protocol_version": 1,
                                "versions": json.dumps({"imputebench": "0.1.0", "numpy": "2.0"}),
                                "run_id": "run-1", "track": "main",
                            })
    return rows_to_table(out).to_pandas()


def export(rows: pd.DataFrame, out: Path, figures: bool = False, **selection) -> object:
    return export_paper(rows, out, Selection(**selection), Source("test rows", [{"run_id": "run-1",
                        "command": "imputebench run --test", "started_at": "2026-01-01T00:00:00"}]),
                        "imputebench export paper --test", ExportOptions(figures=figures, n_boot=50), "0.1.0")


def tex_rows(tex: str) -> list[list[str]]:
    """The data rows of a generated tabular: cells split on '&', the label first."""
    body = tex.split(r"\midrule", 1)[1].split(r"\bottomrule", 1)[0]
    rows = []
    for line in body.splitlines():
        line = line.strip()
        if line.endswith(r"\\") and not line.startswith((r"\multicolumn", r"\midrule")):
            rows.append([c.strip() for c in line[:-2].split(" & ")])
    return rows


# -- pure parts ------------------------------------------------------------------------------------
def test_rank_marks_follow_the_protocols_ties():
    # 0.1 and 0.1 + 1e-12 are equal under PROTOCOL §6 (relative 1e-9): both best, 0.2 second.
    assert list(rank_marks(np.array([0.1, 0.1 + 1e-12, 0.2, 0.3, np.nan]), False)) == ["best", "best", "second", "",
                                                                                       ""]
    assert list(rank_marks(np.array([0.5, 0.9, 0.7]), True)) == ["", "best", "second"]
    # 1e-6 apart is a real difference.
    assert list(rank_marks(np.array([0.1, 0.1 + 1e-6]), False)) == ["best", "second"]


def test_escape_makes_latex_specials_text():
    assert escape("a_b&c%$#{}~^\\") == r"a\_b\&c\%\$\#$\{$$\}$\~{}\^{}$\backslash$"
    assert escape("0.1 ± 0.2 — §6") == r"0.1 $\pm$ 0.2 --- $\S$6"


def test_parse_bibtex_is_strict():
    good = "% a comment\n@article{k1, author = {A and B}, title = {T {X}}, year = 2020}\n@misc{k2,title=\"Q\"}"
    entries = parse_bibtex(good)
    assert [e.key for e in entries] == ["k1", "k2"]
    assert entries[0].fields["title"] == "T {X}" and entries[0].fields["year"] == "2020"
    for bad in ("@article{k, title = {unbalanced}", "@misc{k, title={a}}\n@misc{k, title={b}}",
                "stray text\n@misc{k, title={a}}", "@misc{k, title}"):
        with pytest.raises(BibError):
            parse_bibtex(bad)


def test_references_cover_every_builtin_and_parse():
    refs = collect_references(IMPUTER_KEYS, DATASET_KEYS)
    keys = {e.key for e in parse_bibtex(refs.text)}
    assert "imputebench" in keys and not refs.missing and not refs.problems
    for table in (IMPUTER_KEYS, DATASET_KEYS):
        for name, wanted in table.items():
            assert wanted, f"{name} declares no citation"
            assert set(wanted) <= keys, name
            assert refs.keys[name] == list(wanted)


def test_plugin_citation_is_used_and_a_broken_one_reported():
    good = "@inproceedings{me2026, author = {Me}, title = {My imputer}, booktitle = {X}, year = {2026}}"
    refs = collect_references(["mean", "mine", "broken"], ["iris"], {"mine": good, "broken": "@misc{x, title"})
    assert refs.keys["mine"] == ["me2026"] and "me2026" in {e.key for e in parse_bibtex(refs.text)}
    assert refs.keys["broken"] == [] and any("broken" in p for p in refs.problems)
    assert "imputer broken" in refs.missing


def test_leaderboard_table_shows_a_rating_when_the_rows_carry_one():
    boards = pd.DataFrame({"setting": "in-sample", "metric": "armse", "mechanism": lb.ALL, "rate": lb.ALL,
                           "imputer": ["a", "b", "c"], "mean_rank": [1.0, 2.0, 3.0], "ci_low": [1.0, 1.5, 2.0],
                           "ci_high": [2.0, 2.5, 3.0], "win_rate": [0.8, 0.5, 0.2], "n_datasets": 4,
                           "rating": [1.2, 0.4, 0.4 + 1e-13], "rating_low": [0.9, 0.1, 0.1],
                           "rating_high": [1.5, 0.7, 0.7], **{f"n_{s}": 0 for s in ("ok", "diverged", "failed",
                                                                                     "timeout", "infeasible")}})
    table = leaderboard_table(boards, "in-sample", "armse", pd.Series({"a": 1.0}))
    assert table.columns[0] == "rating"
    assert [cells[0].mark for _, cells in table.rows] == ["best", "second", "second"]  # higher is better; tie
    assert table.rows[0][1][1].text == "[0.90, 1.50]"
    plain = leaderboard_table(boards.drop(columns=["rating", "rating_low", "rating_high"]), "in-sample", "armse",
                              pd.Series(dtype=float))
    assert plain.columns[0] == "mean rank" and plain.rows[0][1][0].mark == "best"


# -- the export folder ---------------------------------------------------------------------------
def test_bold_marks_the_best_mean_and_failures_are_marked(tmp_path):
    rows = make_rows()
    export(rows, tmp_path / "out")
    tex = (tmp_path / "out" / "tables" / "results-in-sample-armse.tex").read_text()
    header = [h.strip() for h in re.search(r"dataset & (.*) \\\\", tex).group(1).split(" & ")]
    assert header == ["em", "knn", "mean", escape(PLUGIN)]
    # Expected from the rows themselves: the mean over ok seeds per (dataset, mechanism, rate, imputer).
    ok = rows[rows["status"] == "ok"]
    means = ok.groupby(["mechanism", "rate", "dataset", "imputer"])["armse"].mean()
    groups = [(m, r) for m in ("mar", "mcar") for r in (0.2, 0.5)]
    body = tex_rows(tex)
    assert len(body) == len(groups) * 2
    for (mechanism, rate), dataset, cells in zip([g for g in groups for _ in (0, 1)], ["iris", "wine"] * 4, body):
        assert cells[0] == dataset and len(cells) == 5 and all(cells)  # never a blank cell
        expected = means.loc[(mechanism, rate, dataset)]
        bold = [i for i, c in enumerate(cells[1:]) if c.startswith(r"\textbf{")]
        assert [header[i] for i in bold] == [expected.idxmin()]
        assert cells[1 + bold[0]].startswith(rf"\textbf{{{expected.min():.3f} $\pm$")
        under = [header[i] for i, c in enumerate(cells[1:]) if c.startswith(r"\underline{")]
        assert under == [expected.drop(expected.idxmin()).idxmin()]
    # knn lost one of two seeds on (wine, MAR, 50 %): a number with the failed symbol; the plugin has
    # no success on iris at 50 %: the status in italics.
    knn = f"{means.loc[('mar', 0.5, 'wine', 'knn')]:.3f}"  # one seed left: no sd
    assert body[3][2] == rf"\underline{{{knn}}}$^{{\dagger}}$"
    assert body[2][4] == r"\textit{infeasible}$^{\P}$"
    assert "infeasible: the imputer cannot run" in tex and "failed: the imputer raised" in tex


def test_export_folder_holds_tables_in_three_formats_bib_and_readme(tmp_path):
    rows = make_rows()
    out = tmp_path / "out"
    export(rows, out)
    for name in ("results-in-sample-armse", "leaderboard-in-sample-armse"):
        for suffix in (".tex", ".md", ".csv"):
            assert (out / "tables" / f"{name}{suffix}").is_file(), name + suffix
    csv = pd.read_csv(out / "tables" / "results-in-sample-armse.csv")
    wine = csv[(csv.dataset == "wine") & (csv.mechanism == "mcar") & (csv.rate == 0.2)].set_index("imputer")
    assert wine.loc["em", "mark"] == "best" and wine.loc["knn", "mark"] == "second"
    assert wine.loc["em", "mean"] == pytest.approx(0.10 + 0.01 + 0.02 + 0.0015)
    md = (out / "tables" / "results-in-sample-armse.md").read_text()
    assert "**0.132 ± 0.002**" in md and "_0.172 ± 0.002_" in md and "my\\_imp&co" in md
    bib = {e.key for e in parse_bibtex((out / "references.bib").read_text())}
    for imputer in ("em", "knn", "mean"):
        assert set(IMPUTER_KEYS[imputer]) <= bib
    assert set(DATASET_KEYS["iris"]) | set(DATASET_KEYS["wine"]) | {"imputebench"} <= bib
    readme = (out / "README.md").read_text()
    for text in ("imputebench export paper --test", "imputebench run --test", "**protocol version**: 1",
                 "**profile**: quick", '`{"k": 5}`', "numpy 2.0", f"imputer {PLUGIN}", "20 %, 50 %"):
        assert text in readme, text
    # A higher-is-better metric: em, with the lowest error, has the highest score and is bold in every row.
    cat = tex_rows((out / "tables" / "results-in-sample-cat_accuracy.tex").read_text())
    assert len(cat) == 8 and all(r[1].startswith(r"\textbf{") for r in cat)
    # The leaderboard leads with the rating (higher is better): em, best everywhere, is first and bold.
    leader = (out / "tables" / "leaderboard-in-sample-armse.tex").read_text()
    lead = tex_rows(leader)
    ratings = [float(r[1].removeprefix(r"\textbf{").removeprefix(r"\underline{").rstrip("}")) for r in lead]
    assert lead[0][0] == "em" and lead[0][1].startswith(r"\textbf{") and ratings == sorted(ratings, reverse=True)
    assert "rating" in leader and "mean rank (1 = best)" not in leader


def test_seed_paper_layouts_appear_where_the_rows_hold_their_grid(tmp_path):
    rows = make_rows(datasets=("letter", "spambase", "wine"), imputers=("mean", "knn"), rates=(0.2,),
                     mechanisms=("mcar",), settings=("in-sample", "downstream"))
    export(rows, tmp_path / "out")
    tables = tmp_path / "out" / "tables"
    gain = (tables / "gain-table2.tex").read_text()
    assert [r[0] for r in tex_rows(gain)] == ["knn", "mean"]  # GAIN prints algorithms as rows
    assert re.search(r"imputer & letter & spambase", gain)
    table4 = tex_rows((tables / "metagain-table4.tex").read_text())
    assert [r[0] for r in table4] == ["wine", "letter"]  # the paper's order, only datasets present
    assert all(r[-1] == "0.950" for r in table4)  # the complete-data column
    assert not (tables / "metagain-table2.tex").exists()  # no MAR rows: no Table 2
    # Meta-GAIN's Table 1 has no spambase: only the paper's datasets are its rows.
    assert [r[0] for r in tex_rows((tables / "metagain-table1.tex").read_text())] == ["wine", "letter"]


def test_refuses_a_foreign_folder_and_replaces_its_own(tmp_path):
    rows = make_rows(imputers=("em", "knn", "mean"))
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        export(rows, foreign)
    out = tmp_path / "out"
    export(rows, out)
    export(rows, out, datasets=("iris",))  # a narrower export replaces the earlier one's files
    csv = pd.read_csv(out / "tables" / "results-in-sample-armse.csv")
    assert set(csv["dataset"]) == {"iris"}
    with pytest.raises(UsageError, match="no dataset nope"):
        export(rows, out, datasets=("nope",))


def transfer_rows() -> pd.DataFrame:
    """Transfer-track rows (PROTOCOL §7): one task, two seeds, errors 0.8x (pooled) and 0.9x (fine-tune)
    the target-only error."""
    transfer = []
    for seed in (0, 1):
        for n_target in (50, 200):
            for strategy, factor in (("target-only", 1.0), ("pooled", 0.8), ("fine-tune", 0.9)):
                e = 0.2 * factor + 0.01 * seed
                transfer.append({"job_key": f"t-{seed}-{n_target}-{strategy}", "dataset": "adult", "task": "adult-sex",
                                 "mechanism": "mcar", "rate": 0.2, "seed": seed, "imputer": "mean",
                                 "setting": "in-sample", "status": "ok", "armse": e, "track": "transfer",
                                 "strategy": strategy, "n_target": n_target, "fit_seconds": 0.1,
                                 "transform_seconds": 0.0, "params": "{}", "profile": "quick", "protocol_version": 1,
                                 "versions": "{}"})
    return rows_to_table(transfer).to_pandas()


def test_transfer_rows_get_their_own_gain_table(tmp_path):
    rows = make_rows(imputers=("em", "mean"), rates=(0.2,), mechanisms=("mcar",))
    rows = pd.concat([rows, transfer_rows()], ignore_index=True)
    export(rows, tmp_path / "out")
    csv = pd.read_csv(tmp_path / "out" / "tables" / "transfer-gain-armse.csv")
    pooled = csv[(csv.strategy == "pooled") & (csv.n_target == 50)]["mean"].item()
    expected = np.mean([1 - (0.16 + 0.01 * s) / (0.2 + 0.01 * s) for s in (0, 1)])
    assert pooled == pytest.approx(expected)
    tex = (tmp_path / "out" / "tables" / "transfer-gain-armse.tex").read_text()
    assert r"\textbf{+" in tex and "n\\_target = 50" in tex
    # The main tables never mix the transfer rows in.
    main = pd.read_csv(tmp_path / "out" / "tables" / "results-in-sample-armse.csv")
    assert "adult" not in set(main["dataset"])


def test_meta_gain_ablation_table_splits_the_variants(tmp_path):
    rows = make_rows(datasets=("wine", "yeast"), imputers=("gain", "metagain"), rates=(0.2,), mechanisms=("mcar",),
                     seeds=(0,))
    off = rows[rows["imputer"] == "metagain"].assign(
        params=json.dumps({"use_kl": False}), armse=lambda f: f["armse"] + 0.05,
        job_key=lambda f: f["job_key"] + "-kl-off")
    export(pd.concat([rows, off], ignore_index=True), tmp_path / "out")
    tex = (tmp_path / "out" / "tables" / "metagain-table5.tex").read_text()
    header = re.search(r"dataset & (.*) \\\\", tex).group(1).split(" & ")
    assert header == ["Meta-GAIN: KL off, meta on, task on", "Meta-GAIN: KL on, meta on, task on", "gain (all off)"]
    body = tex_rows(tex)
    assert [r[0] for r in body] == ["yeast", "wine"]  # the paper's order
    # metagain at its defaults ties with gain (the same synthetic level): both bold; KL off (+0.05) second.
    wine = rows[(rows.dataset == "wine") & (rows.imputer == "metagain")]["armse"].item()
    assert body[1][1:] == [rf"\underline{{{wine + 0.05:.3f}}}", rf"\textbf{{{wine:.3f}}}", rf"\textbf{{{wine:.3f}}}"]


def test_two_settings_of_one_imputer_are_two_rows_of_the_leaderboard(tmp_path):
    rows = make_rows(imputers=("em", "knn", "mean"))
    # knn again with k=10, a --param override, scoring worse: pooled with k=5 it would be one blended row.
    other = rows[rows["imputer"] == "knn"].assign(
        params=json.dumps({"k": 10}), params_overridden=True, armse=lambda f: f["armse"] + 0.3,
        job_key=lambda f: f["job_key"] + "-k10")
    export(pd.concat([rows, other], ignore_index=True), tmp_path / "out")
    board = pd.read_csv(tmp_path / "out" / "tables" / "leaderboard-in-sample-armse.csv")
    assert sorted(board["imputer"]) == ["em", "knn", "knn[k=10]", "mean"]
    lead = [r[0] for r in tex_rows((tmp_path / "out" / "tables" / "leaderboard-in-sample-armse.tex").read_text())]
    assert sorted(lead) == ["em", "knn", "knn[k=10]", "mean"] and lead[-1] == "knn[k=10]"  # worst everywhere
    results = pd.read_csv(tmp_path / "out" / "tables" / "results-in-sample-armse.csv")
    iris = results[(results.dataset == "iris") & (results.mechanism == "mcar") & (results.rate == 0.2)]
    means = iris.set_index("imputer")["mean"]
    assert means["knn[k=10]"] == pytest.approx(means["knn"] + 0.3)  # each its own jobs, not their average
    bib = {e.key for e in parse_bibtex((tmp_path / "out" / "references.bib").read_text())}
    assert set(IMPUTER_KEYS["knn"]) <= bib  # cited by its registered name


class Cited(MeanImputer):
    """A plugin that declares its citation (ImputerInfo.citation)."""

    info = ImputerInfo(name="cited", family="test", description="mean, with a citation",
                       citation="@article{cited2026, author = {Doe, Jane}, title = {Cited}, journal = {J}, year = {2026}}")


def test_a_plugin_declares_its_citation(tmp_path):
    rows = make_rows(imputers=("mean", "test_export_paper:Cited"), rates=(0.2,), mechanisms=("mcar",))
    export(rows, tmp_path / "out")
    entries = {e.key: e for e in parse_bibtex((tmp_path / "out" / "references.bib").read_text())}
    assert entries["cited2026"].fields["author"] == "Doe, Jane"
    assert "test_export_paper:Cited: cited2026" in (tmp_path / "out" / "README.md").read_text()


def test_reference_rows_without_a_manifest(tmp_path, capsys):
    import pyarrow.parquet as pq

    path = tmp_path / "rows.parquet"
    pq.write_table(rows_to_table(make_rows(imputers=("em", "mean")).to_dict("records")), path)
    assert main(["export", "paper", "--reference", str(path), "--out", str(tmp_path / "out"), "--no-figures",
                 "--metric", "armse", "--mechanism", "mcar"]) == 0
    csv = pd.read_csv(tmp_path / "out" / "tables" / "results-in-sample-armse.csv")
    assert set(csv["mechanism"]) == {"mcar"} and set(csv["imputer"]) == {"em", "mean"}
    assert "reference rows `rows.parquet`" in (tmp_path / "out" / "README.md").read_text()
    assert main(["export", "paper", "--reference", str(path), "--out", str(tmp_path / "out2"),
                 "--rate", "0.3"]) == 2
    assert "no rate 0.3 in these rows; valid: 0.2, 0.5" in capsys.readouterr().err


# -- LaTeX and PDFs --------------------------------------------------------------------------------
def pdflatex(folder: Path) -> Path:
    for _ in range(2):
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd=folder,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:]
    return folder / "paper.pdf"


def rendered_png(pdf: Path, out: Path, page: int = 1) -> np.ndarray:
    """A page of a PDF rendered by poppler's pdftoppm, as an image array."""
    from matplotlib.image import imread

    subprocess.run(["pdftoppm", "-r", "50", "-f", str(page), "-l", str(page), "-png", "-singlefile", str(pdf),
                    str(out)], check=True, capture_output=True, timeout=120)
    return imread(out.with_suffix(".png"))


def assert_drawn(image: np.ndarray) -> None:
    """Not blank: some pixels are dark (ink) and most are background."""
    grey = image[..., :3].mean(axis=2)
    assert (grey < 0.5).mean() > 0.001 and (grey > 0.9).mean() > 0.3


@pytest.fixture(scope="module")
def exported_with_figures(tmp_path_factory):
    """One export with figures for the figure, LaTeX and rendering tests (ARMSE only: 5 figures)."""
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("paper") / "out"
    export(pd.concat([make_rows(), transfer_rows()], ignore_index=True), out, figures=True, metrics=("armse",))
    return out


def test_figures_are_vector_pdfs_with_embedded_fonts_and_pngs(exported_with_figures):
    figures = exported_with_figures / "figures"
    widths = {"cd-in-sample-armse": 3.3, "pareto-in-sample-armse": 3.3, "ranks-in-sample-armse": 7.0,
              "rate-in-sample-armse-iris": 7.0, "transfer-gain-armse": 7.0}  # one- and two-column papers
    for name, inches in widths.items():
        pdf = (figures / f"{name}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf  # TrueType embedded (pdf.fonttype 42)
        assert b"/Type3" not in pdf
        box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        assert float(box.group(1)) == pytest.approx(72 * inches), name
        assert (figures / f"{name}.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (Debian poppler-utils) is not installed")
def test_figure_pdfs_open_and_render(exported_with_figures, tmp_path):
    for pdf in sorted((exported_with_figures / "figures").glob("*.pdf")):
        assert_drawn(rendered_png(pdf, tmp_path / pdf.stem))


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="pdflatex is not installed (Debian: texlive-latex-base texlive-latex-recommended)")
def test_latex_compiles_with_every_table_and_figure(exported_with_figures, tmp_path):
    pdf = pdflatex(exported_with_figures)
    log = (exported_with_figures / "paper.log").read_text(errors="replace")
    assert "Undefined control sequence" not in log and "LaTeX Error" not in log
    assert b"/Type3" not in pdf.read_bytes()  # no bitmap font: every glyph from a Type 1 or TrueType font
    if shutil.which("pdftoppm"):
        assert_drawn(rendered_png(pdf, tmp_path / "page1"))


# -- end to end: the command on real stores (slow) -------------------------------------------------
@pytest.mark.slow
def test_cli_on_a_real_run(tmp_path, capsys):
    results, out = tmp_path / "results", tmp_path / "paper"
    assert main(["run", "--profile", "ci", "--datasets", "iris,wine", "--imputers", "mean,knn,em", "--results",
                 str(results), "--no-report", "--quiet"]) == 0
    args = ["export", "paper", "--results", str(results), "--out", str(out)]
    if shutil.which("pdflatex"):
        args.append("--pdf")
    assert main(args) == 0
    assert "exported" in capsys.readouterr().out
    readme = (out / "README.md").read_text()
    assert "imputebench run --profile ci --datasets iris,wine" in readme  # the run's own command
    assert (out / "figures" / "cd-in-sample-armse.pdf").is_file()
    if shutil.which("pdflatex"):
        assert (out / "paper.pdf").stat().st_size > 10_000


@pytest.mark.slow
def test_cli_on_the_quick_v1_reference_set(tmp_path):
    out = tmp_path / "paper"
    assert main(["export", "paper", "--reference", "quick-v1", "--out", str(out), "--setting", "in-sample",
                 "--metric", "armse"]) == 0
    leader = tex_rows((out / "tables" / "leaderboard-in-sample-armse.tex").read_text())
    assert len(leader) == 19 and leader[0][1].startswith(r"\textbf{")
    results = (out / "tables" / "results-in-sample-armse.tex").read_text()
    assert r"\begin{longtable}" in results and "part 3 of 3" in results  # 19 imputers in 3 parts
    assert "infeasible" in results  # metagain on the regression tables
    bib = {e.key for e in parse_bibtex((out / "references.bib").read_text())}
    assert all(set(keys) <= bib for keys in IMPUTER_KEYS.values())
    if shutil.which("pdflatex"):
        pdflatex(out)
