"""Our definitions of japanese-lm-fin-harness's five tasks, kept as data for lm-eval's TaskManager.

Each folder holds one task: ``<task>.yaml`` is the ``default`` prompt, ``<task>-1.0-0.N.yaml``
the versioned variants (lm-eval ``include`` chains, as upstream), and ``utils.py`` binds the
prompt functions of :mod:`kinyu.evaluation.tasks.prompts` and the local loader of
:mod:`kinyu.evaluation.tasks.data`. Nothing here reads the network or ships benchmark data: the
loaders read the user's ``--data-dir`` at run time (it reaches them as lm-eval task metadata).
"""
