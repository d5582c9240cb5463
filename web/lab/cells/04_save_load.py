# Save the digits model (run the Keras cell above first) and load it back.
import numpy as np
from pydl import models

MODEL_FILE = "digits_model.pydl"
digits_model.save(MODEL_FILE)

restored = models.load_model(MODEL_FILE)
same = np.allclose(restored.predict(x_test, verbose=0), digits_model.predict(x_test, verbose=0))
print("restored model gives the same predictions:", same)
_, restored_accuracy = restored.evaluate(x_test, y_test, verbose=0)
print(f"restored test accuracy: {restored_accuracy:.3f}")
