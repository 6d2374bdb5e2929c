"""kinyu (金融): Japanese financial LLM corpora, continual pre-training and evaluation.

The stages live in the top-level packages ``corpus``, ``training`` and ``evaluation``;
this package holds what they share: typed YAML configs, run folders and the CLI.
"""

__version__ = "0.1.0"
