"""The web layer: JSON API and HTML pages over the same domain services."""
