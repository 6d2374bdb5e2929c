"""The archive-record gate: captures and members that are not documents to keep."""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter


class ArchiveRecordFilter(BaseFilter):
    """Drops the WARC records and ZIP members that the readers marked as not documents
    (``metadata["record_skip"]``), with their reason: a non-200 HTTP status (``http_404``,
    ``http_301``), a payload that is not text (``not_text``: images, scripts, XBRL instances and
    schemas), a ``revisit`` record (payload stored by reference only). Nothing is extracted from
    them; they land in ``removed/archive_records/`` with their URL or member, so every record is
    accounted for. Everything else passes."""

    name = "🗂 Archive records"

    def __init__(self, exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        skip = doc.metadata.get("record_skip")
        if skip:
            return False, skip["reason"]
        return True
