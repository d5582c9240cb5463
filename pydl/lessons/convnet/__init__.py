"""The convnet lab (web/convnet/): everything the page computes, importable and tested natively.

* :mod:`.data`: digits (optionally upscaled) or MNIST IDX files, augmentation, drawn-digit preprocessing.
* :mod:`.baseline`: the "mean image per class" classifier with L1 and RMSE distances.
* :mod:`.model`: the model from the page's controls, its shape/parameter table, training in slices.
* :mod:`.explain`: the arithmetic of one conv output and its max-pool, filters, feature maps, confusion matrix.
* :mod:`.images`: arrays as small PNG images.
"""

from pydl.lessons.convnet.baseline import (
    METRICS, baseline_accuracy, baseline_predict, class_means, distances, evaluate_baseline,
)
from pydl.lessons.convnet.data import (
    SIZES, LabData, augment, load_cifar_data, load_digits_data, load_idx_data, preprocess_drawing, sample_indices,
)
from pydl.lessons.convnet.explain import (
    conv_arithmetic, conv_layers, evaluate_test, feature_maps, filter_images, layer_outputs, misclassified,
    predict_probabilities,
)
from pydl.lessons.convnet.model import (
    DEFAULT_SPEC, LIMITS, WallClock, build_model, layer_table, progress, train_slice, training_loop, validate_spec,
)

__all__ = [
    "METRICS", "baseline_accuracy", "baseline_predict", "class_means", "distances", "evaluate_baseline",
    "SIZES", "LabData", "augment", "load_cifar_data", "load_digits_data", "load_idx_data", "preprocess_drawing",
    "sample_indices", "conv_arithmetic", "conv_layers", "evaluate_test", "feature_maps", "filter_images",
    "layer_outputs", "misclassified", "predict_probabilities", "DEFAULT_SPEC", "LIMITS", "WallClock",
    "build_model", "layer_table", "progress", "train_slice", "training_loop", "validate_spec",
]
