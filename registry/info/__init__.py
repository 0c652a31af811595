"""Every built-in imputer's metadata (family, reference, profiles), readable without importing any
implementation: listing, planning and `imputers info` need no torch, xgboost or scikit-learn.

Each imputer module points its class's ``info`` at its entry here, so there is one declaration.
"""

from __future__ import annotations

from ..imputer_info import ImputerInfo

# GAIN's departures, and why its Letter spread is wider than published (tests/benchmarks/gain_spread.md).
GAIN_DEVIATIONS = (
    "hint: the paper's H = B*M + 0.5(1-B), with both adversarial losses on the cells the hint leaves open "
    "(hint='paper'); the released code's H = B*M over all cells is hint='reference'. On Letter both give the "
    "same mean and spread (0.1294 ± 0.0019 vs 0.1292 ± 0.0030, five seeds on one mask).",
    "Categorical columns are one-hot blocks with a softmax, the reconstruction term the squared error of the "
    "probabilities (categorical_loss='brier'); the reference treats every column as a number and rounds.",
    "paper profile: the 2020 released code's defaults (alpha 100, 10,000 iterations), in-sample on all rows. "
    "Table 2's numbers come from the 2018 code (alpha 10, 5,000 iterations, hint B*M, trained on a random "
    "80 % of the rows and scored on the other 20 %); that setting gives the same level and spread here "
    "(Letter 0.1293 ± 0.0026).",
    "Seed spread on Letter is about 0.004, not Table 2's 0.0005 (measured, tests/benchmarks/gain_spread.md): "
    "the mask adds at most 0.0003 and neither the hint form nor rounding matters; the spread is GAIN's training "
    "variability at its last iteration. Runs reach their best RMSE around 3,000-5,000 iterations and then drift "
    "by run-specific amounts (+0.005 on average by 10,000), so the spread grows from about 0.002 to 0.004; "
    "the paper does not say what varied between its runs. The mean stays 6-9 % above the published 0.1198.",
    "quick profile: 600 iterations instead of 10,000.",
)

