"""Prefect flows: they put tasks in the order of the care pathway and do nothing else."""
