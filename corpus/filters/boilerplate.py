"""The boilerplate filter (``quality.boilerplate``): pages that are mostly site chrome — cookie
banners, menus, copyright, login walls. Its signal, boilerplate phrases per 1000 characters, is
computed here (``boilerplate_density``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from datatrove.data import Document

from kinyu.base.config import option
from kinyu.corpus.filters.analysis import round4
from kinyu.corpus.filters.base import QualityFilter


@dataclass
class BoilerplateConfig:
    """Pages that are mostly site chrome: cookie banners, menus, copyright, login walls."""

    enabled: bool = option(True, "run the boilerplate filter")
    # Boilerplate phrases (Cookie, 利用規約, ログイン, Copyright, お問い合わせ, …) per 1000
    # characters of what the line cleaner left. chABSA max 0.60; EDINET 0; a cookie/login page
    # 10+. 4.
    max_phrases_per_1000_chars: float = option(4.0, "drop above this many boilerplate phrases per 1000 characters")
    # ... and at least this many phrases (one mention of 利用規約 in a short note is fine).
    min_phrases: int = option(3, "... and with at least this many boilerplate phrases")


RE_BOILERPLATE_PHRASES = re.compile(
    r"cookie|クッキー|プライバシーポリシー|個人情報保護方針|利用規約|ご利用にあたって|ログイン|ログアウト|会員登録|"
    r"新規登録|パスワード|お問い合わせ|お問合せ|サイトマップ|copyright|©|all rights reserved|無断転載|javascript|"
    r"ブラウザ|ページの先頭|ページトップ|でシェア|ツイート|メールマガジン|メルマガ",
    re.IGNORECASE,
)


def boilerplate_density(text: str) -> tuple[int, float]:
    """(boilerplate phrases found, phrases per 1000 characters) of ``text``."""
    hits = len(RE_BOILERPLATE_PHRASES.findall(text))
    return hits, round4(hits * 1000 / max(len(text), 1))


class BoilerplateFilter(QualityFilter):
    """Drops pages that are mostly site chrome — cookie banners, login walls, menus, copyright
    and share buttons — judged on what the line cleaner left (which removes short boilerplate
    lines on its own): a high density of boilerplate phrases per 1000 characters."""

    name = "🍪 Boilerplate"
    config_class = BoilerplateConfig

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        hits, density = boilerplate_density(doc.text)
        doc.metadata.setdefault("quality", {})["boilerplate_per_1000"] = density
        self.stat_update("boilerplate_per_1000", value=density, unit="doc")
        if hits >= self.config.min_phrases and density > self.config.max_phrases_per_1000_chars:
            return False, "boilerplate"
        return True
