#!/usr/bin/env bash
# imputebench's own regression gate (docs/ci-regression.md): run the `ci` profile on the
# built-in classical imputers and datasets into a temporary results directory and check it
# against the committed baseline. Called by .ci/run.
#
#   .ci/regression.sh            replay the baseline's grid and check it; exit 1 when an imputer got worse
#   .ci/regression.sh --update   re-create results/ci-baseline.parquet from every available classical
#                                imputer (after an intended change, or when an imputer was added)
#
# Environment: PYTHON (default: python); IMPUTEBENCH_CI_OUT (keep the results, JUnit report and
# summary there instead of in a temporary directory; default $IMPUTEBENCH_ARTIFACTS/regression when
# .ci/run sets IMPUTEBENCH_ARTIFACTS); IMPUTEBENCH_CI_JOBS (workers, default 2).
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
BASELINE=results/ci-baseline.parquet
DATASETS=wine,iris,breast_cancer,diabetes   # built in (scikit-learn): no network

# One thread per BLAS/OpenMP pool: sums in a fixed order, so numbers repeat bit for bit.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

if [[ -z "${IMPUTEBENCH_CI_OUT:-}" && -n "${IMPUTEBENCH_ARTIFACTS:-}" ]]; then
    IMPUTEBENCH_CI_OUT=$IMPUTEBENCH_ARTIFACTS/regression
fi
if [[ -n "${IMPUTEBENCH_CI_OUT:-}" ]]; then
    out=$IMPUTEBENCH_CI_OUT
    rm -rf "$out/results"
    mkdir -p "$out"
else
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
fi

imputebench() { "$PYTHON" -m imputebench.cli "$@"; }
run_opts=(--results "$out/results" --jobs "${IMPUTEBENCH_CI_JOBS:-2}" --no-report --quiet --offline)

if [[ "${1:-}" == "--update" ]]; then
    imputers=$("$PYTHON" -c 'from imputebench.registry import CLASSICAL, discover
print(",".join(n for n in CLASSICAL if discover()[n].available))')
    echo "imputebench regression: running the ci profile ($imputers on $DATASETS)"
    imputebench run --profile ci --imputers "$imputers" --datasets "$DATASETS" "${run_opts[@]}"
    imputebench baseline save "$BASELINE" --results "$out/results"
    echo "imputebench regression: re-created $BASELINE; commit it with the change that moved the numbers"
    exit 0
fi

# Replay exactly the baseline's grid: an imputer that can no longer be imported fails the run.
read -r -a grid <<< "$(imputebench baseline show "$BASELINE" --run-args)"
echo "imputebench regression: imputebench run ${grid[*]}"
imputebench run "${grid[@]}" "${run_opts[@]}"
# all=1e-6: CI builds a fresh venv, and a newer BLAS or library may move the last digits; a real
# regression is orders of magnitude larger.
# mice's discrete choices (PMM donors) are made robust to last digits (docs/ci-regression.md,
# Reproducibility), so one tolerance serves every imputer.
imputebench check --baseline "$BASELINE" --results "$out/results" --tolerance all=1e-6 \
    --junit "$out/junit.xml" --summary "$out/summary.md"
