"""The weekly MDT home round: when it happens, who is on its agenda and why."""
