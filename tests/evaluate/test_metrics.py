"""The mathematics, checked against direct computations and known values."""

from __future__ import annotations

import pytest

for _module in ("scipy", "skimage", "matplotlib"):  # the `eval` extras: pip install -e ".[eval]"
    pytest.importorskip(_module)

import itertools
import math

import numpy as np
from scipy import linalg, ndimage

from director.evaluate import metrics as M


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# PSNR / SSIM ---------------------------------------------------------------------------------------


def test_psnr_of_a_uniform_error_is_the_textbook_value():
    a = np.zeros((8, 8, 3), np.uint8)
    b = np.full((8, 8, 3), 10, np.uint8)  # MSE = 100
    assert M.psnr(b, a) == pytest.approx(10 * math.log10(255**2 / 100))
    assert M.psnr(a, a) == math.inf


def direct_ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Wang et al. 2004, written out: Gaussian window sigma 1.5 (truncated at 3.5 sigma, as scikit-image),
    K1 = 0.01, K2 = 0.03, L = 255, mean over the valid interior, channels averaged."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    pad = int(3.5 * 1.5 + 0.5)
    values = []
    for ch in range(x.shape[-1]):
        a, b = x[..., ch].astype(np.float64), y[..., ch].astype(np.float64)
        blur = lambda im: ndimage.gaussian_filter(im, 1.5, truncate=3.5)  # noqa: E731
        mu_a, mu_b = blur(a), blur(b)
        var_a, var_b, cov = blur(a * a) - mu_a**2, blur(b * b) - mu_b**2, blur(a * b) - mu_a * mu_b
        s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
        values.append(s[pad:-pad, pad:-pad].mean())
    return float(np.mean(values))


def test_ssim_matches_the_formula_of_wang_et_al():
    x = rng(1).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    noise = rng(2).integers(-30, 31, x.shape)
    y = np.clip(x.astype(int) + noise, 0, 255).astype(np.uint8)
    assert M.ssim(y, x) == pytest.approx(direct_ssim(y, x), abs=1e-6)
    assert M.ssim(x, x) == pytest.approx(1.0)
    assert M.ssim(y, x) < 0.99


def test_frames_of_different_sizes_are_refused():
    with pytest.raises(ValueError, match="one shape"):
        M.psnr(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 6, 3), np.uint8))


# Fréchet distance ----------------------------------------------------------------------------------


def test_frechet_distance_matches_a_direct_scipy_computation():
    a = rng(3).normal(size=(200, 6))
    b = rng(4).normal(loc=0.5, scale=1.5, size=(150, 6)) @ rng(5).normal(size=(6, 6))
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    expected = np.sum((mu_a - mu_b) ** 2) + np.trace(s_a + s_b - 2 * linalg.sqrtm(s_a @ s_b).real)
    assert M.frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_of_diagonal_gaussians_has_its_closed_form():
    # For diagonal covariances: |mu_a - mu_b|^2 + sum (sigma_a - sigma_b)^2 (standard deviations).
    z = rng(6).normal(size=(4000, 3))
    z = (z - z.mean(0)) / z.std(0, ddof=1)  # exactly zero mean, unit sample variance
    z = z @ linalg.inv(linalg.sqrtm(np.cov(z, rowvar=False)).real)  # and exactly uncorrelated
    sd_a, sd_b, shift = np.array([1.0, 2.0, 0.5]), np.array([3.0, 1.0, 0.5]), np.array([1.0, -2.0, 0.0])
    a, b = z * sd_a, z * sd_b + shift
    assert M.frechet_distance(a, b) == pytest.approx(np.sum(shift**2) + np.sum((sd_a - sd_b) ** 2), rel=1e-6)


def test_frechet_distance_of_a_set_with_itself_is_zero_even_when_rank_deficient():
    few = rng(7).normal(size=(5, 16))  # fewer samples than dimensions: singular covariance
    assert M.frechet_distance(few, few) == pytest.approx(0.0, abs=1e-5)
    with pytest.raises(ValueError, match="at least 2"):
        M.frechet_distance(few[:1], few)


# Kernel distance (KID / KVD) -----------------------------------------------------------------------


def direct_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    k = lambda a, b: (a @ b / d + 1) ** 3  # noqa: E731
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(n), 2)) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_unbiased_mmd_matches_a_direct_double_sum():
    x, y = rng(8).normal(size=(9, 4)), rng(9).normal(loc=0.3, size=(7, 4))
    assert M.mmd2_unbiased(x, y) == pytest.approx(direct_mmd2(x, y), rel=1e-10)


def test_kernel_distance_over_all_samples_is_the_mmd_and_grows_with_the_shift():
    x, y = rng(10).normal(size=(12, 5)), rng(11).normal(size=(12, 5))
    mean, std = M.kernel_distance(x, y, subset_size=1000)
    assert (mean, std) == (pytest.approx(M.mmd2_unbiased(x, y)), 0.0)
    near = M.kernel_distance(rng(12).normal(size=(300, 5)), rng(13).normal(size=(300, 5)), subsets=10, subset_size=100)[0]
    far = M.kernel_distance(rng(12).normal(size=(300, 5)), rng(13).normal(loc=1.0, size=(300, 5)), subsets=10, subset_size=100)[0]
    assert abs(near) < 0.05 < far


# Inception Score -----------------------------------------------------------------------------------


def test_inception_score_is_one_for_uniform_and_k_for_k_confident_classes():
    uniform = np.full((20, 10), 0.1)
    assert M.inception_score(uniform, splits=2)[0] == pytest.approx(1.0)
    one_hot = np.eye(10)[np.arange(40) % 4]  # confident, spread evenly over 4 classes
    assert M.inception_score(one_hot, splits=1)[0] == pytest.approx(4.0, rel=1e-6)
    same = np.eye(10)[np.zeros(40, int)]  # confident but all one class
    assert M.inception_score(same, splits=1)[0] == pytest.approx(1.0, rel=1e-6)


# Cosines and frame differences ---------------------------------------------------------------------


def test_mean_pairwise_cosine_matches_the_loop_over_pairs():
    e = rng(14).normal(size=(7, 5))
    unit = e / np.linalg.norm(e, axis=1, keepdims=True)
    pairs = [unit[i] @ unit[j] for i, j in itertools.combinations(range(7), 2)]
    assert M.mean_pairwise_cosine(e) == pytest.approx(np.mean(pairs))
    assert M.consecutive_cosine(e) == pytest.approx([unit[i] @ unit[i - 1] for i in range(1, 7)])
    assert M.mean_pairwise_cosine(np.ones((3, 4))) == pytest.approx(1.0)


def test_frame_difference_is_the_mean_absolute_difference():
    a = np.zeros((2, 2, 3), np.uint8)
    b = a.copy()
    b[0, 0] = 255  # one pixel of four changes fully
    assert M.frame_difference(b, a) == pytest.approx(255 / 4)
    assert M.frame_difference(a, b) == M.frame_difference(b, a)
