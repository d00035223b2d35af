"""HTML the replica serves. Each guessed piece of markup is one constant here, easy to change.

The results page is the real saved page (``search-results-2023-11.html``, byte-exact from the live
site): the replica keeps everything around the results and substitutes only the count (both
copies) and the list items, written exactly like the real ones. Everything marked [guess] follows
SITE.md's best knowledge; change it here when the live site is seen to differ.
"""
from __future__ import annotations

import html
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

TEMPLATE = Path(__file__).with_name("search-results-2023-11.html")
_COUNT = '<strong class="results-count js-results-count">61</strong>'
_LIST_OPEN = '<ul class="results-list list-unstyled">'
_LIST_CLOSE = "  </ul>\n          <div class=\"results-map\">"


def esc(text: str) -> str:
    """Escape as the live site does (apostrophe → &#039;)."""
    return html.escape(text or "", quote=True).replace("&#x27;", "&#039;")


def long_date(iso: str | None) -> str:
    """'2023-01-23' → '23 January 2023' (day zero-padded as on the live site)."""
    if not iso:
        return ""
    d = date.fromisoformat(iso)
    return f"{d.day:02d} {d.strftime('%B')} {d.year}"


def _split_template() -> tuple[str, str]:
    page = TEMPLATE.read_text(encoding="utf-8")
    start = page.index(_LIST_OPEN) + len(_LIST_OPEN)
    end = page.index(_LIST_CLOSE, start)
    return page[:start], page[end:]


_HEAD, _TAIL = _split_template()

# [real] one result, exactly as on the live site (see the saved page)
RESULT_ITEM = (
    '\n          <li class="search-result">\n'
    '      <h3 class="search-result__title heading--main"><a href="{href}">{name}</a></h3>'
    '<ul class="search-result__provider-info"><li>Category: <strong>{category}</strong></li></ul>'
    '{address}{rating}'
    '<ul class="search-result__provider-info"><li>Latest report: <strong><time>{latest}</time>'
    '</strong></li><li>URN: <strong>{urn}</strong></li></ul>    </li>')
RESULT_ADDRESS = '<address class="search-result__address">{address}</address>'
RESULT_RATING = ('<ul class="search-result__provider-info"><li>Rating: <strong>{rating}</strong>'
                 '</li></ul>')

# [guess] pagination (scrapers report a.pagination__next and span.pagination__numbers)
PAGINATION = ('\n<nav class="pagination"><span class="pagination__numbers">{first} to {last} of '
              '{total}</span>{next}</nav>')
PAGINATION_NEXT = '<a class="pagination__next" href="{href}">Next page</a>'

# [guess] provider page: header, details list, timeline (newest first)
PROVIDER_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"/><title>{name} - Find an Inspection Report - Ofsted</title></head>
<body>
<main id="main" tabindex="-1">
  <div class="module title-block">
    <div class="container">
      <h1 class="heading--title">{name}</h1>
      <p class="title-block__subheading">URN: {urn}</p>
      {address}
    </div>
  </div>
  <div class="container">
    <ul class="list-unstyled provider-details">
      <li><span>Type: </span><span>{provider_type}</span></li>
      <li><span>Local authority: </span><span>{local_authority}</span></li>
      <li><span>Status: </span><span>{status}</span></li>
    </ul>
    <h2 class="heading--sub">Reports</h2>
{timeline}
  </div>
</main>
</body>
</html>
"""
PROVIDER_ADDRESS = '<address class="title-block__address">{address}</address>'
TIMELINE = '    <ol class="timeline">\n{items}\n    </ol>'
TIMELINE_REPORT = """      <li class="timeline__day">
        <p class="timeline__date"><time>{inspection_date}</time></p>
        <div class="event">
          <a class="publication-link" href="{href}" target="_blank">{title}<span class="nonvisual">{label}</span></a>
        </div>
      </li>"""
REPORT_LABEL = "{title}, pdf - {publication_date}"    # [scrapers] real case is lower-case "pdf"
REPORT_LABEL_UNDATED = "{title}, pdf"                 # some old items carry no date
TIMELINE_REGISTERED = """      <li class="timeline__day timeline__day--registered">
        <p class="timeline__date"><time>{date}</time></p>
        <div class="event"><p>Registered</p></div>
      </li>"""
# [guess] a provider with nothing published
NO_REPORTS = '    <p class="no-reports">No reports have been published for this provider.</p>'

ROBOTS_TXT = "User-agent: *\nDisallow: /search/export\nDisallow: /admin/\n"
NOT_FOUND = ("<!DOCTYPE html><html><head><title>Page not found - Ofsted</title></head><body>"
             "<main><h1>Page not found</h1></main></body></html>")
MAINTENANCE = ("<!DOCTYPE html><html><head><title>Ofsted</title></head><body><main>"
               "<h1>We are improving this service</h1><p>Please try again later.</p>"
               "</main></body></html>")
FORBIDDEN = "<!DOCTYPE html><html><body><h1>403 Forbidden</h1></body></html>"


def results_page(providers: list[dict], total: int, *, query: dict, start: int, rows: int,
                 files_base: str = "") -> str:
    items = []
    for p in providers:
        items.append(RESULT_ITEM.format(
            href=f"/provider/{p['category_code']}/{p['urn']}",
            name=esc(p["name"]),
            category=esc(p["category"]),
            address=RESULT_ADDRESS.format(address=esc(p["address"])) if p.get("address") else "",
            rating=RESULT_RATING.format(rating=esc(p["rating"])) if p.get("rating") else "",
            latest=long_date(p.get("latest_report_date")),
            urn=esc(p["urn"]),
        ))
    head = _HEAD.replace(_COUNT, f'<strong class="results-count js-results-count">{total}</strong>')
    pager = ""
    if total:
        nxt = ""
        if start + rows < total:
            params = [(k, v) for k, v in query if k not in ("start", "rows")]
            params += [("start", str(start + rows)), ("rows", str(rows))]
            nxt = PAGINATION_NEXT.format(href=esc("/search?" + urlencode(params)))
        pager = PAGINATION.format(first=start + 1, last=min(start + rows, total), total=total,
                                  next=nxt)
    close = "  </ul>"
    return head + "".join(items) + "\n" + close + pager + _TAIL[len(close):]


def provider_page(p: dict, files_base: str) -> str:
    reports = sorted(p.get("reports", []), key=lambda r: (r.get("publication_date") or "",
                                                          r["file_id"]), reverse=True)
    items = []
    for r in reports:
        title = esc(r.get("title") or "Inspection report")
        published = long_date(r.get("publication_date"))
        label = (REPORT_LABEL if published else REPORT_LABEL_UNDATED).format(
            title=title, publication_date=published)
        items.append(TIMELINE_REPORT.format(
            inspection_date=long_date(r.get("inspection_date")),
            href=esc(f"{files_base}/v1/file/{r['file_id']}"), title=title, label=label))
    if p.get("registered"):
        items.append(TIMELINE_REGISTERED.format(date=long_date(p["registered"])))
    timeline = TIMELINE.format(items="\n".join(items)) if reports else NO_REPORTS
    return PROVIDER_PAGE.format(
        name=esc(p["name"]), urn=esc(p["urn"]),
        address=PROVIDER_ADDRESS.format(address=esc(p["address"])) if p.get("address") else "",
        provider_type=esc(p.get("provider_type") or ""),
        local_authority=esc(p.get("local_authority") or ""),
        status=esc(p.get("status") or ""),
        timeline=timeline)
