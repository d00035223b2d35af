"""What the spider hands to the pipeline: a provider, a downloaded report, or a failure."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ProviderItem:
    urn: str
    name: str | None
    category: str | None
    provider_type: str | None
    local_authority: str | None
    region: str | None
    status: str | None
    page_url: str
    latest_report_date: str | None
    #: reports on the page whose file is not stored yet: [{file_id, url, title, dates}]
    missing: list[dict] = field(default_factory=list)


@dataclass
class ReportItem:
    urn: str
    file_id: str
    url: str
    title: str | None
    inspection_date: str | None
    publication_date: str | None
    body: bytes | None = field(default=None, repr=False)


@dataclass
class FailureItem:
    url: str
    reason: str
    kind: str            # listing | provider | file
    urn: str | None = None
    #: what the request needs to be tried again next run (its cb_kwargs)
    data: dict = field(default_factory=dict)
