"""The classical built-ins' declarations: simple, neighbour, iterative, low-rank and likelihood
imputers. The default run is the ones marked ``default_run``."""

from __future__ import annotations

from ...imputer_info import Deviation, ImputerInfo
from .row import BuiltinImputer

MEAN = BuiltinImputer("imputebench.registry.mean:MeanImputer", default_run=True, info=ImputerInfo(
    name="mean", cites=('pedregosa2011sklearn',), family="simple", native_categorical=True,
    description="Column mean for numbers, most frequent category for categories.",
    reference="scikit-learn SimpleImputer(strategy='mean'); the mode for categories",
))

MEDIAN = BuiltinImputer("imputebench.registry.median:MedianImputer", default_run=True, info=ImputerInfo(
    name="median", cites=('pedregosa2011sklearn',), family="simple", native_categorical=True,
    description="Column median for numbers, most frequent category for categories.",
    reference="scikit-learn SimpleImputer(strategy='median'); the mode for categories",
))

KNN = BuiltinImputer("imputebench.registry.knn:KNNImputer", default_run=True, info=ImputerInfo(
    name="knn", cites=('troyanskaya2001knn',), family="neighbours",
    description="Mean (numbers) or majority category of the k nearest fit rows by nan-euclidean distance.",
    reference="Troyanskaya et al. (2001), Missing value estimation methods for DNA microarrays, "
              "Bioinformatics 17(6); paper profile = scikit-learn KNNImputer's defaults (5 neighbours, "
              "uniform weights, nan-euclidean distance)",
    native_categorical=True,
    profiles={"quick": {"n_neighbors": 5}, "paper": {"n_neighbors": 5}},
))

MICE = BuiltinImputer("imputebench.registry.mice:MICEImputer", default_run=True, info=ImputerInfo(
    name="mice", cites=('vanbuuren2011mice',), family="iterative",
    description="R mice's defaults: predictive mean matching for numbers, logistic / multinomial regression "
                "for categories, m=5 chains of 5 sweeps pooled into one table (cell mean / majority).",
    reference="van Buuren & Groothuis-Oudshoorn (2011), mice: Multivariate Imputation by Chained Equations in R, "
              "J. Stat. Softw. 45(3); defaults of R mice 3.x (mice.impute.pmm, logreg, polyreg)",
    native_categorical=True,
    profiles={"quick": {"m": 5, "max_iter": 5, "donors": 5},
              "paper": {"m": 5, "max_iter": 5, "donors": 5}},
    deviations=(
        Deviation("code", "categorical models use a weak L2 penalty on standardised predictors instead of R's "
                          "augment() pseudo-rows"),
        Deviation("code", "R mice prunes predictors, and this implementation does not: before each column's "
                          "model remove.lindep drops predictors whose variance on the observed rows is below "
                          "1e-4, those correlated above 0.99 with the column, and (while the smallest-to-largest "
                          "eigenvalue ratio of their correlation matrix is below 1e-4) the one loading most on "
                          "the smallest eigenvector; find.collinear removes constant and collinear columns "
                          "before imputing. Here every other column predicts and only exactly aliased "
                          "predictors are dropped (pivoted QR, as lm.fit), so tables with nearly collinear "
                          "columns can be imputed differently from R."),
        Deviation("code", "the m imputations are pooled into one table: per-cell mean (numbers), majority "
                          "(categories); R mice returns m tables"),
    ),
))

MICE_LINEAR = BuiltinImputer("imputebench.registry.mice:MICELinearImputer", info=ImputerInfo(
    name="mice_linear", cites=('vanbuuren2011mice', 'pedregosa2011sklearn'), family="iterative",
    description="Chained Bayesian ridge (numbers) and multinomial logistic regression (categories), "
                "posterior mean: scikit-learn IterativeImputer's recipe.",
    reference="scikit-learn IterativeImputer defaults (BayesianRidge, max_iter=10, tol=1e-3); "
              "van Buuren & Groothuis-Oudshoorn (2011), J. Stat. Softw. 45(3)",
    native_categorical=True,
    profiles={"quick": {"max_iter": 5, "logistic_max_iter": 50},
              "paper": {"max_iter": 10, "logistic_max_iter": 100}},
    deviations=(
        Deviation("profile-cut", "5 sweeps instead of 10, at most 50 logistic-regression iterations instead of 100.",
                  profile="quick", params=("max_iter", "logistic_max_iter")),
    ),
))

MISSFOREST = BuiltinImputer("imputebench.registry.missforest:MissForestImputer", default_run=True, info=ImputerInfo(
    name="missforest", cites=('stekhoven2012missforest',), family="iterative",
    description="Random forest per column in chained sweeps, stopping when the imputation stops improving.",
    reference="Stekhoven & Bühlmann (2012), MissForest - non-parametric missing value imputation for "
              "mixed-type data, Bioinformatics 28(1); paper profile = the R package missForest's defaults "
              "(ntree=100, mtry=floor(sqrt(p)), maxiter=10, stop when the difference increases)",
    native_categorical=True,
    profiles={"quick": {"n_estimators": 20, "max_depth": None, "max_iter": 2, "n_jobs": 1,
                        "transform_models": "every-sweep"},
              "paper": {"n_estimators": 100, "max_depth": None, "max_iter": 10, "n_jobs": 1,
                        "transform_models": "last-sweep"}},
    deviations=(
        Deviation("code", "scikit-learn's forests grow regression trees to single-row leaves; R randomForest "
                          "(which missForest calls) stops regression nodes at 5 rows (nodesize=5)"),
        # A smaller forest is the same model with more variance; a depth cap would be a different, biased one.
        Deviation("profile-cut", "20 fully grown trees instead of 100 and at most 2 sweeps instead of 10; new rows "
                                 "go through both sweeps' forests (every-sweep), not only the last one's (small "
                                 "forests fit in memory, and it is better out of sample). Ranks like paper "
                                 "(tests/benchmarks/profile_faithfulness.md).",
                  profile="quick", params=("n_estimators", "max_iter", "transform_models")),
    ),
))

