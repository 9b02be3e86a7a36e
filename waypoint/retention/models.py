"""Retention: how long the organisation keeps each kind of data, legal holds, and purge runs."""
