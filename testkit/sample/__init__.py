"""How kinyu's embedded sample corpus is made: ``python -m testkit.sample.generate``.

The package ships only the result (``corpus/sample/data``, read by ``kinyu.corpus.sample``); the
texts (``texts/``, data files) and the generator (``generate.py``, needs reportlab) stay here, with
the tests that prove the committed files are what the generator writes.
"""
