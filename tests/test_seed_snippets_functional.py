"""The functional API as the study notes teach it (seed 001, chapter 7 of Chollet's *Deep Learning with Python*):
the notes' snippet runs with only the imports changed (``from keras import Input`` -> ``from pydl import Input``,
``keras.models`` -> ``pydl.models``).

The notes summarize the chapter's other functional examples (multi-input, multi-output, shared layers, residual
connections) without their code; the book's listings for them (7.1-7.6 and sections 7.1.3-7.1.4) follow below, with
the same import change, the Embedding arguments in Keras' (input_dim, output_dim) order, and sizes reduced so that
each runs in well under a second.

Chapter 5's snippet for a convnet's intermediate activations (``layer.output`` of a built Sequential model, fed to
``models.Model``) runs on the book's MNIST convnet (listing 5.1), with one digit upscaled to 28x28 as its image."""

import numpy as np
import pytest

from pydl.datasets import load_digits
from tests.learning import assert_at_least


def test_sequential_model_converted_into_the_functional_api():
    # --- snippet (seed 001, chapter 7), imports changed ---
    from pydl.models import Sequential, Model
    from pydl import layers
    from pydl import Input

    seq_model = Sequential()
    seq_model.add(layers.Dense(32, activation='relu', input_shape=(64,)))
    seq_model.add(layers.Dense(32, activation='relu'))
    seq_model.add(layers.Dense(10, activation='softmax'))

    input_tensor = Input(shape=(64,))
    x = layers.Dense(32, activation='relu')(input_tensor)
    x = layers.Dense(32, activation='relu')(x)
    output_tensor = layers.Dense(10, activation='softmax')(x)
    model = Model(input_tensor, output_tensor)
    # --- end ---
    assert model.count_params() == seq_model.count_params() == 3466
    assert [tuple(w.shape) for w in model.weights] == [tuple(w.shape) for w in seq_model.weights]

    # "The compiling, training, and evaluating is the same for the functional API."
    (x_train, y_train), (x_test, y_test) = load_digits()
    x_train, x_test = x_train.reshape(-1, 64) / 16, x_test.reshape(-1, 64) / 16
    for network in (seq_model, model):
        network.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        network.fit(x_train, y_train, epochs=20, batch_size=32, verbose=0, seed=0)
        _, accuracy = network.evaluate(x_test, y_test, verbose=0)
        assert_at_least(accuracy, 0.9, f"{network.name}: test accuracy")
    # "You can use a model to evaluate a single input: y = model(x)."
    y = model(x_test[:1])
    assert y.shape == (1, 10) and int(y.numpy().argmax()) == int(model.predict(x_test[:1]).argmax())


def test_book_listing_7_1_question_answering_model_with_two_inputs():
    # --- book listing 7.1, imports changed, vocabularies reduced ---
    from pydl.models import Model
    from pydl import layers
    from pydl import Input

    text_vocabulary_size = 100
    question_vocabulary_size = 100
    answer_vocabulary_size = 20

    text_input = Input(shape=(None,), dtype='int32', name='text')
    embedded_text = layers.Embedding(text_vocabulary_size, 64)(text_input)
    encoded_text = layers.LSTM(32)(embedded_text)

    question_input = Input(shape=(None,), dtype='int32', name='question')
    embedded_question = layers.Embedding(question_vocabulary_size, 32)(question_input)
    encoded_question = layers.LSTM(16)(embedded_question)

    concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(answer_vocabulary_size, activation='softmax')(concatenated)

    model = Model([text_input, question_input], answer)
    model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['acc'])
    # --- book listing 7.2, sizes reduced ---
    from pydl.preprocessing import to_categorical

    num_samples = 64
    max_length = 12
    np.random.seed(0)  # (not in the book) the same random data on every run

    text = np.random.randint(1, text_vocabulary_size, size=(num_samples, max_length))
    question = np.random.randint(1, question_vocabulary_size, size=(num_samples, max_length))
    answers = to_categorical(np.random.randint(answer_vocabulary_size, size=num_samples), answer_vocabulary_size)

    model.fit([text, question], answers, epochs=2, batch_size=32, verbose=0)
    model.fit({'text': text, 'question': question}, answers, epochs=2, batch_size=32, verbose=0)
    # --- end ---
    assert model.output_shape == (None, answer_vocabulary_size) and model.input_names == ["text", "question"]
    assert set(model.history.history) == {"loss", "acc"}
    assert model.evaluate([text, question], answers, verbose=0) == \
        model.evaluate({"question": question, "text": text}, answers, verbose=0)
    assert model.predict([text[:3, :5], question[:3]]).shape == (3, answer_vocabulary_size)  # any length


