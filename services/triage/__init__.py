"""Triage: the rules-based decision (pure core in engine.py) and the consumer around it."""
