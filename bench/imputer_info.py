"""What the harness and the leaderboard know about an imputer without importing it (no scikit-learn,
no torch): listing and planning read this, so a command pays only for what it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

PROFILES = ("quick", "paper", "ci")


@dataclass(frozen=True)
class ImputerInfo:
    """What the harness and the leaderboard need to know about an imputer."""

    name: str
    family: str
    description: str
    reference: str = ""
    native_categorical: bool = False
    uses_labels: bool = False
    gpu: bool = False
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Where this implementation or a profile departs from the paper, and why (shown on the site).
    deviations: tuple[str, ...] = ()

    def params_for(self, profile: str) -> dict[str, Any]:
        """Hyper-parameters for ``profile``; ``ci`` falls back to ``quick``, anything else to {}."""
        if profile in self.profiles:
            return dict(self.profiles[profile])
        if profile == "ci" and "quick" in self.profiles:
            return dict(self.profiles["quick"])
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "description": self.description,
            "reference": self.reference,
            "native_categorical": self.native_categorical,
            "uses_labels": self.uses_labels,
            "gpu": self.gpu,
            "profiles": {k: dict(v) for k, v in self.profiles.items()},
            "deviations": list(self.deviations),
        }
