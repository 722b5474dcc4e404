"""Domains and the paired data module; importing this package registers every built-in domain."""

from da_bench.data import digits, embedded, features, images, mnistm, office  # noqa: F401
