"""URL rules (``select.url``): allow and deny lists of domains and URL patterns for crawled pages."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from kinyu.base.config import option

_DOMAIN = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9\-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9\-]*[a-z0-9])?)*\.?$")


@dataclass
class UrlRulesConfig:
    """Which crawled pages to read, by URL. A domain ``jpx.co.jp`` matches it and its subdomains
    (``www.jpx.co.jp``); ``*.jpx.co.jp`` only the subdomains. A pattern is a glob over the whole URL
    (``https://www.release.tdnet.info/inbs/*.pdf``). Deny wins over allow; with an allow list, a URL
    must match one of its entries (domain or pattern). Documents without a URL (files, ZIP members)
    pass."""

    allow_domains: list[str] = option([], "keep only pages of these domains (and their subdomains; '*.d' = subdomains only); empty = any")
    deny_domains: list[str] = option([], "drop pages of these domains (and their subdomains); deny wins over allow")
    allow_patterns: list[str] = option([], "keep only URLs matching one of these globs (or an allowed domain); empty = any")
    deny_patterns: list[str] = option([], "drop URLs matching one of these globs")

    def any(self) -> bool:
        return bool(self.allow_domains or self.deny_domains or self.allow_patterns or self.deny_patterns)

    def problems(self) -> list[str]:
        return [
            f"{name}: not a domain (a URL glob goes in {name.split('_')[0]}_patterns): {d!r}"
            for name in ("allow_domains", "deny_domains")
            for d in getattr(self, name)
            if not _DOMAIN.match(d.lower())
        ]


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def domain_matches(host: str, rule: str) -> bool:
    rule = rule.lower().rstrip(".")
    if rule.startswith("*."):
        return host.endswith(rule[1:])
    return host == rule or host.endswith("." + rule)


class UrlFilter(BaseFilter):
    """Keeps crawled pages whose URL the rules allow (``select.url``): drops a denied domain
    (``denied_domain``) or pattern (``denied_url``), and, where allow lists are given, any URL
    outside them (``not_allowed``). Runs before extraction, so that a dropped page costs nothing.
    Documents without a URL pass (counted as ``no_url``)."""

    name = "🔗 URL rules"

    def __init__(self, config: UrlRulesConfig, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.config = config

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        url = doc.metadata.get("url")
        if not url:
            self.stat_update("no_url")
            return True
        c = self.config
        host = host_of(url)
        if any(domain_matches(host, d) for d in c.deny_domains):
            return self._drop(doc, "denied_domain")
        if any(fnmatch.fnmatchcase(url, p) for p in c.deny_patterns):
            return self._drop(doc, "denied_url")
        if c.allow_domains or c.allow_patterns:
            if not (any(domain_matches(host, d) for d in c.allow_domains) or any(fnmatch.fnmatchcase(url, p) for p in c.allow_patterns)):
                return self._drop(doc, "not_allowed")
        return True

    @staticmethod
    def _drop(doc: Document, reason: str) -> tuple[bool, str]:
        doc.media = []  # the payload is not written with the dropped record
        return False, reason
