"""Residents and their residence episodes (admissions, hospital stays, discharge, death)."""
