"""``python -m modelc.cli``: the ``modelc`` command."""

from . import entry

entry()
