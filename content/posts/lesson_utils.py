"""Small helpers shared by the regression lessons' computation cells.

The posts import this module from their cells (``from lesson_utils import ...``); lessonpress
tracks its source, so editing it re-runs exactly the posts that import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

# A loss above this is reported as divergence; the run stops there so no inf/NaN is published.
DIVERGED_LOSS = 1e6


def read_crop_yield(path: str | Path = "data/crop_yield.csv") -> tuple[np.ndarray, np.ndarray]:
    """The fertilizer (tonnes) and crop yield (tonnes) columns of the course's CSV file."""
    table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return table[:, 0], table[:, 1]


def mse(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Mean squared error of the predictions ``y_hat``."""
    return float(np.mean((np.asarray(y) - np.asarray(y_hat)) ** 2))


def design_matrix(x: np.ndarray) -> np.ndarray:
    """Columns [1, x]: the intercept and the slope of y = b0 + b1 x."""
    return np.column_stack([np.ones_like(x), x])


@dataclass(frozen=True)
class Descent:
    """One gradient-descent run: one row per step taken (the start included)."""

    step: np.ndarray
    loss: np.ndarray
    b0: np.ndarray
    b1: np.ndarray
    diverged_at: int | None  # the first step whose loss passed DIVERGED_LOSS, if any


def gradient_descent(
    x: np.ndarray, y: np.ndarray, lr: float, steps: int, start: tuple[float, float] = (0.0, 0.0)
) -> Descent:
    """Plain batch gradient descent on the MSE of y = b0 + b1 x.

    Stops at the first step whose loss exceeds DIVERGED_LOSS, keeping that step, so the record
    shows the blow-up but holds only finite numbers.
    """
    X = design_matrix(x)
    beta = np.array(start, dtype=float)
    rows: list[tuple[int, float, float, float]] = []
    diverged_at = None
    for t in range(steps + 1):
        residual = X @ beta - y
        loss = float(np.mean(residual**2))
        rows.append((t, loss, float(beta[0]), float(beta[1])))
        if loss > DIVERGED_LOSS:
            diverged_at = t
            break
        beta = beta - lr * (2 / len(y)) * (X.T @ residual)
    step, losses, b0, b1 = (np.array(col) for col in zip(*rows, strict=True))
    return Descent(step.astype(int), losses, b0, b1, diverged_at)
