"""Leaderboards and plots built offline from run records."""
