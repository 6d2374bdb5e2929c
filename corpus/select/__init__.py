"""Selection of what a crawl or a bundle holds, before and after extraction, as datatrove steps:
archive records that are not documents (``records``), URL rules (``url``) and the document's
language (``language``). The finance-domain classifier is a quality filter
(``kinyu.corpus.filters.finance_classifier``), since it reads the cleaned text."""
