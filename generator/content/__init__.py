"""The content stage (see docs/architecture.md)."""
