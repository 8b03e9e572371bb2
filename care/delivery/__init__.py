"""Telling people about urgent work outside the app: per-user channels and a delivery outbox."""
