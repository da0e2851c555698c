"""``python -m modelc.cli``: the ``modelc`` command."""

import sys

from . import main

sys.exit(main())
