# Regression, DataCamp style: predict hourly wages from worker data with adam and mse.
# The data are synthetic (a known linear rule plus noise) so the answer can be checked.
import numpy as np
from pydl import layers, models
import pydl

pydl.seed(1)
rng = np.random.default_rng(1)
n_rows = 500
predictors = np.column_stack([
    rng.integers(0, 2, n_rows),   # union member
    rng.uniform(6, 18, n_rows),   # years of education
    rng.uniform(0, 40, n_rows),   # years of experience
    rng.uniform(18, 64, n_rows),  # age
]).astype("float32")
true_weights = np.array([1.5, 0.8, 0.2, 0.02], dtype="float32")
target = predictors @ true_weights - 5 + rng.normal(0, 1.0, n_rows).astype("float32")

# Standardise the columns so adam's default step size suits every feature.
predictors = (predictors - predictors.mean(axis=0)) / predictors.std(axis=0)
n_cols = predictors.shape[1]

regression_model = models.Sequential([
    layers.Dense(50, activation="relu", input_shape=(n_cols,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(1),
])
regression_model.compile(optimizer="adam", loss="mean_squared_error")
history = regression_model.fit(predictors, target.reshape(-1, 1), epochs=60, batch_size=32, verbose=0)

losses = history.history["loss"]
print(f"mse: first epoch {losses[0]:.2f}, last epoch {losses[-1]:.2f} (noise variance is 1.0)")
