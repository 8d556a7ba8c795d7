"""The render charts stage (see docs/architecture.md)."""
