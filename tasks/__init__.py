"""Prefect tasks: thin, idempotent verbs over the domain services (ids in, small values out)."""
