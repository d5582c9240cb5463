"""ImageDataGenerator.flow_from_dataframe over PNG/JPEG files the tests write: the same batches as Keras 3's own
(legacy) generator with shuffle=False, every class_mode, weights, subsets, and clear refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from keras.src.legacy.preprocessing import image as keras_image
from PIL import Image

from pydl.preprocessing.image import ImageDataGenerator


def _write_images(folder, count=7):
    """img0.png ... (alternately PNG and JPEG, 10 x 8, brighter with the index) and a table naming them."""
    rng = np.random.default_rng(7)
    names = []
    for i in range(count):
        name = f"img{i}.{'png' if i % 2 == 0 else 'jpg'}"
        Image.fromarray(rng.integers(20 * i, 20 * i + 60, (8, 10, 3)).astype(np.uint8)).save(folder / name)
        names.append(name)
    return pd.DataFrame({
        "filename": names, "class": ["cat", "dog", "cat", "bird", "dog", "cat", "bird"][:count],
        "tags": [["cat"], ["dog", "cat"], ["cat"], ["bird"], ["dog"], ["bird", "dog"], ["cat", "bird"]][:count],
        "score": np.linspace(0.5, 3.5, count), "size": np.arange(count) * 10, "weight": np.linspace(1, 2, count),
    })


@pytest.mark.parametrize("options", [
    dict(class_mode="categorical"), dict(class_mode="sparse"), dict(class_mode="categorical", y_col="tags"),
    dict(class_mode="raw", y_col="score"), dict(class_mode="raw", y_col=["score", "size"]), dict(class_mode=None),
    dict(class_mode="input"), dict(class_mode="sparse", classes=["dog", "cat"]),
    dict(class_mode="categorical", weight_col="weight"), dict(class_mode="binary", classes=["cat", "dog"]),
    dict(class_mode="multi_output", y_col=["score", "size"]), dict(color_mode="grayscale", target_size=(6, 5)),
])
def test_batches_equal_keras_in_table_order(tmp_path, options, capsys):
    table = _write_images(tmp_path)
    settings = {"directory": str(tmp_path), "target_size": (8, 10), "batch_size": 3, "shuffle": False, **options}
    datagen = dict(rescale=1 / 255)
    ours = ImageDataGenerator(**datagen).flow_from_dataframe(table, **settings)
    ours_printed = capsys.readouterr().out
    theirs = keras_image.ImageDataGenerator(**datagen).flow_from_dataframe(table, **settings)
    assert ours_printed == capsys.readouterr().out  # "Found 7 validated image filenames belonging to 3 classes."
    assert len(ours) == len(theirs) and ours.filenames == theirs.filenames and ours.samples == theirs.samples
    if options.get("class_mode", "categorical") in ("categorical", "binary", "sparse"):
        assert ours.class_indices == theirs.class_indices and ours.classes == theirs.classes
    for index in range(len(ours) + 1):  # one past an epoch: round again
        mine, keras_batch = next(ours), next(theirs)
        mine = list(mine) if isinstance(mine, tuple) else [mine]
        keras_batch = list(keras_batch) if isinstance(keras_batch, tuple) else [keras_batch]
        assert len(mine) == len(keras_batch)
        np.testing.assert_allclose(mine[0], keras_batch[0], rtol=1e-6)  # float32 images on both sides
        for got, want in zip(mine[1:], keras_batch[1:]):
            for g, w in zip(got if isinstance(got, list) else [got], want if isinstance(want, list) else [want]):
                assert np.asarray(g).dtype == np.asarray(w).dtype
                np.testing.assert_array_equal(g, w)


def test_a_plain_mapping_of_columns_works_as_a_dataframe(tmp_path, capsys):
    table = _write_images(tmp_path, count=4)
    columns = {"filename": list(table["filename"]), "class": list(table["class"])}
    from_dict = ImageDataGenerator().flow_from_dataframe(columns, str(tmp_path), target_size=(4, 5), shuffle=False)
    from_frame = ImageDataGenerator().flow_from_dataframe(table, str(tmp_path), target_size=(4, 5), shuffle=False)
    for a, b in zip(next(from_dict), next(from_frame)):
        np.testing.assert_array_equal(a, b)
    assert "Found 4 validated image filenames belonging to 3 classes." in capsys.readouterr().out


def test_missing_files_are_left_out_with_a_warning_and_paths_work_without_directory(tmp_path, capsys):
    table = _write_images(tmp_path, count=4)
    (tmp_path / "notes.txt").write_text("not an image")
    table = pd.concat([table, pd.DataFrame({"filename": ["gone.png", "notes.txt"], "class": ["cat", "dog"]})])
    table["filename"] = [str(tmp_path / name) for name in table["filename"]]
    with pytest.warns(UserWarning, match="2 of the 6 file names are not image files"):
        flow = ImageDataGenerator().flow_from_dataframe(table, target_size=(4, 5), shuffle=False, batch_size=10)
    assert flow.samples == 4 and next(flow)[0].shape == (4, 4, 5, 3)
    unchecked = ImageDataGenerator().flow_from_dataframe(table, validate_filenames=False, batch_size=10)
    assert unchecked.samples == 6 and "6 non-validated image filenames" in capsys.readouterr().out


def test_seeded_shuffle_and_validation_split(tmp_path, capsys):
    table = _write_images(tmp_path)
    datagen = ImageDataGenerator(validation_split=0.3)
    validation = datagen.flow_from_dataframe(table, str(tmp_path), subset="validation", shuffle=False,
                                             target_size=(4, 5))
    training = datagen.flow_from_dataframe(table, str(tmp_path), subset="training", shuffle=False,
                                           target_size=(4, 5))
    assert validation.filenames == list(table["filename"][:2]) and training.filenames == list(table["filename"][2:])
    first = datagen.flow_from_dataframe(table, str(tmp_path), seed=3, batch_size=7, class_mode="sparse",
                                        target_size=(4, 5))
    again = datagen.flow_from_dataframe(table, str(tmp_path), seed=3, batch_size=7, class_mode="sparse",
                                        target_size=(4, 5))
    a, b = next(first), next(again)
    np.testing.assert_array_equal(a[1], b[1])
    assert sorted(a[1].tolist()) == sorted(first.classes)


@pytest.mark.parametrize("options, error, message", [
    (dict(x_col="path"), ValueError, r"no column 'path'; its columns are \['filename', 'class'"),
    (dict(class_mode="other"), ValueError, "class_mode must be one of"),
    (dict(class_mode="binary"), ValueError, 'class_mode="binary" needs exactly 2 classes; y_col has 3'),
    (dict(class_mode="multi_output", y_col="score"), TypeError, "needs y_col to be a list"),
    (dict(class_mode="sparse", y_col="tags"), TypeError, r"must be a class name \(a string\); got \['cat'\]"),
    (dict(class_mode="categorical", y_col="score"), TypeError, "class name or a list of them; got 0.5"),
    (dict(weight_col="class"), TypeError, "weight_col='class' must hold numbers; got 'cat'"),
    (dict(color_mode="cmyk"), ValueError, "color_mode must be"),
    (dict(subset="validation"), ValueError, "needs ImageDataGenerator"),
])
def test_bad_tables_and_arguments_are_refused_by_name(tmp_path, options, error, message):
    table = _write_images(tmp_path)
    with pytest.raises(error, match=message):
        ImageDataGenerator().flow_from_dataframe(table, str(tmp_path), **options)


def test_file_names_must_be_strings(tmp_path):
    with pytest.raises(TypeError, match="x_col='filename' must be a file name"):
        ImageDataGenerator().flow_from_dataframe({"filename": [3], "class": ["cat"]}, str(tmp_path))


def test_fit_trains_on_the_dataframe_iterator_as_on_a_sequence(tmp_path, capsys):
    from pydl import layers, models

    table = _write_images(tmp_path)
    datagen = ImageDataGenerator(rescale=1 / 255, validation_split=0.3)
    train = datagen.flow_from_dataframe(table, str(tmp_path), target_size=(8, 10), class_mode="sparse",
                                        batch_size=2, subset="training", seed=0)
    validation = datagen.flow_from_dataframe(table, str(tmp_path), target_size=(8, 10), class_mode="sparse",
                                             batch_size=2, subset="validation", shuffle=False)
    model = models.Sequential([layers.Input((8, 10, 3)), layers.Flatten(), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(train, epochs=2, validation_data=validation, verbose=0, seed=0)
    assert len(train) == 3 and len(validation) == 1
    assert len(history.history["loss"]) == 2 and len(history.history["val_loss"]) == 2
