"""``python -m modelc``: the ``modelc`` command."""

from .cli import entry

entry()
