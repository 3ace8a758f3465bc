"""Custom trust reports: a branded PDF for one prospect, delivered through their grant (docs/trust-center.md)."""
