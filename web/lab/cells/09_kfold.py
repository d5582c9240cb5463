# K-fold validation when data is scarce.
# With only a hundred labelled examples, a validation set of 25 is small enough that its score
# depends on which 25 happen to land in it: a few hard digits more or less moves the accuracy by
# several points. K-fold validation cuts the data into K parts, trains K fresh models (each on
# K-1 parts) and scores each on the part it never saw. Every example is used for validation
# exactly once, and the average of the K scores is far steadier than any one of them.
import numpy as np

from pydl import datasets, layers, models, optimizers
from pydl.preprocessing import KFold, train_test_split
import pydl

pydl.seed(0)
(all_images, all_labels), (test_images, test_labels) = datasets.load_digits()
pick = np.random.default_rng(0).choice(len(all_images), 100, replace=False)  # pretend we have only 100
small_x = all_images[pick].reshape(100, 64).astype("float32") / 16.0
small_y = all_labels[pick]
kfold_test_x = test_images.reshape(len(test_images), 64).astype("float32") / 16.0


def new_model():
    """A fresh, untrained model: each fold must start from scratch, or it has seen its validation part."""
    model = models.Sequential([
        layers.Dense(128, activation="relu", input_shape=(64,)),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.02),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


epochs = 40

# 1. The usual hold-out: one quarter for validation, one number at the end.
fit_x, check_x, fit_y, check_y = train_test_split(small_x, small_y, test_size=0.25, seed=0)
holdout_model = new_model()
holdout_model.fit(fit_x, fit_y, epochs=epochs, batch_size=8, verbose=0)
holdout_score = holdout_model.evaluate(check_x, check_y, verbose=0)[1]
print(f"one hold-out split: validation accuracy {holdout_score:.3f}")

# 2. K-fold with K=4: four splits of the same data, each quarter the validation set once.
#    shuffle=True because the data might be sorted (by class, by writer); seed fixes the folds.
fold_scores, fold_curves = [], []
for fold, (train_idx, val_idx) in enumerate(KFold(4, shuffle=True, seed=0).split(small_x), 1):
    fold_model = new_model()
    fold_history = fold_model.fit(small_x[train_idx], small_y[train_idx], epochs=epochs, batch_size=8,
                             validation_data=(small_x[val_idx], small_y[val_idx]), verbose=0)
    fold_scores.append(fold_history.history["val_accuracy"][-1])
    fold_curves.append(fold_history.history["val_loss"])  # the validation loss after every epoch
    print(f"fold {fold}: trained on {len(train_idx)}, validated on {len(val_idx)}, "
          f"accuracy {fold_scores[-1]:.3f}")

mean_score, spread = np.mean(fold_scores), np.std(fold_scores)
print(f"K-fold accuracy: {mean_score:.3f} +- {spread:.3f} (mean +- standard deviation over 4 folds)")
print(f"any single split could have reported anything from {min(fold_scores):.3f} "
      f"to {max(fold_scores):.3f}")

# 3. How many epochs? One fold's validation curve is as noisy as its score, so average the
#    four curves epoch by epoch and take the epoch where the average is lowest. After it the
#    models start to memorise their 75 training digits and the validation loss creeps up.
mean_curve = np.mean(fold_curves, axis=0)
best_epoch = int(np.argmin(mean_curve)) + 1  # epochs count from 1
for epoch in (1, 5, 10, 20, 30, 40):
    print(f"  epoch {epoch:2d}: mean validation loss {mean_curve[epoch - 1]:.3f}")
print(f"best epoch by the average curve: {best_epoch}; "
      f"each fold alone would pick {[int(np.argmin(c)) + 1 for c in fold_curves]}")

# 4. Validation has done its job. Train the final model on all 100 examples for best_epoch
#    epochs, and only now look at the test set, once. Which guessed this number better: the
#    single hold-out score or the K-fold mean?
final_model = new_model()
final_model.fit(small_x, small_y, epochs=best_epoch, batch_size=8, verbose=0)
print(f"final model, {best_epoch} epochs on all 100: "
      f"test accuracy {final_model.evaluate(kfold_test_x, test_labels, verbose=0)[1]:.3f}")
