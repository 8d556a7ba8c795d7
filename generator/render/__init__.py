"""The render stage (see docs/architecture.md)."""