BUILTIN_INFO: dict[str, ImputerInfo] = {
    "mean": ImputerInfo(
        name="mean", family="simple", native_categorical=True,
        description="Column mean for numbers, most frequent category for categories.",
        reference="scikit-learn SimpleImputer(strategy='mean'); the mode for categories",
    ),
    "median": ImputerInfo(
        name="median", family="simple", native_categorical=True,
        description="Column median for numbers, most frequent category for categories.",
        reference="scikit-learn SimpleImputer(strategy='median'); the mode for categories",
    ),
    "knn": ImputerInfo(
        name="knn", family="neighbours",
        description="Mean (numbers) or majority category of the k nearest fit rows by nan-euclidean distance.",
        reference="Troyanskaya et al. (2001), Missing value estimation methods for DNA microarrays, "
                  "Bioinformatics 17(6); paper profile = scikit-learn KNNImputer's defaults (5 neighbours, "
                  "uniform weights, nan-euclidean distance)",
        native_categorical=True,
        profiles={"quick": {"n_neighbors": 5}, "paper": {"n_neighbors": 5}},
    ),
    "mice": ImputerInfo(
        name="mice", family="iterative",
        description="R mice's defaults: predictive mean matching for numbers, logistic / multinomial regression "
                    "for categories, m=5 chains of 5 sweeps pooled into one table (cell mean / majority).",
        reference="van Buuren & Groothuis-Oudshoorn (2011), mice: Multivariate Imputation by Chained Equations in R, "
                  "J. Stat. Softw. 45(3); defaults of R mice 3.x (mice.impute.pmm, logreg, polyreg)",
        native_categorical=True,
        profiles={"quick": {"m": 5, "max_iter": 5, "donors": 5},
                  "paper": {"m": 5, "max_iter": 5, "donors": 5}},
        deviations=("categorical models use a weak L2 penalty on standardised predictors instead of R's "
                    "augment() pseudo-rows",
                    "the m imputations are pooled into one table: per-cell mean (numbers), majority (categories)"),
    ),
    "mice_linear": ImputerInfo(
        name="mice_linear", family="iterative",
        description="Chained Bayesian ridge (numbers) and multinomial logistic regression (categories), "
                    "posterior mean: scikit-learn IterativeImputer's recipe.",
        reference="scikit-learn IterativeImputer defaults (BayesianRidge, max_iter=10, tol=1e-3); "
                  "van Buuren & Groothuis-Oudshoorn (2011), J. Stat. Softw. 45(3)",
        native_categorical=True,
        profiles={"quick": {"max_iter": 5, "logistic_max_iter": 50},
                  "paper": {"max_iter": 10, "logistic_max_iter": 100}},
    ),
    "missforest": ImputerInfo(
        name="missforest", family="iterative",
        description="Random forest per column in chained sweeps, stopping when the imputation stops improving.",
        reference="Stekhoven & Bühlmann (2012), MissForest - non-parametric missing value imputation for "
                  "mixed-type data, Bioinformatics 28(1); paper profile = the R package missForest's defaults "
                  "(ntree=100, mtry=floor(sqrt(p)), maxiter=10, stop when the difference increases)",
        native_categorical=True,
        # quick: fewer fully grown trees (a smaller forest is the same model with more variance; a depth
        # cap is a different, biased one) and 2 sweeps; ranks like paper (profile_faithfulness.md).
        profiles={"quick": {"n_estimators": 20, "max_depth": None, "max_iter": 2, "n_jobs": 1,
                            "transform_models": "every-sweep"},
                  "paper": {"n_estimators": 100, "max_depth": None, "max_iter": 10, "n_jobs": 1,
                            "transform_models": "last-sweep"}},
        deviations=("scikit-learn's forests grow regression trees to single-row leaves; R randomForest (which "
                    "missForest calls) stops regression nodes at 5 rows (nodesize=5)",),
    ),
    "xgbi": ImputerInfo(
        name="xgbi", family="iterative",
        description="XGBoost regressor/classifier per column in chained sweeps (MissForest's loop and stopping rule).",
        reference="Chen & Guestrin (2016), XGBoost, KDD; loop after Stekhoven & Bühlmann (2012), Bioinformatics 28(1); "
                  "paper profile = XGBoost's scikit-learn defaults (100 trees, depth 6, eta 0.3, 256 bins) in "
                  "IterativeImputer's 10 rounds (HyperImpute's xgboost plug-in recipe)",
        native_categorical=True,
        # quick: XGBoost's depth and learning rate, 20 trees (at eta 0.3 the residual left after 20 rounds is
        # 0.7^20 < 1e-3 of the start, so later trees change little) and 2 sweeps; ranks like paper.
        profiles={"quick": {"n_estimators": 20, "max_depth": 6, "learning_rate": 0.3, "max_bin": 32, "max_iter": 2,
                            "n_jobs": 1},
                  "paper": {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.3, "max_iter": 10, "n_jobs": 1}},
    ),
    "pcai": ImputerInfo(
        name="pcai", family="low-rank",
        description="Regularised iterative PCA (missMDA imputePCA); categories through one-hot blocks.",
        reference="Josse & Husson (2012), Handling missing values in exploratory multivariate data analysis "
                  "methods, J. SFdS 153(2); Josse & Husson (2016), missMDA, J. Stat. Softw. 70(1); paper profile = "
                  "missMDA's estim_ncpPCA(method.cv='gcv', ncp.max=5) then imputePCA(method='Regularized', "
                  "coeff.ridge=1, threshold=1e-6, maxiter=1000)",
        native_categorical=False,
        profiles={"quick": {"ncp": "gcv", "ncp_max": 5, "tol": 1e-4, "max_iter": 50},
                  "paper": {"ncp": "gcv", "ncp_max": 5, "tol": 1e-6, "max_iter": 1000}},
    ),
    "softimpute": ImputerInfo(
        name="softimpute", family="low-rank",
        description="Iterative soft-thresholded SVD (nuclear-norm regularised matrix completion).",
        reference="Mazumder, Hastie & Tibshirani (2010), Spectral regularization algorithms for learning large "
                  "incomplete matrices, JMLR 11; paper profile = fancyimpute SoftImpute's defaults (shrinkage = "
                  "largest singular value / 50, convergence_threshold=0.001, max_iters=100, no rank cap)",
        native_categorical=False,
        profiles={"quick": {"shrinkage_fraction": 0.1, "tol": 1e-3, "max_iter": 50},
                  "paper": {"shrinkage_fraction": 0.02, "tol": 1e-3, "max_iter": 100}},
    ),
    "em": ImputerInfo(
        name="em", family="likelihood",
        description="Expectation-maximisation for a multivariate normal; conditional means fill the gaps.",
        reference="Dempster, Laird & Rubin (1977), Maximum likelihood from incomplete data via the EM algorithm, "
                  "JRSS B 39(1); Little & Rubin (2019), Statistical Analysis with Missing Data, ch. 11; paper "
                  "profile: iterate to tol=1e-5 (at most 200 EM steps), ridge 1e-3 for invertibility",
        native_categorical=False,
        profiles={"quick": {"max_iter": 30, "tol": 1e-3, "ridge": 1e-3},
                  "paper": {"max_iter": 200, "tol": 1e-5, "ridge": 1e-3}},
    ),
    "gain": ImputerInfo(
        name="gain", family="deep",
        description="Generative adversarial imputation: generator fills, discriminator with a hint guesses the mask.",
        reference="Yoon, Jordon & van der Schaar. GAIN: Missing Data Imputation using Generative "
                  "Adversarial Nets. ICML 2018.",
        native_categorical=True, gpu=True,
        profiles={
            "quick": {"iterations": 600, "adapt_iterations": 200},
            # The released code's defaults (jsyoon0823/GAIN main_letter_spam.py, 2020).
            "paper": {"iterations": 10000, "batch_size": 128, "hint_rate": 0.9, "alpha": 100.0,
                      "adapt_iterations": 2000},
        },
        deviations=GAIN_DEVIATIONS,
    ),
    "midae": ImputerInfo(
        name="midae", family="deep",
        description="Over-complete denoising autoencoder (MIDA), mean-initialised, averaged over several models.",
        reference="Gondara & Wang. MIDA: Multiple Imputation using Denoising Autoencoders. PAKDD 2018.",
        native_categorical=True, gpu=True,
        profiles={
            "quick": {"epochs": 30, "n_imputations": 1, "adapt_epochs": 30},
            "paper": {"epochs": 500, "theta": 7, "depth": 3, "dropout": 0.5, "n_imputations": 5,
                      "adapt_epochs": 100},
        },
    ),
    "vaei": ImputerInfo(
        name="vaei", family="deep",
        description="Variational autoencoder trained on observed cells; missing cells filled by iterated reconstruction, "
                    "each iterate kept inside its column's observed range.",
        reference="McCoy, Kroon & Auret. Variational Autoencoders for Missing Data Imputation with "
                  "Application to a Simulated Milling Circuit. IFAC-PapersOnLine 51(21), 2018.",
        native_categorical=True, gpu=True,
        profiles={
            # clip_to_observed is named (though the default) so that job keys change with it: rows
            # computed before the bound existed are not taken for rows computed with it.
            "quick": {"epochs": 25, "batch_size": 64, "learning_rate": 0.003, "clip_to_observed": True,
                      "adapt_epochs": 25},
            "paper": {"epochs": 500, "batch_size": 250, "hidden": 20, "latent_dim": 5, "impute_iterations": 25,
                      "clip_to_observed": True, "adapt_epochs": 100},
        },
    ),
    "hivae": ImputerInfo(
        name="hivae", family="deep",
        description="Heterogeneous-incomplete VAE: Gaussian-mixture prior, one likelihood head per column type.",
        reference="Nazabal, Olmos, Ghahramani & Valera. Handling Incomplete Heterogeneous Data using VAEs. "
                  "Pattern Recognition 107, 2020.",
        native_categorical=True, gpu=True,
        profiles={
            "quick": {"epochs": 30, "batch_size": 100},
            "paper": {"epochs": 100, "batch_size": 1000, "dim_s": 10, "dim_z": 10, "dim_y": 5},
        },
    ),
    "miwae": ImputerInfo(
        name="miwae", family="deep",
        description="Importance-weighted autoencoder trained on observed cells; imputes by importance sampling.",
        reference="Mattei & Frellsen. MIWAE: Deep Generative Modelling and Imputation of Incomplete "
                  "Data Sets. ICML 2019.",
        native_categorical=True, gpu=True,
        profiles={
            "quick": {"epochs": 8, "n_samples": 10, "n_impute_samples": 100, "adapt_epochs": 8},
            "paper": {"epochs": 2002, "batch_size": 64, "hidden": 128, "latent_dim": 10, "n_samples": 20,
                      "n_impute_samples": 10000, "adapt_epochs": 200},
        },
    ),
    "metagain": ImputerInfo(
        name="metagain", family="deep",
        description="GAIN generator with a Gaussian embedding (KL), a task regulariser on the labels and "
                    "meta-learned loss weights (bi-level update on a per-class meta set held out from training).",
        reference="Tong, Zhu & Gan, Meta-GAIN for Missing Data Imputation, AAAI 2026",
        native_categorical=True, uses_labels=True, gpu=True,
        profiles={
            # CPU-feasible: 500 iterations instead of 10000, so a larger step (SGD at 1e-2 needs the
            # paper's budget to leave the mean-imputation plateau).
            "quick": {"n_iterations": 500, "lr": 0.2},
            # The paper's Implementation Details: meta set 10 % of each class, S ~ U[0, 1], SGD momentum
            # 0.9, batch 64, lr 1e-2 with decay 1e-5, 5-layer MLPs of 100 units, grid {0.01, 0.1, 1, 10}.
            "paper": {"n_iterations": 10000, "batch_size": 64, "hidden_dim": 100, "n_layers": 5,
                      "latent_dim": 100, "lr": 1e-2, "momentum": 0.9, "decay": 1e-5, "meta_fraction": 0.1,
                      "weight_grid": (0.01, 0.1, 1.0, 10.0)},
        },
        deviations=(
            "The meta network is trained with Adam (lr 1e-3, as Meta-Weight-Net) instead of the paper's SGD: "
            "under SGD at lr 1e-2 its meta gradient (scaled by the look-ahead step) leaves the loss weights "
            "where they start (measured on wine over 2,000 iterations: within 0.14 % of 0.01 with SGD, moved by "
            "factors of 1e-2 to 2e2 with Adam; tests/benchmarks/metagain_meta_optimizer.md). "
            "meta_optimizer='sgd' runs the paper's variant.",
            "With the meta network off, the fixed weights come from the paper's grid {0.01, 0.1, 1, 10} searched "
            "one weight at a time (4 short fits per term, 1/10 of the iterations, scored on held-out observed "
            "cells of the meta set), not over all 4^3 combinations; the paper does not say how it searched.",
            "The paper does not give the embedding width; latent_dim is 100 (the hidden width). The meta loss is "
            "the reconstruction error on the meta set's observed entries (Eq. 12 as we read it).",
            "Categorical columns are one-hot blocks with a softmax and cross-entropy (the paper does not say "
            "how it encodes them).",
            "quick profile: 500 iterations at lr 0.2 instead of 10,000 at 1e-2 (same architecture and batch).",
            "ARMSE is the suite's definition (PROTOCOL §5); the paper defines it only loosely, so levels can differ.",
        ),
    ),
    "diffputer": ImputerInfo(
        name="diffputer", family="deep",
        description="EM around an EDM diffusion model: M-step trains an MLP denoiser on the completed data, "
                    "E-step samples missing entries conditioned on observed ones by the reverse process.",
        reference="Zhang et al., Unleashing the Potential of Diffusion Models for Incomplete Data Imputation, "
                  "ICLR 2025",
        native_categorical=False, gpu=True,
        profiles={
            # CPU-feasible: a narrow net, few epochs at a larger step, short chains, few samples.
            "quick": {"n_em_iterations": 2, "n_epochs": 300, "width": 128, "n_steps": 20, "n_samples": 3,
                      "resample_steps": 2, "lr": 1e-3, "weight_decay": 1e-6, "lr_patience": 20},
            # The official code's setting (main.py / diffusion_utils.py), which the paper points to.
            "paper": {"n_em_iterations": 10, "n_epochs": 10000, "patience": 500, "width": 1024,
                      "n_steps": 50, "n_samples": 20, "resample_steps": 20, "batch_size": 4096,
                      "lr": 1e-4, "weight_decay": 0.0, "lr_patience": 50},
        },
        deviations=(
            "The paper profile takes its EM rounds (10), width (1024), sampling steps (50), resamplings per "
            "step (20), draws (20) and optimiser (Adam, lr 1e-4, batch 4096, early stop after 500 idle epochs) "
            "from the official code's defaults, where the paper's text leaves them open.",
            "quick profile: 2 EM rounds instead of 10, width 128 instead of 1024, at most 300 epochs per M-step "
            "instead of 10,000 (lr 1e-3 instead of 1e-4, to learn in that budget), 20 sampling steps instead of "
            "50, 2 resamplings instead of 20, 3 draws averaged instead of 20.",
            "Categorical columns are one-hot blocks decoded by arg-max over the block (the reference thresholds "
            "each one-hot bit at 0.5, which can yield no or several categories; PROTOCOL §4 needs one).",
            "Scores are on the [0, 1] min-max scale of PROTOCOL §5; the paper reports MAE/RMSE in z-score units "
            "of the training data, so levels differ from its tables by each column's scale.",
        ),
    ),
    "remasker": ImputerInfo(
        name="remasker", family="deep",
        description="Masked-autoencoder transformer over columns, trained by re-masking observed values.",
        reference="Du, Melis & Wang, ReMasker: Imputing Tabular Data with Masked Autoencoding, ICLR 2024",
        native_categorical=True, gpu=True,
        profiles={
            # CPU-feasible: a shallow, narrow transformer, fewer epochs, a larger step.
            "quick": {"embed_dim": 32, "depth": 2, "decoder_depth": 1, "num_heads": 4, "max_epochs": 300,
                      "warmup_epochs": 10, "max_steps": 1500, "batch_size": 64, "lr": 1e-2,
                      "adapt_max_steps": 300},
            # The official code's setting for the larger tables (configs.py: letter, spam, wine, obesity).
            "paper": {"embed_dim": 64, "depth": 8, "decoder_depth": 6, "num_heads": 4, "mlp_ratio": 4.0,
                      "max_epochs": 600, "warmup_epochs": 40, "max_steps": None, "batch_size": 64,
                      "mask_ratio": 0.5, "lr": 1e-3, "min_lr": 1e-5, "weight_decay": 0.05,
                      "adapt_max_epochs": 100},
        },
        deviations=(
            "One paper setting for every table (width 64, depths 8/6: the official configs for letter, spam, "
            "wine, obesity); the official code shrinks the network for some small tables (width 32, depths 4/2 "
            "or 6/4).",
            "quick profile: width 32 instead of 64, encoder/decoder depth 2/1 instead of 8/6, at most 300 epochs "
            "and 1,500 optimiser steps instead of 600 epochs, 10 warm-up epochs instead of 40, lr 1e-2 instead "
            "of 1e-3.",
            "Categorical columns are tokens with a learned embedding per category and a softmax head "
            "(cross-entropy); the paper and its code handle numbers only.",
            "The encoder sees exactly each row's visible tokens (its observed columns, less the re-masked "
            "ones while training), batched by padding shorter rows and masking the padding out of the "
            "attention. The official code keeps a fixed count, int(columns x (1 - mask_ratio)), per training "
            "row, so a row with fewer observed columns also feeds some of its missing (zero-valued) tokens "
            "to the encoder; here they stay hidden. At imputation time both see the observed columns.",
        ),
    ),
    "hyperimpute": ImputerInfo(
        name="hyperimpute", family="iterative",
        description="Iterative column-wise imputation with per-column model selection by cross-validation "
                    "from a pool of regressors/classifiers (linear, random forest, XGBoost).",
        reference="Jarrett et al., HyperImpute: Generalized Iterative Imputation with Automatic Model "
                  "Selection, ICML 2022",
        native_categorical=True,
        profiles={
            "quick": {"pool": "small", "max_iter": 3, "cv_folds": 3, "selection_rows": 300,
                      "reselect_every_iteration": False},
            "paper": {"pool": "full", "max_iter": 100, "cv_folds": 3, "selection_rows": None,
                      "reselect_every_iteration": True},
        },
    ),
}
