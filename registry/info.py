"""Every built-in imputer's metadata (family, reference, profiles), readable without importing any
implementation: listing, planning and `imputers info` need no torch, xgboost or scikit-learn.

Each imputer module points its class's ``info`` at its entry here, so there is one declaration.
"""

from __future__ import annotations

from ..imputer_info import ImputerInfo

BUILTIN_INFO: dict[str, ImputerInfo] = {
    "mean": ImputerInfo(
        name="mean", family="simple", native_categorical=True,
        description="Column mean for numbers, most frequent category for categories.",
    ),
    "median": ImputerInfo(
        name="median", family="simple", native_categorical=True,
        description="Column median for numbers, most frequent category for categories.",
    ),
    "knn": ImputerInfo(
        name="knn", family="neighbours",
        description="Mean (numbers) or majority category of the k nearest fit rows by nan-euclidean distance.",
        reference="Troyanskaya et al. (2001), Missing value estimation methods for DNA microarrays, "
                  "Bioinformatics 17(6)",
        native_categorical=True,
        profiles={"quick": {"n_neighbors": 5}, "paper": {"n_neighbors": 5}},
    ),
    "mice": ImputerInfo(
        name="mice", family="iterative",
        description="Chained equations: Bayesian ridge for numbers, multinomial logistic regression for categories.",
        reference="van Buuren & Groothuis-Oudshoorn (2011), mice: Multivariate Imputation by Chained Equations in R, "
                  "J. Stat. Softw. 45(3)",
        native_categorical=True,
        profiles={"quick": {"max_iter": 5, "logistic_max_iter": 50},
                  "paper": {"max_iter": 10, "logistic_max_iter": 100}},
    ),
    "missforest": ImputerInfo(
        name="missforest", family="iterative",
        description="Random forest per column in chained sweeps, stopping when the imputation stops improving.",
        reference="Stekhoven & Bühlmann (2012), MissForest - non-parametric missing value imputation for "
                  "mixed-type data, Bioinformatics 28(1)",
        native_categorical=True,
        profiles={"quick": {"n_estimators": 10, "max_depth": 8, "max_iter": 2, "n_jobs": 1,
                            "transform_models": "every-sweep"},
                  "paper": {"n_estimators": 100, "max_depth": None, "max_iter": 10, "n_jobs": 1,
                            "transform_models": "last-sweep"}},
    ),
    "xgbi": ImputerInfo(
        name="xgbi", family="iterative",
        description="XGBoost regressor/classifier per column in chained sweeps (MissForest's loop and stopping rule).",
        reference="Chen & Guestrin (2016), XGBoost, KDD; loop after Stekhoven & Bühlmann (2012), Bioinformatics 28(1)",
        native_categorical=True,
        profiles={"quick": {"n_estimators": 20, "max_depth": 3, "learning_rate": 0.3, "max_bin": 32, "max_iter": 2,
                            "n_jobs": 1},
                  "paper": {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.3, "max_iter": 10, "n_jobs": 1}},
    ),
    "pcai": ImputerInfo(
        name="pcai", family="low-rank",
        description="Regularised iterative PCA (missMDA imputePCA); categories through one-hot blocks.",
        reference="Josse & Husson (2012), Handling missing values in exploratory multivariate data analysis "
                  "methods, J. SFdS 153(2); Josse & Husson (2016), missMDA, J. Stat. Softw. 70(1)",
        native_categorical=False,
        profiles={"quick": {"ncp": "gcv", "ncp_max": 5, "tol": 1e-4, "max_iter": 50},
                  "paper": {"ncp": "gcv", "ncp_max": 5, "tol": 1e-6, "max_iter": 1000}},
    ),
    "softimpute": ImputerInfo(
        name="softimpute", family="low-rank",
        description="Iterative soft-thresholded SVD (nuclear-norm regularised matrix completion).",
        reference="Mazumder, Hastie & Tibshirani (2010), Spectral regularization algorithms for learning large "
                  "incomplete matrices, JMLR 11",
        native_categorical=False,
        profiles={"quick": {"shrinkage_fraction": 0.1, "tol": 1e-3, "max_iter": 50},
                  "paper": {"shrinkage_fraction": 0.02, "tol": 1e-3, "max_iter": 100}},
    ),
    "em": ImputerInfo(
        name="em", family="likelihood",
        description="Expectation-maximisation for a multivariate normal; conditional means fill the gaps.",
        reference="Dempster, Laird & Rubin (1977), Maximum likelihood from incomplete data via the EM algorithm, "
                  "JRSS B 39(1); Little & Rubin (2019), Statistical Analysis with Missing Data, ch. 11",
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
            "paper": {"iterations": 10000, "batch_size": 128, "hint_rate": 0.9, "alpha": 100.0,
                      "adapt_iterations": 2000},
        },
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
        description="Variational autoencoder trained on observed cells; missing cells filled by iterated reconstruction.",
        reference="McCoy, Kroon & Auret. Variational Autoencoders for Missing Data Imputation with "
                  "Application to a Simulated Milling Circuit. IFAC-PapersOnLine 51(21), 2018.",
        native_categorical=True, gpu=True,
        profiles={
            "quick": {"epochs": 25, "batch_size": 64, "learning_rate": 0.003, "adapt_epochs": 25},
            "paper": {"epochs": 500, "batch_size": 250, "hidden": 20, "latent_dim": 5, "impute_iterations": 25,
                      "adapt_epochs": 100},
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
                    "meta-learned loss weights (bi-level update on a per-class meta set).",
        reference="Tong, Zhu & Gan, Meta-GAIN for Missing Data Imputation, AAAI 2026",
        native_categorical=True, uses_labels=True, gpu=True,
        profiles={
            # CPU-feasible: 500 iterations instead of 10000, so a larger step (SGD at 1e-2 needs the
            # paper's budget to leave the mean-imputation plateau).
            "quick": {"n_iterations": 500, "lr": 0.2},
            "paper": {"n_iterations": 10000, "batch_size": 64, "hidden_dim": 100, "n_layers": 5,
                      "lr": 1e-2, "momentum": 0.9, "decay": 1e-5},
        },
    ),
    "diffputer": ImputerInfo(
        name="diffputer", family="deep",
        description="EM around an EDM diffusion model: M-step trains an MLP denoiser on the completed data, "
                    "E-step samples missing entries conditioned on observed ones by the reverse process.",
        reference="Zhang et al., Unleashing the Potential of Diffusion Models for Incomplete Data Imputation, "
                  "ICLR 2025",
        native_categorical=False, gpu=True,
        profiles={
            # CPU-feasible: a narrow net, few epochs, short chains, few samples.
            "quick": {"n_em_iterations": 2, "n_epochs": 300, "width": 128, "n_steps": 20, "n_samples": 3,
                      "resample_steps": 2},
            # The reference's defaults (main.py / diffusion_utils.py).
            "paper": {"n_em_iterations": 5, "n_epochs": 10000, "patience": 1000, "width": 1024,
                      "n_steps": 50, "n_samples": 50, "resample_steps": 10, "batch_size": 4096},
        },
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
            # The reference's README settings.
            "paper": {"embed_dim": 64, "depth": 8, "decoder_depth": 4, "num_heads": 4, "mlp_ratio": 4.0,
                      "max_epochs": 600, "warmup_epochs": 40, "max_steps": None, "batch_size": 64,
                      "mask_ratio": 0.5, "lr": 1e-3, "adapt_max_epochs": 100},
        },
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
