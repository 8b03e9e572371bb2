"""Journeys, human steps, their events, the outbox and deadline escalations."""
