"""Datasets that ship with scikit-learn, so the default run needs no network (PROTOCOL §1)."""

from __future__ import annotations

from typing import Callable

import pandas as pd
from sklearn import datasets as skd

from .canonical import Dataset, canonicalize


def _frame(loader: Callable, target: str) -> pd.DataFrame:
    bunch = loader(as_frame=True)
    df = bunch.frame.copy()
    return df.rename(columns={"target": target})


def load_wine() -> Dataset:
    df = _frame(skd.load_wine, "class")
    # UCI 109 names this column od280/od315_of_diluted_wines; the catalog spells it without '/'.
    df = df.rename(columns={"od280/od315_of_diluted_wines": "od280_od315_of_diluted_wines"})
    df["class"] = (df["class"] + 1).astype(str)  # UCI labels are 1..3
    return canonicalize("wine", df, target="class", target_kind="classification", source="scikit-learn")


def load_iris() -> Dataset:
    df = _frame(skd.load_iris, "class")
    names = skd.load_iris().target_names
    df["class"] = df["class"].map(lambda i: str(names[i]))
    df.columns = [c.replace(" (cm)", "").replace(" ", "_") for c in df.columns]
    return canonicalize("iris", df, target="class", target_kind="classification", source="scikit-learn")


def load_breast_cancer() -> Dataset:
    df = _frame(skd.load_breast_cancer, "diagnosis")
    df["diagnosis"] = df["diagnosis"].map({0: "M", 1: "B"})
    df.columns = [c.replace(" ", "_") for c in df.columns]
    return canonicalize(
        "breast_cancer", df, target="diagnosis", target_kind="classification", source="scikit-learn"
    )


def load_digits() -> Dataset:
    df = _frame(skd.load_digits, "digit")
    df["digit"] = df["digit"].astype(str)
    return canonicalize("digits", df, target="digit", target_kind="classification", source="scikit-learn")


def load_diabetes() -> Dataset:
    bunch = skd.load_diabetes(as_frame=True, scaled=False)
    df = bunch.frame.copy().rename(columns={"target": "progression"})
    return canonicalize(
        "diabetes", df, target="progression", target_kind="regression", categorical=["sex"],
        source="scikit-learn",
    )


# Keys of the package's references.bib that each scikit-learn dataset's use cites (`export paper`);
# wine's are in the catalog, which also declares it.
BUILTIN_CITES: dict[str, tuple[str, ...]] = {
    "iris": ("uci_iris", "fisher1936iris"),
    "breast_cancer": ("uci_breast_cancer",),
    "diabetes": ("efron2004diabetes",),
    "digits": ("uci_digits",),
}

BUILTIN_LOADERS: dict[str, Callable[[], Dataset]] = {
    "wine": load_wine,
    "iris": load_iris,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
    "diabetes": load_diabetes,
}
