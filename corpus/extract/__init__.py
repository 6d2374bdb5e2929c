"""Extraction, the first stage of a build: read raw files (``readers``), decode bytes to text
(``decode``), extract HTML (``html``, trafilatura) and PDF (``pdf``, pdfminer.six / pypdfium2) as
datatrove steps (``extractors``) under per-document limits (``limits``), with a content cache
(``cache``) so a filter-only rebuild skips extraction."""
