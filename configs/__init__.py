"""kinyu's shipped default configs, installed as the data package ``kinyu.configs``.

This folder is the one copy: the YAML files here are what `kinyu` loads when no ``--config`` is
given (``kinyu.base.config.shipped_config``), from a checkout and from an installed wheel alike.
"""
