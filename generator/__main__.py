"""``python -m generator`` is the ``lessonpress`` command."""

from generator.cli import program

program()
