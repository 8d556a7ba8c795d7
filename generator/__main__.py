"""``python -m generator`` is the ``lessonpress`` command."""

import sys

from generator.cli import main

sys.exit(main())
