"""Workflows that chain the stages (corpus -> training -> evaluation): the demo and ablations.
The top layer: it imports the stages; no stage and no base module imports it."""
