"""The network playground: TensorFlow Playground's features, driven by pydl, importable and testable natively.

``web/playground/main.py`` is only the page's glue; everything it shows comes from here.

- :mod:`.state`: the settings (:class:`State`), their limits, and the URL form with checked values.
- :mod:`.data`: generated sets or a CSV file, the train/test split, the input features.
- :mod:`.network`: the pydl model for a state, and every layer's output over a grid in one pass.
- :mod:`.session`: :class:`Playground`, one run: training in slices, weight edits, what the page draws.
- :mod:`.render`: heat maps as RGBA image data.
- :mod:`.legend`: the names and colours of the classes, for the labels, the colour key and a CSV file's note.
- :mod:`.codegen`: "show the code", the pydl script that repeats the run.
- :mod:`.export`: its PyTorch and Keras tabs, the ``model.py`` pydl.export writes and the folder zipped.

>>> from pydl.lessons.playground import Playground, State
>>> pg = Playground(State(dataset="gauss", seed=0))
>>> pg.train_epochs(5)
>>> pg.accuracy(pg.data.x_test, pg.data.y_test) > 0.9
True
"""

from pydl.lessons.playground.codegen import python_code
from pydl.lessons.playground.data import CsvData, Data, features, make_data, parse_csv
from pydl.lessons.playground.network import build_model, layer_outputs
from pydl.lessons.playground.session import Playground
from pydl.lessons.playground.state import PlaygroundError, State, from_query, replace, to_query

__all__ = ["Playground", "State", "PlaygroundError", "from_query", "to_query", "replace", "make_data",
           "parse_csv", "features", "Data", "CsvData", "build_model", "layer_outputs", "python_code"]
