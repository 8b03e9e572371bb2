"""The append-only audit log: who saw or changed what about whom (invariant 8)."""
