"""A track that exists only in the test suite (no core edits): the ``halves`` track fits an imputer
on the masked first half of a table's rows and scores its imputation of the masked second half.

Registered in the driver by :func:`imputebench.tracks.register_track`; workers (spawned or Ray)
import this module by themselves when they unpickle a :class:`HalvesJob`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from imputebench.harness.guard import ImputerGuard, device_of, failure_fields
from imputebench.harness.job import DataSource, JobResult, KeyedMemo, RunContext, core_row, counted_warnings, identity_key
from imputebench.protocol.masks import PackedMask, apply_mask, draw_mask, job_rng, job_seed
from imputebench.tracks import Plan, Track, TrackOption
from imputebench.tracks.grid import check_dataset_names, check_shared_axes, unique

NAME = "halves"
_masks = KeyedMemo(4)


@dataclass
class HalvesGrid:
    datasets: list[str]
    imputers: list[str]
    mechanisms: list[str]
    rates: list[float]
    seeds: list[int]
    params: dict[str, str]

    def as_record(self) -> dict[str, Any]:
        return {"track": NAME, **{k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in self.__dict__.items()}}


@dataclass(frozen=True)
class HalvesJob:
    dataset: str
    dataset_checksum: str
    mechanism: str
    rate: float
    seed: int
    imputer: str
    params: str
    profile: str

    track: ClassVar[str] = NAME

    @property
    def key(self) -> str:
        return identity_key([NAME, self.dataset, self.dataset_checksum, self.mechanism, f"{self.rate:.6g}", self.seed,
                             self.imputer, self.params])

    @property
    def mask_key(self) -> str:
        return identity_key([NAME, self.dataset, self.dataset_checksum, self.mechanism, f"{self.rate:.6g}", self.seed])

    @property
    def data_key(self) -> str:
        return identity_key([NAME, self.dataset, self.dataset_checksum])

    def mask_shape(self, data: Any) -> tuple[int, int]:
        return data.X.shape

    def load_data(self, source: DataSource) -> Any:
        from imputebench.datasets import load_dataset

        return load_dataset(self.dataset, mirror=source.mirror, data_home=source.data_home,
                            allow_network=source.allow_network)

    def base_row(self, context: RunContext) -> dict[str, Any]:
        return {**core_row(self, context), "dataset": self.dataset, "dataset_checksum": self.dataset_checksum,
                "mechanism": self.mechanism, "rate": self.rate, "seed": self.seed, "imputer": self.imputer,
                "params": self.params, "profile": self.profile, "setting": NAME}

    def run(self, context: RunContext, mask: PackedMask | None, data: Any) -> JobResult:
        from imputebench.protocol.metrics import imputation_metrics

        row = self.base_row(context)
        drawn = None
        if mask is None:
            mask = drawn = _masks.get(self.mask_key, lambda: PackedMask.pack(
                draw_mask(data.X, self.mechanism, self.rate, job_rng(f"{NAME}|{self.dataset}", self.mechanism,
                                                                     self.rate, self.seed)), {"realised_rate": 0.0}))
        m = mask.unpack()
        half = len(data.X) // 2
        masked = apply_mask(data.X, m)
        row.update(n_rows=len(data.X) - half, n_features=data.X.shape[1], fit_rows=half,
                   realised_rate=float(1.0 - m[half:].mean()))
        with counted_warnings(row):
            try:
                guard = ImputerGuard(context.memory_limit_mb)
                imputer = guard.make(self.imputer, json.loads(self.params),
                                     job_seed(self.dataset, self.mechanism, self.rate, self.seed) % 2 ** 31)
                with guard:
                    guard.call(imputer, "fit", masked.iloc[:half], data.y.iloc[:half] if data.y is not None else None)
                    out = guard.call(imputer, "transform", masked.iloc[half:])
                    scores = imputation_metrics(data.X.iloc[half:], out, m[half:], reference=data.X)
                row.update(scores, status="ok", device=device_of(imputer), **guard.measurements())
            except Exception as exc:
                row.update(failure_fields(exc, context.memory_limit_mb))
        return JobResult(row, None, drawn)


class HalvesTrack(Track):
    name = NAME
    description = "fit on the first half of the rows, impute the second (a test-only track)"
    options = (TrackOption("--halves-datasets", "datasets", "list", help="datasets (default: iris)"),)
    columns = (("fit_rows", "int64"),)

    def check_grid(self, cfg) -> HalvesGrid:
        axes = check_shared_axes(cfg)
        datasets = unique(cfg.track_options.get("datasets") or ["iris"])
        check_dataset_names(datasets, cfg.source.data_home)
        return HalvesGrid(datasets, axes.imputers, axes.mechanisms, axes.rates, axes.seeds, axes.params)

    def plan(self, cfg, grid: HalvesGrid) -> Plan:
        from imputebench.datasets import load_dataset

        data, jobs = {}, []
        for d in grid.datasets:
            ds = load_dataset(d, mirror=cfg.source.mirror, data_home=cfg.source.data_home)
            job0 = None
            for m in grid.mechanisms:
                for r in grid.rates:
                    for s in grid.seeds:
                        for i in grid.imputers:
                            job0 = HalvesJob(d, ds.checksum, m, r, s, i, grid.params[i], cfg.profile)
                            jobs.append(job0)
            if job0 is not None:
                data[job0.data_key] = ds
        return Plan(grid, jobs, {}, data)


TRACK = HalvesTrack()
