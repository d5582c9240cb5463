# Several models vote: an ensemble.
# Five small networks, each trained on the same 300 digits, will each get some test digits wrong,
# but not the same ones: they start from different random weights and have different shapes, so
# each picks up different cues. Average their predicted probabilities and a mistake made by one
# model is outvoted by the others, as long as the others are right and sure enough.
import numpy as np

from pydl import datasets, layers, models, optimizers
import pydl

(all_images, all_labels), (test_images, test_labels) = datasets.load_digits()
few_x = all_images[:300].reshape(300, 64).astype("float32") / 16.0
few_y = all_labels[:300]
ensemble_test_x = test_images.reshape(len(test_images), 64).astype("float32") / 16.0

# Diversity is the point: five copies of one model would vote as one. So vary the width, the
# depth, the activation and the random seed, and keep each member reasonably good on its own.
members = {
    "32 relu":    (0, [layers.Dense(32, activation="relu")]),
    "64 tanh":    (1, [layers.Dense(64, activation="tanh")]),
    "16 relu":    (2, [layers.Dense(16, activation="relu")]),
    "32-32 relu": (3, [layers.Dense(32, activation="relu"), layers.Dense(32, activation="relu")]),
    "48 sigmoid": (4, [layers.Dense(48, activation="sigmoid")]),
}
member_probabilities, member_accuracies = [], []
for name, (seed, hidden) in members.items():
    pydl.seed(seed)  # a different start (and batch order) for every member
    member = models.Sequential([layers.Input(shape=(64,)), *hidden, layers.Dense(10, activation="softmax")])
    member.compile(optimizer=optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    member.fit(few_x, few_y, epochs=30, batch_size=32, verbose=0)
    probabilities = member.predict(ensemble_test_x, verbose=0)  # (360, 10): a row of probabilities per digit
    member_probabilities.append(probabilities)
    member_accuracies.append(float(np.mean(probabilities.argmax(axis=1) == test_labels)))
    print(f"member {name:10s}  test accuracy {member_accuracies[-1]:.3f}")

# The ensemble: average the five rows of probabilities, then take the most likely digit.
ensemble_probabilities = np.mean(member_probabilities, axis=0)
ensemble_guess = ensemble_probabilities.argmax(axis=1)
ensemble_accuracy = float(np.mean(ensemble_guess == test_labels))
print(f"members: mean {np.mean(member_accuracies):.3f}, best {max(member_accuracies):.3f}")
print(f"ensemble (averaged probabilities): {ensemble_accuracy:.3f}")

# Where can voting help? Only where the members disagree: if all five name the same digit, each
# gives it the highest probability, so their average does too and the ensemble says the same.
guesses = np.array([p.argmax(axis=1) for p in member_probabilities])  # (5, 360)
disagree = (guesses != guesses[0]).any(axis=0)
print(f"the members disagree on {disagree.sum()} of {len(test_labels)} test digits "
      f"({disagree.mean():.1%})")
print(f"on those digits: a member is right {np.mean(guesses[:, disagree] == test_labels[disagree]):.1%} "
      f"of the time, the ensemble {np.mean(ensemble_guess[disagree] == test_labels[disagree]):.1%}")

# Why it is usually at least as good as the best member: errors that differ cancel in the average,
# while the answers the members share survive. It is no law for accuracy (a confident wrong member
# can outvote hesitant right ones), but it is for cross-entropy: the log of an average is at least
# the average of the logs, so the ensemble's loss never exceeds the members' mean loss.
# And notice: "the best member" was picked by its test score. The ensemble needed no such choice.
def cross_entropy(probabilities):
    return float(-np.mean(np.log(probabilities[np.arange(len(test_labels)), test_labels] + 1e-7)))


print(f"cross-entropy: ensemble {cross_entropy(ensemble_probabilities):.3f}, "
      f"members' mean {np.mean([cross_entropy(p) for p in member_probabilities]):.3f}")
