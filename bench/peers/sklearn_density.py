#!/usr/bin/python3
"""Density-model peers for Aperture's `density` benchmark: scikit-learn's KernelDensity (tree-based), an exact NumPy/SciPy
Gaussian-KDE log-sum-exp, and scikit-learn's PCA (probabilistic log-likelihood, score_samples).

Reads the exact examples Aperture used, written as raw little-endian float32 [N, D] files. Prints one JSON object.
  bench/peers/sklearn_density.py TRAIN.f32 TEST.f32 D BANDWIDTH COMPONENTS SKLEARN_KDE_QUERIES
scikit-learn's KernelDensity is run on the first SKLEARN_KDE_QUERIES test rows only (a ball tree in 784-D is very
slow); its seconds per query are reported, and its time for all queries is extrapolated from them (said so in the output).
"""
import json, sys, time
import numpy as np
from scipy.special import logsumexp
from sklearn.decomposition import PCA
from sklearn.neighbors import KernelDensity


def exact_kde(train, test, h, block=1024):
    d = train.shape[1]
    tn = (train ** 2).sum(1)
    out = np.empty(test.shape[0])
    for i in range(0, test.shape[0], block):
        q = test[i:i + block]
        d2 = np.maximum((q ** 2).sum(1)[:, None] + tn[None, :] - 2 * q @ train.T, 0)
        out[i:i + block] = logsumexp(-d2 / (2 * h * h), axis=1)
    return out - np.log(train.shape[0]) - 0.5 * d * np.log(2 * np.pi * h * h)


def main():
    train_path, test_path, d, h, q, sk_queries = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    train = np.fromfile(train_path, dtype=np.float32).reshape(-1, d).astype(np.float64)
    test = np.fromfile(test_path, dtype=np.float32).reshape(-1, d).astype(np.float64)
    centre = train.mean(0)
    t0 = time.perf_counter()
    exact = exact_kde(train - centre, test - centre, h)
    exact_s = time.perf_counter() - t0

    sk_queries = min(sk_queries, test.shape[0])
    kd = KernelDensity(kernel="gaussian", bandwidth=h)
    t0 = time.perf_counter()
    kd.fit(train)
    sk_fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sk = kd.score_samples(test[:sk_queries])
    sk_score_s = time.perf_counter() - t0
    sk_per_query = sk_score_s / sk_queries

    pca = PCA(n_components=q, svd_solver="auto")
    t0 = time.perf_counter()
    pca.fit(train)
    pca_fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ll = pca.score_samples(test)
    pca_score_s = time.perf_counter() - t0
    print(json.dumps({
        "numpy_exact_kde_seconds": exact_s,
        "numpy_exact_kde_mean_loglik": float(exact.mean()),
        "numpy_exact_kde_first": exact[:sk_queries].tolist()[:20],
        "sklearn_kde_fit_seconds": sk_fit_s,
        "sklearn_kde_queries": sk_queries,
        "sklearn_kde_seconds_per_query": sk_per_query,
        "sklearn_kde_seconds_all_queries_extrapolated": sk_fit_s + sk_per_query * test.shape[0],
        "sklearn_kde_mean_abs_error_vs_exact": float(np.abs(sk - exact[:sk_queries]).mean()),
        "sklearn_kde_max_abs_error_vs_exact": float(np.abs(sk - exact[:sk_queries]).max()),
        "sklearn_pca_fit_seconds": pca_fit_s,
        "sklearn_pca_score_seconds": pca_score_s,
        "sklearn_pca_svd_solver": pca._fit_svd_solver,
        "sklearn_pca_mean_loglik": float(ll.mean()),
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
