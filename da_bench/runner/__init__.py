"""Runs, records, sweeps and launchers."""
