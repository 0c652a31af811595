"""`imputebench reproduce gain --json`: output shape on one seed with a tiny iteration count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")

from imputebench.cli import main  # noqa: E402
from imputebench.gates.reproductions.gain import published  # noqa: E402


def test_published_numbers_are_package_data() -> None:
    pub = published()
    assert pub.loc["letter", "value"] == pytest.approx(0.1198)
    assert pub.loc["letter", "std"] == pytest.approx(0.0005)
    assert pub.loc["spambase", "value"] == pytest.approx(0.0513)
    assert pub.loc["spambase", "std"] == pytest.approx(0.0016)


@pytest.mark.slow
@pytest.mark.mirror
def test_reproduce_gain_json_shape(mirror: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["reproduce", "gain", "--json", "--seeds", "2", "--iterations", "20", "--jobs", "1",
                 "--mirror", str(mirror), "--data-home", str(tmp_path / "cache"),
                 "--results", str(tmp_path / "results"), "--offline"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert [r["dataset"] for r in result] == ["letter", "spambase"]
    for r in result:
        assert set(r) == {"dataset", "metric", "published_mean", "published_std", "measured_mean", "measured_std"}
        assert r["metric"] == "rmse"
        # 20 iterations learn little, but the pooled min-max RMSE is a real number in (0, 1).
        assert 0.0 < r["measured_mean"] < 1.0 and r["measured_std"] >= 0.0
    assert result[0]["published_mean"] == pytest.approx(0.1198)
    assert result[1]["published_mean"] == pytest.approx(0.0513)
    # The text view reuses the stored jobs and says why our spread differs from Table 2's (measured).
    code = main(["reproduce", "gain", "--seeds", "2", "--iterations", "20", "--jobs", "1",
                 "--mirror", str(mirror), "--data-home", str(tmp_path / "cache"),
                 "--results", str(tmp_path / "results"), "--offline"])
    text = capsys.readouterr().out
    assert code == 0 and "0.1198 ± 0.0005" in text
    assert "Seed spread on Letter" in text and "training variability" in text


def test_gain_departures_explain_the_spread_from_measurements() -> None:
    from imputebench.gates.reproductions.gain import departures
    from imputebench.registry.info import BUILTIN_INFO

    text = departures()
    for d in BUILTIN_INFO["gain"].deviations:
        assert str(d) in text
    assert any("gain_spread.md" in d.text for d in BUILTIN_INFO["gain"].deviations if d.kind == "result")
