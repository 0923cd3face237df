"""The mathematics of the field's metrics, on plain numpy arrays.

Every function here is a pure function of frames, features or probabilities,
so each can be checked against a direct computation (tests/evaluate/test_metrics.py):

- `psnr`, `ssim`: scikit-image's implementations (SSIM with the Gaussian
  window of Wang et al. 2004: sigma 1.5, population covariance).
- `frechet_distance`: FID / FVD (Heusel et al. 2017; Unterthiner et al. 2018):
  ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)), the trace of the root taken
  from the eigenvalues of S1 S2.
- `kernel_distance`: KID / KVD (Binkowski et al. 2018): the unbiased estimate of
  MMD^2 with the polynomial kernel k(x, y) = (x.y / d + 1)^3, averaged over
  random subsets.
- `inception_score`: exp(E_x KL(p(y|x) || p(y))) (Salimans et al. 2016), mean
  and standard deviation over splits; with a video classifier it is the video
  Inception Score (Saito et al. 2017).
- `mean_pairwise_cosine`, `consecutive_cosine`: frame consistency of CLIP
  embeddings (all pairs, and frame t with frame t-1).
- `frame_difference`: mean absolute difference between consecutive frames, the
  measure behind VBench's temporal flickering score.
"""

from __future__ import annotations

import numpy as np


def psnr(frame: np.ndarray, reference: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two uint8 frames of one size (inf when identical)."""
    from skimage.metrics import peak_signal_noise_ratio

    _check_same_shape(frame, reference)
    if np.array_equal(frame, reference):
        return float("inf")
    return float(peak_signal_noise_ratio(reference, frame, data_range=255))


def ssim(frame: np.ndarray, reference: np.ndarray) -> float:
    """Structural similarity of two uint8 RGB frames (Gaussian window, as in Wang et al. 2004)."""
    from skimage.metrics import structural_similarity

    _check_same_shape(frame, reference)
    return float(
        structural_similarity(
            reference,
            frame,
            data_range=255,
            channel_axis=-1,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
    )


def _check_same_shape(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(f"frames to compare must have one shape, but they are {a.shape} and {b.shape}")


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two sets of features, each (samples, dims).

    Tr((S_a S_b)^(1/2)) is the sum of the square roots of the eigenvalues of S_a S_b (which is similar
    to the positive semi-definite S_a^(1/2) S_b S_a^(1/2), so they are real and >= 0): no matrix square
    root is formed, which is faster than scipy's sqrtm for 2048 dims and stable when the covariances
    are singular (fewer samples than dimensions). torchmetrics computes it the same way.
    """
    mu_a, sigma_a = _gaussian(features_a)
    mu_b, sigma_b = _gaussian(features_b)
    eigenvalues = np.linalg.eigvals(sigma_a @ sigma_b)
    trace_sqrt = np.sqrt(np.clip(eigenvalues.real, 0, None)).sum()  # round-off makes tiny negatives and imaginary parts
    diff = mu_a - mu_b
    value = diff @ diff + np.trace(sigma_a) + np.trace(sigma_b) - 2 * trace_sqrt
    return float(max(value, 0.0))  # tiny negatives are round-off of a zero distance


def _gaussian(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"need at least 2 feature vectors as (samples, dims), but got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int = 3, gamma: float | None = None, coef: float = 1.0) -> np.ndarray:
    """k(x, y) = (gamma x.y + coef)^degree, gamma defaulting to 1/dims (KID's kernel)."""
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    return (gamma * (x @ y.T) + coef) ** degree


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 between samples x (m, d) and y (n, d) under the polynomial kernel."""
    m, n = x.shape[0], y.shape[0]
    if m < 2 or n < 2:
        raise ValueError(f"the unbiased MMD needs at least 2 samples on each side, but got {m} and {n}")
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    term_xx = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    term_yy = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(term_xx + term_yy - 2 * k_xy.mean())


def kernel_distance(
    features_a: np.ndarray,
    features_b: np.ndarray,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """KID / KVD: mean and standard deviation of the unbiased MMD^2 over random subsets
    (each of min(subset_size, len(a), len(b)) samples per side, drawn without replacement)."""
    a = np.asarray(features_a, dtype=np.float64)
    b = np.asarray(features_b, dtype=np.float64)
    size = min(subset_size, a.shape[0], b.shape[0])
    if size < 2:
        raise ValueError(f"the kernel distance needs at least 2 samples on each side, but got {a.shape[0]} and {b.shape[0]}")
    if size == a.shape[0] == b.shape[0]:
        subsets = 1  # every subset would be the whole of both sets
    rng = np.random.default_rng(seed)
    values = [
        mmd2_unbiased(a[rng.choice(a.shape[0], size, replace=False)], b[rng.choice(b.shape[0], size, replace=False)])
        for _ in range(subsets)
    ]
    return float(np.mean(values)), float(np.std(values))


def inception_score(probabilities: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """Inception Score of class probabilities (samples, classes): mean and std over `splits`."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] < 1:
        raise ValueError(f"need class probabilities as (samples, classes), but got shape {p.shape}")
    splits = max(1, min(splits, p.shape[0]))
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = (part * (_log(part) - _log(marginal))).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def _log(p: np.ndarray) -> np.ndarray:
    return np.log(np.clip(p, 1e-12, None))


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def mean_pairwise_cosine(embeddings: np.ndarray) -> float:
    """Mean cosine similarity over all pairs i < j of embeddings (n, d); needs n >= 2.

    With unit vectors e_i, sum_{i != j} e_i.e_j = |sum_i e_i|^2 - n, so no n x n matrix is built.
    """
    e = normalize(embeddings)
    n = e.shape[0]
    if n < 2:
        raise ValueError(f"need at least 2 embeddings for pairs, but got {n}")
    total = e.sum(axis=0)
    return float((total @ total - (np.linalg.norm(e, axis=1) ** 2).sum()) / (n * (n - 1)))


def consecutive_cosine(embeddings: np.ndarray) -> np.ndarray:
    """Cosine similarity of each embedding with the one before it: (n - 1,)."""
    e = normalize(embeddings)
    return (e[1:] * e[:-1]).sum(axis=1)


def frame_difference(frame: np.ndarray, previous: np.ndarray) -> float:
    """Mean absolute difference of two uint8 frames, 0-255 (0: identical)."""
    _check_same_shape(frame, previous)
    return float(np.abs(frame.astype(np.int16) - previous.astype(np.int16)).mean())


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors (0 when either is zero)."""
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return 0.0
    return float(a @ b / (na * nb))
