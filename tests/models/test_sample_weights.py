"""Sample and class weights in fit/evaluate/train_on_batch as in Keras 3: the batch loss is sum(loss * weight) over the
batch size, class_weight is sample_weight by label, weighted_metrics are weighted means, and bad weights are refused
before anything changes."""

import numpy as np
import pytest

import pydl
from pydl import layers, losses, models, optimizers
from tests.learning import ACCURACY_MARGIN, assert_below


def _regression(n=24, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    return x, x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3, rng.uniform(0.0, 2.0, n)


def _linear(lr=0.1, **compile_options):
    pydl.backend.set_floatx("float64")
    pydl.seed(1)
    model = models.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=lr), loss="mse", **compile_options)
    return model


def _classifier(loss="sparse_categorical_crossentropy", **compile_options):
    pydl.backend.set_floatx("float64")
    pydl.seed(2)
    model = models.Sequential([layers.Input((4,)), layers.Dense(8, activation="tanh"),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.02), loss=loss, **compile_options)
    return model


def _classes(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    return x, np.argmax(x[:, :3] + 0.3 * rng.standard_normal((n, 3)), axis=1)


def _same_weights(a, b):
    for ours, theirs in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def test_one_weighted_sgd_step_is_keras_formula_in_numpy():
    x, y, weight = _regression()
    model = _linear()
    kernel, bias = model.get_weights()
    error = (x @ kernel + bias) - y  # (n, 1): one output unit, so the per-sample loss is error ** 2
    n = len(x)
    expected_loss = float((weight * error[:, 0] ** 2).sum() / n)  # sum_over_batch_size: divide by n, not sum(w)
    grad_kernel = 2.0 / n * x.T @ (weight[:, None] * error)
    grad_bias = 2.0 / n * (weight[:, None] * error).sum(axis=0)
    history = model.fit(x, y, sample_weight=weight, batch_size=n, epochs=1, shuffle=False, verbose=0)
    assert history.history["loss"] == [pytest.approx(expected_loss, rel=1e-13)]
    new_kernel, new_bias = model.get_weights()
    np.testing.assert_allclose(new_kernel, kernel - 0.1 * grad_kernel, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(new_bias, bias - 0.1 * grad_bias, rtol=1e-13, atol=1e-15)


def test_weights_of_one_train_exactly_like_no_weights():
    x, y, _ = _regression()
    weighted, plain = _linear(), _linear()
    a = weighted.fit(x, y, sample_weight=np.ones(len(x)), epochs=3, batch_size=5, seed=4, verbose=0)
    b = plain.fit(x, y, epochs=3, batch_size=5, seed=4, verbose=0)
    assert a.history == b.history
    _same_weights(weighted, plain)


@pytest.mark.parametrize("one_hot", [False, True], ids=["sparse labels", "one-hot labels"])
def test_class_weight_is_sample_weight_by_label(one_hot):
    x, labels = _classes()
    y = np.eye(3)[labels] if one_hot else labels
    loss = "categorical_crossentropy" if one_hot else "sparse_categorical_crossentropy"
    class_weight = {0: 0.5, 2: 3.0}  # class 1 left out: weight 1, as Keras
    by_class, by_sample = _classifier(loss), _classifier(loss)
    a = by_class.fit(x, y, class_weight=class_weight, epochs=3, batch_size=16, seed=5, verbose=0,
                     validation_split=0.2)
    sample_weight = np.array([{0: 0.5, 1: 1.0, 2: 3.0}[c] for c in labels])
    b = by_sample.fit(x[:48], y[:48], sample_weight=sample_weight[:48], epochs=3, batch_size=16, seed=5, verbose=0,
                      validation_data=(x[48:], y[48:]))  # class weights never weight the validation loss
    assert a.history == b.history
    _same_weights(by_class, by_sample)


def test_class_weight_changes_what_is_learned():
    x, labels = _classes(240)
    plain, weighted = _classifier(), _classifier()
    plain.fit(x, labels, epochs=15, batch_size=16, seed=5, verbose=0)
    weighted.fit(x, labels, class_weight={0: 0.05, 1: 1.0, 2: 1.0}, epochs=15, batch_size=16, seed=5, verbose=0)
    test_x, _ = _classes(400, seed=9)  # held out: how often each model answers class 0 on new points
    plain_zero, weighted_zero = [float((m.predict(test_x).argmax(axis=1) == 0).mean()) for m in (plain, weighted)]
    # a class weighted down to 5 % is predicted far less often: at least 5 points fewer, plus the 2-point margin
    assert_below(weighted_zero, plain_zero - 0.05 - ACCURACY_MARGIN, "share of held-out points called class 0")


def test_evaluate_and_train_on_batch_weight_the_loss_and_the_weighted_metrics():
    x, labels = _classes()
    weight = np.random.default_rng(3).uniform(0.0, 2.0, len(x))
    model = _classifier(metrics=["accuracy"], weighted_metrics=["accuracy"])
    model.fit(x, labels, epochs=2, verbose=0, seed=1)
    p = model.predict(x)
    per_sample = -np.log(np.clip(p / p.sum(-1, keepdims=True), 1e-7, 1 - 1e-7)[np.arange(len(x)), labels])
    hits = (p.argmax(axis=1) == labels).astype(float)
    logs = model.evaluate(x, labels, sample_weight=weight, batch_size=7, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy", "weighted_accuracy"]
    # per batch sum(w * loss) / batch size, averaged over batches by their sizes: sum(w * loss) / n overall
    assert logs["loss"] == pytest.approx((weight * per_sample).sum() / len(x), rel=1e-12)
    assert logs["accuracy"] == pytest.approx(hits.mean(), rel=1e-12)
    assert logs["weighted_accuracy"] == pytest.approx((weight * hits).sum() / weight.sum(), rel=1e-12)
    unweighted = model.evaluate(x, labels, verbose=0, return_dict=True)
    assert unweighted["weighted_accuracy"] == unweighted["accuracy"]  # no weights given: the weighted ones are plain
    tested = model.test_on_batch(x, labels, sample_weight=weight, return_dict=True)
    assert tested["loss"] == pytest.approx(logs["loss"], rel=1e-12)
    trained = model.train_on_batch(x, labels, sample_weight=weight, return_dict=True)
    assert trained["loss"] == pytest.approx(logs["loss"], rel=1e-12)  # the loss before the update it made
    assert trained["weighted_accuracy"] == pytest.approx(logs["weighted_accuracy"], rel=1e-12)


def test_validation_sample_weights_from_a_three_tuple_and_from_validation_split():
    x, y, weight = _regression(40)
    model = _linear()
    history = model.fit(x[:30], y[:30], validation_data=(x[30:], y[30:], weight[30:]), epochs=1, verbose=0)
    assert history.history["val_loss"][0] == model.evaluate(x[30:], y[30:], sample_weight=weight[30:], verbose=0)
    model = _linear()
    history = model.fit(x, y, sample_weight=weight, validation_split=0.25, epochs=1, verbose=0)
    assert history.history["val_loss"][0] == model.evaluate(x[30:], y[30:], sample_weight=weight[30:], verbose=0)


def test_several_outputs_take_one_weight_array_for_all_or_one_per_output():
    pydl.backend.set_floatx("float64")
    x, y, weight = _regression(20)

    def model():
        pydl.seed(6)
        inputs = layers.Input((3,))
        net = models.Model(inputs, [layers.Dense(1, name="a")(inputs), layers.Dense(1, name="b")(inputs)])
        net.compile("sgd", loss="mse")
        return net

    both = model().evaluate(x, [y, -y], sample_weight=weight, verbose=0, return_dict=True)
    per_output = model().evaluate(x, [y, -y], sample_weight={"a": weight, "b": np.ones(20)}, verbose=0,
                                  return_dict=True)
    assert both["a_loss"] == per_output["a_loss"] and both["b_loss"] != per_output["b_loss"]
    assert per_output["b_loss"] == model().evaluate(x, [y, -y], verbose=0, return_dict=True)["b_loss"]
    with pytest.raises(ValueError, match="class_weight is only supported for models with a single output"):
        model().fit(x, [y, y], class_weight={0: 1.0}, verbose=0)


def test_weighted_metrics_survive_saving():
    model = _classifier(metrics=["accuracy"], weighted_metrics=["accuracy"])
    restored = models.from_bytes(model.to_bytes())
    x, labels = _classes()
    weight = np.linspace(0, 1, len(x))
    assert restored.evaluate(x, labels, sample_weight=weight, verbose=0) == \
        model.evaluate(x, labels, sample_weight=weight, verbose=0)


@pytest.mark.parametrize("arguments, message", [
    ({"sample_weight": np.ones(5)}, "sample_weight has 5 weights but there are 24 samples"),
    ({"sample_weight": np.r_[np.ones(23), -1.0]}, "sample 23 has -1.0"),
    ({"sample_weight": np.r_[np.nan, np.ones(23)]}, "finite and >= 0.*sample 0 has nan"),
    ({"sample_weight": np.ones(24), "class_weight": {0: 1.0}}, "cannot give class_weight and sample_weight"),
    ({"class_weight": [1.0, 2.0]}, "class_weight must be a dict"),
    ({"class_weight": {0: float("inf")}}, r"class_weight\[0\] must be a finite number"),
    ({"class_weight": {"a": 1.0}}, "keys must be class indices"),
    ({"validation_data": (np.ones((4, 3)), np.ones((4, 1)), np.ones(3))},
     "validation sample_weight has 3 weights but there are 4 samples"),
])
def test_bad_weights_are_refused_before_anything_changes(arguments, message):
    x, y, _ = _regression()
    model = _linear()
    before = model.get_weights()
    with pytest.raises(ValueError, match=message):
        model.fit(x, y, verbose=0, **arguments)
    for ours, theirs in zip(model.get_weights(), before):
        np.testing.assert_array_equal(ours, theirs)
    assert model.optimizer.iterations == 0


def test_a_custom_weighted_metric_must_give_one_value_per_sample():
    x, labels = _classes()
    model = _classifier(weighted_metrics=[lambda y_true, y_pred: 0.5])
    with pytest.raises(ValueError, match="needs one value per sample"):
        model.evaluate(x, labels, sample_weight=np.ones(len(x)), verbose=0)


def test_a_custom_loss_returning_per_sample_values_is_weighted_and_reduced_in_the_one_place():
    x, y, weight = _regression()
    custom, builtin = _linear(), _linear()
    custom.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss=lambda t, p: ((p - t) ** 2).mean(axis=-1))
    a = custom.fit(x, y, sample_weight=weight, epochs=2, seed=3, verbose=0)
    b = builtin.fit(x, y, sample_weight=weight, epochs=2, seed=3, verbose=0)
    assert a.history == b.history
    assert losses.reduce_weighted(pydl.tensor([2.0]), [0.5]).item() == 1.0
