"""The computations behind the web pages, importable and tested natively.

Each page's ``main.py`` under ``web/`` is DOM glue only; every number it shows comes from a module here, and a
native test asserts the same numbers. Modules: :mod:`gradient_descent`, :mod:`backprop`, :mod:`playground`,
:mod:`convnet`, :mod:`rnn`.
"""
