"""Adapters: one third-party library each, one port each. They never import one another."""
