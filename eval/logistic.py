"""Logistic regression fitted by iteratively reweighted least squares (numpy only).

Used offline by eval/fit_answers.py to fit the weights of the answer stage's evidence features
on the development split; the product only applies the fitted weights (a dot product and a
sigmoid), so it needs no learning library.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, sample_weight: np.ndarray | None = None,
        iterations: int = 50) -> tuple[np.ndarray, float]:
    """Weights and intercept minimising the L2-penalised log loss (intercept not penalised).

    Args:
        x: features, n × d (standardise them first for the penalty to be fair).
        y: labels 0/1, n.
        l2: penalty strength on the weights.
        sample_weight: per-row weights (e.g. to give each question equal say).
    """
    n, d = x.shape
    w = np.zeros(d + 1)
    design = np.hstack([x, np.ones((n, 1))])
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = sigmoid(design @ w)
        gradient = design.T @ (sw * (p - y)) + penalty * w
        hessian = (design * (sw * p * (1 - p))[:, None]).T @ design + np.diag(penalty) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w[:-1], float(w[-1])


def predict(x: np.ndarray, weights: np.ndarray, intercept: float) -> np.ndarray:
    return sigmoid(x @ weights + intercept)
