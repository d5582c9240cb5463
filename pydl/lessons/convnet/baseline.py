"""The baseline every convnet must beat (the fast.ai way): classify an image as the class whose mean image is nearest.

"Nearest" is measured two ways, as in fast.ai's lesson on pixel similarity: the mean absolute difference (L1) and
the root mean squared error (RMSE, L2), which punishes a few large differences more than many small ones.

>>> from pydl.lessons.convnet.data import load_digits_data
>>> data = load_digits_data()
>>> result = evaluate_baseline(data.x_train, data.y_train, data.x_test, data.y_test)
>>> 0.8 < result["accuracy"]["l1"] < 1 and 0.8 < result["accuracy"]["rmse"] < 1
True
"""

from __future__ import annotations

from pydl.backend import np

__all__ = ["METRICS", "class_means", "distances", "baseline_predict", "baseline_accuracy", "evaluate_baseline"]

METRICS = ("l1", "rmse")


def class_means(x, y, num_classes: int = 10):
    """The mean image of each class, shape (num_classes, ...) (zeros for a class with no image)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    means = np.zeros((num_classes,) + x.shape[1:])
    for c in range(num_classes):
        members = x[y == c]
        if len(members):
            means[c] = members.mean(axis=0)
    return means


def distances(x, means, metric: str = "l1"):
    """(n, classes) distance of every image to every class mean: "l1" = mean |a - b|, "rmse" = sqrt(mean (a - b)^2)."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}.")
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    m = np.asarray(means, dtype=np.float64).reshape(len(means), -1)
    diff = x[:, None, :] - m[None, :, :]  # broadcasting: every image against every mean at once
    if metric == "l1":
        return np.abs(diff).mean(axis=-1)
    return np.sqrt((diff ** 2).mean(axis=-1))


def baseline_predict(x, means, metric: str = "l1"):
    """The class of the nearest mean image, for each image of ``x``."""
    return distances(x, means, metric).argmin(axis=1)


def baseline_accuracy(x_train, y_train, x_test, y_test, metric: str = "l1") -> float:
    """Test accuracy of the nearest-mean-image classifier fitted on the training images."""
    predicted = baseline_predict(x_test, class_means(x_train, y_train), metric)
    return float((predicted == np.asarray(y_test)).mean())


def evaluate_baseline(x_train, y_train, x_test, y_test, x_val=None, y_val=None) -> dict:
    """Everything the page shows about the baseline: the class means and the accuracy of both distances.

    Returns:
        ``{"means": (10, ...) array, "accuracy": {"l1": test accuracy, "rmse": ...},
        "val_accuracy": {...} (when validation data is given), "best": the better distance's name}``.
    """
    means = class_means(x_train, y_train)
    y_test = np.asarray(y_test)
    accuracy = {m: float((baseline_predict(x_test, means, m) == y_test).mean()) for m in METRICS}
    result = {"means": means, "accuracy": accuracy, "best": max(METRICS, key=lambda m: accuracy[m])}
    if x_val is not None:
        y_val = np.asarray(y_val)
        result["val_accuracy"] = {m: float((baseline_predict(x_val, means, m) == y_val).mean()) for m in METRICS}
    return result
