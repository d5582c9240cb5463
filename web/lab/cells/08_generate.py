# Generating text, one character at a time.
# Train a network to guess the next character from the few before it, then let it write:
# feed it a start, pick a next character from its guess, append it, slide on, repeat.
# How we pick decides what comes out: always the likeliest character (greedy) gets stuck
# in loops; drawing at random from its probabilities gives variety, and a "temperature"
# turns that randomness up or down.
import re
import time

import numpy as np

from pydl import layers, models, optimizers
import pydl

text = (
    "little owl, little owl, what do you see? i see the moon in the old oak tree. "
    "little fox, little fox, where do you go? i go to the river where the reeds grow. "
    "little hen, little hen, what do you keep? i keep the eggs while the chicks sleep. "
    "little mouse, little mouse, what do you eat? i eat the crumbs by the baker's feet. "
    "little bee, little bee, where do you fly? i fly to the flowers under the sky. "
    "little frog, little frog, what do you sing? i sing to the rain in the early spring. "
)
characters = sorted(set(text))
index_of = {c: i for i, c in enumerate(characters)}
print(f"{len(text)} characters of text, {len(characters)} different ones: "
      f"{''.join(characters)!r}")

# Every window of 12 characters is an input; the character after it is the target.
# Each character becomes a one-hot vector: all zeros but a 1 at the character's index.
window = 12


def one_hot(chunk):
    """(len(chunk), len(characters)) float32: one row per character of chunk."""
    rows = np.zeros((len(chunk), len(characters)), dtype="float32")
    rows[np.arange(len(chunk)), [index_of[c] for c in chunk]] = 1.0
    return rows


starts = range(len(text) - window)
x = np.stack([one_hot(text[s:s + window]) for s in starts])  # (windows, 12, characters)
y = np.array([index_of[text[s + window]] for s in starts])
print(f"{len(x)} windows, e.g. {text[:window]!r} -> {text[window]!r}")

pydl.seed(0)
char_model = models.Sequential([
    layers.Input((window, len(characters))),
    layers.LSTM(48),
    layers.Dense(len(characters), activation="softmax"),  # a probability for every character
])
char_model.compile(optimizer=optimizers.Adam(learning_rate=0.02),
                   loss="sparse_categorical_crossentropy", metrics=["accuracy"])
started = time.perf_counter()
char_history = char_model.fit(x, y, epochs=25, batch_size=64, verbose=0)
print(f"next-character accuracy on the text: {char_history.history['accuracy'][-1]:.3f} "
      f"({time.perf_counter() - started:.1f} s)")


def sample(probabilities, temperature, rng):
    """Draw a character index. Dividing the log-probabilities by the temperature sharpens the
    distribution below 1 (the favourite wins almost always) and flattens it above 1 (unlikely
    characters get a real chance); at exactly 1 the model's own probabilities are used."""
    logits = np.log(np.maximum(probabilities, 1e-12)) / temperature
    weights = np.exp(logits - logits.max())  # minus the max: no overflow, same ratios
    return rng.choice(len(weights), p=weights / weights.sum())


def generate(start, temperature, length=80):
    rng = np.random.default_rng(0)  # the same dice at every temperature: only the weights differ
    written = start
    for _ in range(length):
        recent = one_hot(written[-window:])[None]  # a batch of one window
        probabilities = char_model.predict(recent, verbose=0)[0].astype("float64")
        written += characters[sample(probabilities, temperature, rng)]
    return written[len(start):]


start = "little hen, "  # your own 12 characters? "little cat, " is an animal it never met
known_words = set(re.findall(r"[a-z']+", text))
samples = {}
for temperature in (0.2, 0.5, 1.0, 1.5):
    samples[temperature] = generate(start, temperature)
    words = re.findall(r"[a-z']+", samples[temperature])[:-1]  # the last word may be cut off
    new_words = [word for word in words if word not in known_words]
    print(f"temperature {temperature}: {start}{samples[temperature]}")
    print(f"  {len(new_words)} of {len(words)} words are not in the text: "
          f"{', '.join(new_words) or '-'}")
# Cold (0.2): it nearly always takes the favourite, so it recites lines of the rhyme (not
# always the right animal's). At 1.0, its own probabilities: mostly the rhyme, with slips.
# Hot (1.5): it invents words and misspells. The temperature trades sense for surprise.
