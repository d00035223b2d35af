"""Every piece of the site's markup the crawler relies on, in one place, and the pure functions
that read it. Marks follow SITE.md: [real] seen in the saved page, [scrapers] relied on by public
scrapers, [guess] nobody has shown it.

Reading functions raise ``MarkupChanged`` (one line naming the page and what is missing) when
something they rely on is absent, so the day the site changes the crawl fails loudly.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

from parsel import Selector

from extract.dates import parse_date

# ---- results page [real] -------------------------------------------------------------------
RESULTS_COUNT = "strong.results-count.js-results-count::text"   # appears twice; take the first
RESULT_ITEM = "ul.results-list > li.search-result"
RESULT_LINK = "h3.search-result__title a"
RESULT_INFO = "ul.search-result__provider-info > li"            # "Label: <strong>value</strong>"
RESULT_ADDRESS = "address.search-result__address"
#: [scrapers] pagination; the crawler does not need it (it pages by start/rows up to the count)
PAGINATION_NEXT = "a.pagination__next::attr(href)"

# ---- provider page [scrapers / guess] ------------------------------------------------------
PROVIDER_NAME = "h1.heading--title"
PROVIDER_SUBHEADING = ".title-block__subheading"
PROVIDER_DETAILS = "li"                                 # <li><span>Label: </span><span>v</span></li>
TIMELINE = "ol.timeline"
TIMELINE_ITEM = "ol.timeline > li.timeline__day"
STATUS_EVENT_CLASSES = ("timeline__day--registered", "timeline__day--opened")
INSPECTION_DATE = "p.timeline__date time::text"
PUBLICATION_LINK = "a.publication-link"
PUBLICATION_LABEL = "span.nonvisual::text"              # "{Report type}, pdf - {DD Month YYYY}"
#: [guess] how a provider with no published report says so
NO_REPORTS = ".timeline--empty, .no-reports"
NO_REPORTS_TEXT = re.compile(r"no (inspection )?reports? (have been |has been )?published", re.I)

FILE_ID = re.compile(r"/v1/file/(\d+)")
PROVIDER_LINK = re.compile(r"/provider/([^/]+)/([A-Za-z]*\d+)/?$")


class MarkupChanged(Exception):
    """The page lacks markup the crawler relies on. ``str(exc)`` is one line."""


def _text(nodes) -> str:
    return re.sub(r"\s+", " ", " ".join(nodes.xpath(".//text()").getall())).strip()


def _labelled(items) -> dict[str, str]:
    """{label: value} from ``<li>Label: <strong>value</strong></li>``-like items."""
    out = {}
    for li in items:
        whole = _text(li)
        if ":" not in whole:
            continue
        label, value = whole.split(":", 1)
        out[label.strip().lower()] = value.strip()
    return out


def results_count(sel: Selector, url: str) -> int:
    raw = sel.css(RESULTS_COUNT).get()
    if raw is None:
        raise MarkupChanged(f"{url}: results page has no results count ({RESULTS_COUNT})")
    digits = re.sub(r"[^\d]", "", raw)
    if not digits:
        raise MarkupChanged(f"{url}: results count {raw!r} is not a number")
    return int(digits)


def parse_results(html: str | bytes, url: str, *, first_page: bool = True
                  ) -> tuple[int, list[dict]]:
    """(total, [provider summary]) from one results page. Each summary: urn, name, category,
    rating, latest_report_date (ISO), page_url (absolute), address. A first page whose count
    says there are results but which lists none means the markup changed."""
    sel = Selector(text=html if isinstance(html, str) else html.decode("utf-8", "replace"))
    total = results_count(sel, url)
    results = []
    for li in sel.css(RESULT_ITEM):
        link = li.css(RESULT_LINK)
        href = link.attrib.get("href") if link else None
        if not href:
            raise MarkupChanged(f"{url}: a search result has no title link ({RESULT_LINK})")
        info = _labelled(li.css(RESULT_INFO))
        page_url = urljoin(url, href)
        match = PROVIDER_LINK.search(href)
        urn = info.get("urn") or (match.group(2) if match else None)
        if not urn:
            raise MarkupChanged(f"{url}: search result {href} shows no URN")
        latest = info.get("latest report")
        address = _text(li.css(RESULT_ADDRESS)) or None if li.css(RESULT_ADDRESS) else None
        results.append({
            "urn": urn.strip(),
            "name": _text(link),
            "category": info.get("category"),
            "rating": info.get("rating"),
            "latest_report_date": parse_date(latest) if latest else None,
            "page_url": page_url,
            "address": address,
        })
    if first_page and total and not results:
        raise MarkupChanged(f"{url}: count says {total} results but no {RESULT_ITEM} was found")
    return total, results


def _publication(label: str) -> tuple[str | None, str | None]:
    """'Full inspection, pdf - 25 April 2025' → ('Full inspection', '2025-04-25')."""
    label = re.sub(r"\s+", " ", label).strip()
    match = re.match(r"(.*?),\s*pdf\b\s*(?:-\s*(.*))?$", label, re.I)
    if not match:
        return (label or None), None
    title = match.group(1).strip() or None
    return title, parse_date(match.group(2)) if match.group(2) else None


def parse_provider(html: str | bytes, url: str) -> dict:
    """Provider details and its report list (newest first) from a provider page."""
    sel = Selector(text=html if isinstance(html, str) else html.decode("utf-8", "replace"))
    heading = sel.css(PROVIDER_NAME)
    if not heading:
        raise MarkupChanged(f"{url}: provider page has no name heading ({PROVIDER_NAME})")
    timeline = sel.css(TIMELINE)
    if not timeline and not sel.css(NO_REPORTS) and not NO_REPORTS_TEXT.search(
            _text(sel.css("main") or sel)):
        raise MarkupChanged(f"{url}: provider page has neither a report timeline ({TIMELINE}) "
                            f"nor a no-reports notice")
    details = {}
    for li in sel.css(PROVIDER_DETAILS):
        spans = li.xpath("./span")
        if len(spans) >= 2:
            label = _text(spans[0]).rstrip(":").strip().lower()
            details.setdefault(label, _text(spans[1]))
    subheading = _text(sel.css(PROVIDER_SUBHEADING))
    urn_match = re.search(r"URN:\s*([A-Za-z]*\d+)", subheading)
    reports, seen = [], set()
    for item in sel.css(TIMELINE_ITEM):
        classes = item.attrib.get("class", "").split()
        if any(c in classes for c in STATUS_EVENT_CLASSES):
            continue
        for link in item.css(PUBLICATION_LINK):
            href = link.attrib.get("href", "")
            match = FILE_ID.search(href)
            if not match:
                continue
            file_id = match.group(1)
            if file_id in seen:           # the same report listed twice
                continue
            seen.add(file_id)
            label = link.css(PUBLICATION_LABEL).get() or _text(link)
            title, published = _publication(label)
            inspected = item.css(INSPECTION_DATE).get()
            reports.append({
                "file_id": file_id,
                "url": urljoin(url, href),
                "title": title,
                "inspection_date": parse_date(inspected) if inspected else None,
                "publication_date": published,
            })
    return {
        "name": _text(heading) or None,
        "urn": urn_match.group(1) if urn_match else None,
        "provider_type": details.get("type"),
        "local_authority": details.get("local authority"),
        "status": details.get("status"),
        "reports": reports,
    }
