"""The book's temperature-forecasting workflow (Deep Learning with Python, first edition, 6.3): a Python generator
of (samples, targets) batches, ``fit_generator`` with ``steps_per_epoch``, ``validation_data=val_gen`` and
``validation_steps``, run with only the imports changed (``keras`` -> ``pydl``).

The Jena climate file cannot be downloaded here, so the data is a series of its real shape written for this test:
14 readings every 10 minutes, the temperature (column 1) a daily cycle plus weather that another column announces a
day ahead, so that a model can beat the naive forecast ("tomorrow as now") that the book's dense model only ties. Fewer rows (30 000, not 420 551), the same lookback, step,
delay and batch size, and fewer steps and epochs than the book's 500 x 20.
"""

import numpy as np
import pytest

from tests.learning import assert_below


def _climate(rows=30000, seed=0):
    """14 columns: 0 a pressure-like reading of the weather now, 1 the temperature (a daily cycle plus the weather
    of a day before: fronts reach the station a day after the pressure shows them), the other 12 readings that
    carry nothing about the temperature (noise)."""
    rng = np.random.default_rng(seed)
    shocks = rng.normal(scale=np.sqrt(1 - 0.99 ** 2), size=rows)
    weather = np.zeros(rows)
    for i in range(1, rows):  # unit variance, half of an anomaly forgotten in about 12 hours
        weather[i] = 0.99 * weather[i - 1] + shocks[i]
    temperature = 8 + 5 * np.sin(np.arange(rows) * 2 * np.pi / 144) + 3 * np.roll(weather, 144)
    pressure = weather + 0.05 * rng.normal(size=rows)
    return np.concatenate([pressure[:, None], temperature[:, None], rng.normal(size=(rows, 12))], axis=1)


@pytest.fixture
def book_random_state():
    """The book's generator draws rows with np.random: seed it for the test and put the global state back."""
    state = np.random.get_state()
    np.random.seed(0)
    yield
    np.random.set_state(state)


def test_the_books_generator_workflow_trains_and_forecasts_held_out_days(book_random_state):
    float_data = _climate()
    train_end, val_end = 20000, 25000

    mean = float_data[:train_end].mean(axis=0)
    float_data -= mean
    std = float_data[:train_end].std(axis=0)
    float_data /= std

    def generator(data, lookback, delay, min_index, max_index,
                  shuffle=False, batch_size=128, step=6):
        if max_index is None:
            max_index = len(data) - delay - 1
        i = min_index + lookback
        while 1:
            if shuffle:
                rows = np.random.randint(
                    min_index + lookback, max_index, size=batch_size)
            else:
                if i + batch_size >= max_index:
                    i = min_index + lookback
                rows = np.arange(i, min(i + batch_size, max_index))
                i += len(rows)

            samples = np.zeros((len(rows),
                               lookback // step,
                               data.shape[-1]))
            targets = np.zeros((len(rows),))
            for j, row in enumerate(rows):
                indices = range(rows[j] - lookback, rows[j], step)
                samples[j] = data[indices]
                targets[j] = data[rows[j] + delay][1]
            yield samples, targets

    lookback = 1440
    step = 6
    delay = 144
    batch_size = 128

    train_gen = generator(float_data,
                          lookback=lookback,
                          delay=delay,
                          min_index=0,
                          max_index=train_end,
                          shuffle=True,
                          step=step,
                          batch_size=batch_size)
    val_gen = generator(float_data,
                        lookback=lookback,
                        delay=delay,
                        min_index=train_end + 1,
                        max_index=val_end,
                        step=step,
                        batch_size=batch_size)
    test_gen = generator(float_data,
                         lookback=lookback,
                         delay=delay,
                         min_index=val_end + 1,
                         max_index=None,
                         step=step,
                         batch_size=batch_size)

    # This is how many steps to draw from `val_gen`
    # in order to see the whole validation set:
    val_steps = (val_end - (train_end + 1) - lookback) // batch_size

    # This is how many steps to draw from `test_gen`
    # in order to see the whole test set:
    test_steps = (len(float_data) - (val_end + 1) - lookback) // batch_size

    def evaluate_naive_method(gen, steps):
        batch_maes = []
        for step in range(steps):
            samples, targets = next(gen)
            preds = samples[:, -1, 1]
            mae = np.mean(np.abs(preds - targets))
            batch_maes.append(mae)
        return np.mean(batch_maes)

    from pydl.models import Sequential
    from pydl import layers
    from pydl.optimizers import RMSprop

    model = Sequential()
    model.add(layers.Flatten(input_shape=(lookback // step, float_data.shape[-1])))
    model.add(layers.Dense(32, activation='relu'))
    model.add(layers.Dense(1))

    model.compile(optimizer=RMSprop(), loss='mae')
    with pytest.warns(DeprecationWarning, match="fit_generator"):
        history = model.fit_generator(train_gen,
                                      steps_per_epoch=60,
                                      epochs=5,
                                      validation_data=val_gen,
                                      validation_steps=val_steps,
                                      verbose=0)

    loss = history.history['loss']
    val_loss = history.history['val_loss']
    assert len(loss) == len(val_loss) == 5

    naive = evaluate_naive_method(generator(float_data, lookback, delay, val_end + 1, None, step=step), test_steps)
    with pytest.warns(DeprecationWarning, match="evaluate_generator"):
        test_mae = model.evaluate_generator(test_gen, steps=test_steps)
    # measured: 0.58-0.71 of the naive forecast's MAE over seed salts 0-2 (the Prescott kernel and the default)
    assert_below(test_mae, 0.8 * naive, "test MAE of the book's dense model against 0.8 x the naive forecast's")
