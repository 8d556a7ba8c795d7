"""The compute stage (see docs/architecture.md)."""
