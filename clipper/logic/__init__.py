"""Pure decisions: no I/O, no clock, no environment, no model loading.

Every function here takes ``now`` and data and returns values.
"""
