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
    citation: str = ""  # BibTeX entries to cite for this imputer (`imputebench export paper`'s references.bib)

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
            "citation": self.citation,
        }


# The optional transfer contract (PROTOCOL §7): a profile's ``adapt_*`` keys are the fine-tune budget,
# passed to ``adapt(X, y, **budget)``, not to the constructor. Here, in a light module, because the
# registry splits them when it builds an imputer and checks them when a plan is built.
ADAPT_PREFIX = "adapt_"


def split_adapt_params(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(constructor params, fine-tune budget): ``adapt_epochs=20`` becomes ``adapt(..., epochs=20)``."""
    init = {k: v for k, v in params.items() if not k.startswith(ADAPT_PREFIX)}
    budget = {k[len(ADAPT_PREFIX):]: v for k, v in params.items() if k.startswith(ADAPT_PREFIX)}
    return init, budget
