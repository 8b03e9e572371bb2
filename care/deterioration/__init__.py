"""Deterioration: observations, NEWS2 scoring (pure), and later soft signs, SBARD and escalation."""
