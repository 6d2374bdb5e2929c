"""Workflows that chain the stages (corpus -> training -> evaluation): the demo and ablations.

The top layer: it imports every stage, and no stage or base module imports it.
"""
