"""Run profiles: the grid and the size of a run. Imputers carry their own per-profile
hyper-parameters (``ImputerInfo.profiles``); a profile here says which jobs to run.

- ``quick`` (the default): a row cap and 2 seeds, so the embedded default finishes in minutes.
- ``paper``: PROTOCOL defaults, full size, 5 seeds (PROTOCOL §2 rates, §6 seeds), 20 draws (§9; 5 elsewhere).
- ``ci``: tiny, for CI and regression gates; imputers run with their ``quick`` hyper-parameters
  unless they declare ``ci`` ones.

The profile names are declared here once; :mod:`imputebench.imputer_info` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError

SETTINGS = ("in-sample", "downstream")  # PROTOCOL §3


@dataclass(frozen=True)
class Profile:
    name: str
    max_rows: int | None
    seeds: tuple[int, ...]
    mechanisms: tuple[str, ...]
    rates: tuple[float, ...]
    settings: tuple[str, ...] = SETTINGS
    timeout: float = 600.0  # seconds per job
    # The profile whose hyper-parameters an imputer uses when it declares none for this one.
    imputer_params_from: str | None = None
    draws: int = 5  # PROTOCOL §9: m, the tables an imputer with sample draws per job


PROFILES: dict[str, Profile] = {
    "quick": Profile("quick", max_rows=2000, seeds=(0, 1), mechanisms=("mcar", "mar", "mnar"),
                     rates=(0.2, 0.5), timeout=300.0),
    "paper": Profile("paper", max_rows=None, seeds=(0, 1, 2, 3, 4),
                     mechanisms=("mcar", "mar", "mnar", "mnar_logistic"),
                     rates=(0.1, 0.2, 0.3, 0.5, 0.7), timeout=3600.0, draws=20),
    "ci": Profile("ci", max_rows=300, seeds=(0,), mechanisms=("mcar", "mar"), rates=(0.2,), timeout=120.0,
                  imputer_params_from="quick"),
}


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise UsageError(f"unknown profile {name!r}; valid: {', '.join(PROFILES)}")
    return PROFILES[name]
