"""The structured report every extractor family returns (one JSON object per file)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Report:
    file: str
    sha256: str
    report_type: str | None = None          # e.g. childrens-home, ilacs, la-sif, area-send, school-s5
    inspection_kind: str | None = None      # full, interim, monitoring, assurance, focused-visit, ...
    urn: str | None = None
    provider_name: str | None = None
    owner: str | None = None                # registered provider (company) of a social-care setting
    local_authority: str | None = None
    inspection_date: str | None = None      # ISO; first day inspected
    inspection_end_date: str | None = None
    overall: str | None = None              # headline grade token
    judgements: dict[str, str] = field(default_factory=dict)   # area key -> grade token
    labels: dict[str, str] = field(default_factory=dict)       # area key -> label as printed
    enforcement: list[str] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)          # {date, type, judgement}
    last_inspection: dict | None = None                        # {date, judgement}
    concerns: bool | None = None            # assurance visits: serious/widespread concerns found?
    needs_review: bool = False
    review_reasons: list[str] = field(default_factory=list)
    pages: int = 0
    pages_read: list[int] = field(default_factory=list)        # 1-based
    extractor_version: str = ""

    def flag(self, reason: str) -> None:
        """Mark the report for human review rather than publishing a guess."""
        self.needs_review = True
        if reason not in self.review_reasons:
            self.review_reasons.append(reason)

    def to_dict(self) -> dict:
        return asdict(self)
