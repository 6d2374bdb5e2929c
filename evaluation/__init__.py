"""kinyu evaluation: japanese-lm-fin-harness's five tasks on the lm-eval 0.4 engine, domain bits
per character, checkpoint sweeps and side-by-side answers (see evaluation/README.md).

Python API: ``kinyu.evaluation.harness.evaluate_model``, ``kinyu.evaluation.bpc.bits_per_character``,
``kinyu.evaluation.score.score_model`` (one model by an ``EvalConfig``), ``kinyu.evaluation.sweep.sweep``,
``kinyu.evaluation.compare.compare_models``; CLI: ``kinyu eval`` (``kinyu.cli.eval``).
"""
