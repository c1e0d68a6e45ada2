"""``python -m installation`` is the ``canopy`` command."""

import sys

from installation.app.cli import main

sys.exit(main())
