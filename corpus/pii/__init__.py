"""Japanese personal information: find it (``find_pii``), and mask, drop or count it
(``kinyu.corpus.filters.pii``, the pipeline step, configured as ``quality.pii``).

``detect``: e-mail, phone, My Number, card, bank account, address and IP address, by regex plus
the checks that make a match an identifier (check digits, Luhn, issuer prefixes, number
lengths, the words around it); ``names``: personal names, from MeCab's 人名 tags next to an
honorific or a label (様, さん, 氏, 代表取締役, 氏名 …). Each type's rules, and the tempting
non-personal numbers of financial text that each rule leaves alone, are written beside the rule.
"""

from kinyu.corpus.pii.detect import PII_TYPES, PLACEHOLDERS, find_pii, luhn_ok, my_number_ok
from kinyu.corpus.pii.spans import Span, shape

__all__ = ["PII_TYPES", "PLACEHOLDERS", "Span", "find_pii", "luhn_ok", "my_number_ok", "shape"]
