"""kinyu evaluation: japanese-lm-fin-harness's five tasks on the lm-eval 0.4 engine, domain bits
per character, checkpoint sweeps and side-by-side answers (see evaluation/README.md).

Python API: ``evaluation.harness.evaluate_model``, ``evaluation.bpc.bits_per_character``,
``evaluation.score.score_model`` (one model by an ``EvalConfig``), ``evaluation.sweep.sweep``,
``evaluation.compare.compare_models``; CLI: ``kinyu eval`` (``kinyu.cli.eval``).
"""
