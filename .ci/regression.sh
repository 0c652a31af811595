#!/usr/bin/env bash
# imputebench's own regression gate (issue 7, docs/ci-regression.md): run the `ci` profile on the
# built-in classical imputers and datasets into a temporary results directory and check it
# against the committed baseline. Called by .ci/run.
#
#   .ci/regression.sh            check; exit 1 when an imputer got worse
#   .ci/regression.sh --update   re-create results/ci-baseline.parquet (after an intended change)
#
# Environment: PYTHON (default: python), IMPUTEBENCH_CI_OUT (keep the results, JUnit report and
# summary there instead of a temporary directory), IMPUTEBENCH_CI_JOBS (workers, default 2).
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
BASELINE=results/ci-baseline.parquet
IMPUTERS=(mean median knn mice missforest xgbi pcai softimpute em)
DATASETS=(wine iris breast_cancer diabetes)

# One thread per BLAS/OpenMP pool: sums in a fixed order, so numbers repeat bit for bit.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

if [[ -n "${IMPUTEBENCH_CI_OUT:-}" ]]; then
    out=$IMPUTEBENCH_CI_OUT
    rm -rf "$out/results"
    mkdir -p "$out"
else
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
fi

imputebench() { "$PYTHON" -m imputebench.cli "$@"; }

echo "imputebench regression: running the ci profile into $out/results"
imputebench run --profile ci --imputers "${IMPUTERS[@]}" --datasets "${DATASETS[@]}" \
    --results "$out/results" --jobs "${IMPUTEBENCH_CI_JOBS:-2}"

if [[ "${1:-}" == "--update" ]]; then
    imputebench baseline save "$BASELINE" --results "$out/results"
    echo "imputebench regression: re-created $BASELINE; commit it with the change that moved the numbers"
    exit 0
fi

imputebench check --baseline "$BASELINE" --results "$out/results" \
    --junit "$out/junit.xml" --summary "$out/summary.md"
