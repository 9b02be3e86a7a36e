"""Waypoint's benchmark harness, one module per part (see bench/README.md); ``bench/run.py`` runs it."""