def test_book_listings_7_3_to_7_6_three_output_model():
    # --- book listing 7.3, imports changed, sizes reduced (same layers) ---
    from pydl import layers
    from pydl import Input
    from pydl.models import Model

    vocabulary_size = 500
    num_income_groups = 10

    posts_input = Input(shape=(None,), dtype='int32', name='posts')
    embedded_posts = layers.Embedding(vocabulary_size, 16)(posts_input)
    x = layers.Conv1D(16, 5, activation='relu')(embedded_posts)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(16, 5, activation='relu')(x)
    x = layers.Conv1D(16, 5, activation='relu')(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(16, 5, activation='relu')(x)
    x = layers.Conv1D(16, 5, activation='relu')(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(32, activation='relu')(x)

    age_prediction = layers.Dense(1, name='age')(x)
    income_prediction = layers.Dense(num_income_groups, activation='softmax', name='income')(x)
    gender_prediction = layers.Dense(1, activation='sigmoid', name='gender')(x)

    model = Model(posts_input, [age_prediction, income_prediction, gender_prediction])
    # --- book listings 7.4 and 7.5 ---
    model.compile(optimizer='rmsprop', loss=['mse', 'categorical_crossentropy', 'binary_crossentropy'])
    model.compile(optimizer='rmsprop',
                  loss={'age': 'mse', 'income': 'categorical_crossentropy', 'gender': 'binary_crossentropy'})
    model.compile(optimizer='rmsprop', loss=['mse', 'categorical_crossentropy', 'binary_crossentropy'],
                  loss_weights=[0.25, 1., 10.])
    model.compile(optimizer='rmsprop',
                  loss={'age': 'mse', 'income': 'categorical_crossentropy', 'gender': 'binary_crossentropy'},
                  loss_weights={'age': 0.25, 'income': 1., 'gender': 10.})
    # --- end ---
    rng = np.random.default_rng(0)
    posts = rng.integers(1, vocabulary_size, (64, 300))
    age_targets = rng.uniform(0, 2, 64)
    income_targets = np.eye(num_income_groups)[rng.integers(0, num_income_groups, 64)]
    gender_targets = rng.integers(0, 2, 64).astype("float32")
    # --- book listing 7.6, epochs reduced ---
    model.fit(posts, [age_targets, income_targets, gender_targets], epochs=1, batch_size=64, verbose=0)
    model.fit(posts, {'age': age_targets, 'income': income_targets, 'gender': gender_targets},
              epochs=1, batch_size=64, verbose=0)
    # --- end ---
    logs = model.evaluate(posts, [age_targets, income_targets, gender_targets], verbose=0, return_dict=True)
    assert list(logs) == ["loss", "age_loss", "income_loss", "gender_loss"]
    assert logs["loss"] == pytest.approx(0.25 * logs["age_loss"] + logs["income_loss"] + 10 * logs["gender_loss"],
                                         rel=1e-5)
    age, income, gender = model.predict(posts[:4])
    assert age.shape == (4, 1) and income.shape == (4, 10) and gender.shape == (4, 1)


def test_book_section_7_1_4_one_lstm_shared_by_two_inputs():
    rng = np.random.default_rng(0)
    left_data, right_data = rng.random((32, 5, 128)), rng.random((32, 5, 128))
    targets = rng.integers(0, 2, 32)
    # --- book section 7.1.4, imports changed (the book's compile step added) ---
    from pydl import layers
    from pydl import Input
    from pydl.models import Model

    lstm = layers.LSTM(32)

    left_input = Input(shape=(None, 128))
    left_output = lstm(left_input)

    right_input = Input(shape=(None, 128))
    right_output = lstm(right_input)

    merged = layers.concatenate([left_output, right_output], axis=-1)
    predictions = layers.Dense(1, activation='sigmoid')(merged)

    model = Model([left_input, right_input], predictions)
    model.compile(optimizer='rmsprop', loss='binary_crossentropy')
    model.fit([left_data, right_data], targets, verbose=0)
    # --- end ---
    assert model.count_params() == lstm.count_params() + 65  # the LSTM's weights once, plus the Dense head
    assert len(model.layers) == 5


def test_book_section_7_1_3_residual_connection():
    from pydl import Input

    x = Input(shape=(6, 6, 128))
    # --- book section 7.1.3, import changed ---
    from pydl import layers

    y = layers.Conv2D(128, 3, activation='relu', padding='same')(x)
    y = layers.Conv2D(128, 3, activation='relu', padding='same')(y)
    y = layers.Conv2D(128, 3, activation='relu', padding='same')(y)
    y = layers.add([y, x])
    # --- end ---
    from pydl.models import Model

    model = Model(x, y)
    images = np.random.default_rng(0).random((2, 6, 6, 128)).astype("float32")
    convolved = images
    for layer in model.layers[1:4]:
        convolved = layer(convolved).numpy()
    np.testing.assert_allclose(model.predict(images), convolved + images, rtol=1e-5)


def test_intermediate_activations_of_a_convnet():
    # --- book listing 5.1 (the convnet the chapter visualizes), import changed ---
    from pydl import layers
    from pydl import models

    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation='relu'))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation='relu'))
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation='relu'))
    model.add(layers.Dense(10, activation='softmax'))
    # --- end ---
    # (not in the book) one test digit upscaled 3x and padded to MNIST's 28x28, as the book prepares its image
    _, (x_test, _) = load_digits()
    img = np.pad(np.kron(x_test[0], np.ones((3, 3))), 2)[..., None]
    img_tensor = np.expand_dims(img, axis=0)
    img_tensor /= 16.

    # --- snippet (seed 001, chapter 5), import changed ---
    from pydl import models

    # Extract the outputs of the top eight layers
    layer_outputs = [layer.output for layer in model.layers[:8]]
    activation_model = models.Model(
        inputs=model.input, outputs=layer_outputs)
    activations = activation_model.predict(img_tensor)
    # --- end ---
    first_layer_activation = activations[0]
    assert first_layer_activation.shape == (1, 26, 26, 32)  # the book prints (1, 148, 148, 32) for 150x150 images
    assert [a.shape[1:] for a in activations[1:]] == [(13, 13, 32), (11, 11, 64), (5, 5, 64), (3, 3, 64), (576,),
                                                      (64,), (10,)]
    x = img_tensor
    for layer, activation in zip(model.layers, activations):  # the same layers and weights, run by hand
        x = layer(x).numpy()
        np.testing.assert_allclose(activation, x, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(activations[-1], model.predict(img_tensor))  # the eighth layer is the output
