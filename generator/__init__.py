"""lessonpress: a static site generator for interactive, computed lesson posts."""

__version__ = "0.1.0"
