"""``python -m modelc``: the ``modelc`` command."""

import sys

from .cli import main

sys.exit(main())
