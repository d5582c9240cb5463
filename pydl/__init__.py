"""pydl: a readable deep-learning library on NumPy that runs natively and in the browser."""

from pydl import backend

__version__ = "0.1.0"