XGBI = BuiltinImputer("imputebench.registry.xgbi:XGBImputer", default_run=True, info=ImputerInfo(
    name="xgbi", cites=('chen2016xgboost', 'stekhoven2012missforest'), family="iterative",
    description="XGBoost regressor/classifier per column in chained sweeps (MissForest's loop and stopping rule).",
    reference="Chen & Guestrin (2016), XGBoost, KDD; loop after Stekhoven & Bühlmann (2012), Bioinformatics 28(1); "
              "paper profile = XGBoost's scikit-learn defaults (100 trees, depth 6, eta 0.3, 256 bins) in "
              "IterativeImputer's 10 rounds (HyperImpute's xgboost plug-in recipe)",
    native_categorical=True,
    profiles={"quick": {"n_estimators": 20, "max_depth": 6, "learning_rate": 0.3, "max_bin": 32, "max_iter": 2,
                        "n_jobs": 1},
              "paper": {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.3, "max_iter": 10, "n_jobs": 1}},
    deviations=(
        # At eta 0.3 the residual left after 20 rounds is 0.7^20 < 1e-3 of the start: later trees change little.
        Deviation("profile-cut", "XGBoost's depth and learning rate with 20 trees instead of 100, 32 histogram "
                                 "bins instead of 256 and 2 sweeps instead of 10; ranks like paper.",
                  profile="quick", params=("n_estimators", "max_bin", "max_iter")),
    ),
))

PCAI = BuiltinImputer("imputebench.registry.pcai:PCAImputer", default_run=True, info=ImputerInfo(
    name="pcai", cites=('josse2012pca', 'josse2016missmda'), family="low-rank",
    description="Regularised iterative PCA (missMDA imputePCA); categories through one-hot blocks.",
    reference="Josse & Husson (2012), Handling missing values in exploratory multivariate data analysis "
              "methods, J. SFdS 153(2); Josse & Husson (2016), missMDA, J. Stat. Softw. 70(1); paper profile = "
              "missMDA's estim_ncpPCA(method.cv='gcv', ncp.max=5) then imputePCA(method='Regularized', "
              "coeff.ridge=1, threshold=1e-6, maxiter=1000)",
    native_categorical=False,
    profiles={"quick": {"ncp": "gcv", "ncp_max": 5, "tol": 1e-4, "max_iter": 50},
              "paper": {"ncp": "gcv", "ncp_max": 5, "tol": 1e-6, "max_iter": 1000}},
    deviations=(
        Deviation("profile-cut", "convergence threshold 1e-4 instead of 1e-6, at most 50 iterations "
                                 "instead of 1,000.", profile="quick", params=("tol", "max_iter")),
    ),
))

SOFTIMPUTE = BuiltinImputer("imputebench.registry.softimpute:SoftImputer", default_run=True, info=ImputerInfo(
    name="softimpute", cites=('mazumder2010softimpute',), family="low-rank",
    description="Iterative soft-thresholded SVD (nuclear-norm regularised matrix completion).",
    reference="Mazumder, Hastie & Tibshirani (2010), Spectral regularization algorithms for learning large "
              "incomplete matrices, JMLR 11; paper profile = fancyimpute SoftImpute's defaults (shrinkage = "
              "largest singular value / 50, convergence_threshold=0.001, max_iters=100, no rank cap)",
    native_categorical=False,
    profiles={"quick": {"shrinkage_fraction": 0.1, "tol": 1e-3, "max_iter": 50},
              "paper": {"shrinkage_fraction": 0.02, "tol": 1e-3, "max_iter": 100}},
    deviations=(
        Deviation("profile-cut", "shrinkage of a tenth of the largest singular value instead of a fiftieth, at "
                                 "most 50 iterations instead of 100.",
                  profile="quick", params=("shrinkage_fraction", "max_iter")),
    ),
))

EM = BuiltinImputer("imputebench.registry.em:EMImputer", default_run=True, info=ImputerInfo(
    name="em", cites=('dempster1977em',), family="likelihood",
    description="Expectation-maximisation for a multivariate normal; conditional means fill the gaps.",
    reference="Dempster, Laird & Rubin (1977), Maximum likelihood from incomplete data via the EM algorithm, "
              "JRSS B 39(1); Little & Rubin (2019), Statistical Analysis with Missing Data, ch. 11; paper "
              "profile: iterate to tol=1e-5 (at most 200 EM steps), ridge 1e-3 for invertibility",
    native_categorical=False,
    profiles={"quick": {"max_iter": 30, "tol": 1e-3, "ridge": 1e-3},
              "paper": {"max_iter": 200, "tol": 1e-5, "ridge": 1e-3}},
    deviations=(
        Deviation("profile-cut", "convergence tolerance 1e-3 instead of 1e-5, at most 30 EM steps instead of "
                                 "200.", profile="quick", params=("max_iter", "tol")),
    ),
))

ROWS = (MEAN, MEDIAN, KNN, MICE, MICE_LINEAR, MISSFOREST, XGBI, PCAI, SOFTIMPUTE, EM)
