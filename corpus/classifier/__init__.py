"""The finance-domain classifier: a fastText model over character unigrams and bigrams that tells
Japanese financial documents (filings, regulatory notices) from general Japanese text.

``features`` turns a text into the model's input line, ``train`` reads positives and negatives
(corpus runs or jsonl/text files), trains and writes the model with its card, ``evaluate`` measures
it on held-out documents beside the lexicon ``FinanceDomainTagger``. The build step that scores
documents with it is ``kinyu.corpus.select.classifier``; ``kinyu corpus train-classifier`` is the CLI.
"""
