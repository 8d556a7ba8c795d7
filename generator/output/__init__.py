"""The output stage (see docs/architecture.md)."""
