"""The replica answers like the live site as SITE.md describes it, on loopback."""
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from crawler import markup
from crawler.replica import Replica
from crawler.replica.pages import TEMPLATE

PDFS = Path(__file__).parent / "fixtures" / "reports"
HOME_PDF = PDFS / "childrens-home_2519823_2024-10-08_full.pdf"
REAL_PAGE = TEMPLATE        # the real saved page: one copy, the replica's template


def data():
    providers = []
    for i in range(130):
        providers.append({
            "urn": str(2000000 + i), "name": f"Home {i}", "category": "Children's home",
            "provider_type": "Children's home",
            "local_authority": ["Kent", "Leeds", "Camden"][i % 3],
            "status": "Open" if i % 10 else "Closed",
            "reports": [{"file_id": str(900000 + i), "title": "Full inspection",
                         "inspection_date": "2024-01-10",
                         "publication_date": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                         "pdf": str(HOME_PDF)}]})
    providers.append({"urn": "80428", "name": "Bedford", "category":
                      "Local authority children's services", "provider_type": "Local authority",
                      "local_authority": "Bedford", "status": "Open", "reports": []})
    providers.append({"urn": "139309", "name": "St Eanswythe's Primary",
                      "category": "Primary", "provider_type": "Academy",
                      "local_authority": "Kent", "status": "Open", "rating": "Good",
                      "address": "Church Street, Folkestone", "reports": [
                          {"file_id": "777", "title": "Full inspection",
                           "inspection_date": "2023-01-10", "publication_date": "2023-01-23",
                           "pdf": str(HOME_PDF)}]})
    return {"providers": providers}


@pytest.fixture(scope="module")
def site():
    replica = Replica.from_file(data(), timeout_seconds=0.5)
    replica.start()
    yield replica
    replica.stop()


def get(site, path, method="GET", headers=None):
    request = urllib.request.Request(site.base_url + path, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


def search(site, query):
    status, body, _ = get(site, "/search?" + query)
    assert status == 200
    return markup.parse_results(body, site.base_url + "/search")


def test_results_page_is_the_real_page_around_the_results(site):
    status, body, headers = get(site, "/search?q=St+Eanswythe")
    page = body.decode()
    real = REAL_PAGE.read_text(encoding="utf-8")
    assert page.count("results-count js-results-count") == 2       # both copies, like the real
    head = real[:real.index('<ul class="results-list list-unstyled">')]
    assert page.startswith(head.replace('js-results-count">61<', 'js-results-count">1<'))
    assert real[real.index('<div class="results-map">'):] in page
    # the item is written exactly like a real one
    assert ('<h3 class="search-result__title heading--main"><a href="/provider/21/139309">'
            'St Eanswythe&#039;s Primary</a></h3><ul class="search-result__provider-info"><li>'
            'Category: <strong>Primary</strong></li></ul><address class="search-result__address">'
            'Church Street, Folkestone</address><ul class="search-result__provider-info"><li>'
            'Rating: <strong>Good</strong></li></ul><ul class="search-result__provider-info"><li>'
            'Latest report: <strong><time>23 January 2023</time></strong></li><li>URN: <strong>'
            '139309</strong></li></ul>    </li>') in page


def test_type_filters_in_all_spellings(site):
    assert search(site, "level_1_types=3")[0] == 131
    for spelling in ("level_2_types=11", "level_2_types%5B%5D=11", "level_2_types%5B0%5D=11"):
        assert search(site, "level_1_types=3&" + spelling)[0] == 130
    assert search(site, "level_1_types=3&level_2_types=12")[0] == 1
    assert search(site, "level_1_types=1")[0] == 1


def test_area_status_and_date_filters(site):
    assert search(site, "level_1_types=3&local_authority%5B%5D=886")[0] == 44      # Kent
    assert search(site, "level_1_types=3&region%5B%5D=E12000007")[0] == 43         # London
    assert search(site, "level_1_types=3&status%5B%5D=2")[0] == 13                 # closed
    total, results = search(site, "latest_report_date_start=01-12-2024"
                                  "&latest_report_date_end=31-12-2024&sort=date&order=desc")
    assert total == 10 and all(r["latest_report_date"].startswith("2024-12") for r in results)
    dates = [r["latest_report_date"] for r in search(site, "sort=date&order=desc&rows=100")[1]]
    assert dates == sorted(dates, reverse=True)


def test_rows_capped_at_100_and_paged_by_start(site):
    total, first = search(site, "level_1_types=3&sort=date&order=desc&rows=1000")
    assert total == 131 and len(first) == 100
    _, second = search(site, "level_1_types=3&sort=date&order=desc&rows=100&start=100")
    assert len(second) == 31
    assert not {r["urn"] for r in first} & {r["urn"] for r in second}
    status, body, _ = get(site, "/search?level_1_types=3&rows=100&start=0")
    assert b'class="pagination__next"' in body and b"start=100" in body


def test_provider_pages_files_and_errors(site):
    status, body, headers = get(site, "/provider/2/2000005")
    assert status == 200
    info = markup.parse_provider(body, site.base_url + "/provider/2/2000005")
    assert info["reports"][0]["url"] == site.base_url + "/v1/file/900005"
    assert info["local_authority"] == "Camden"
    status, body, headers = get(site, "/v1/file/900005")
    assert status == 200 and body == HOME_PDF.read_bytes()
    assert headers["Content-Type"] == "application/pdf"
    assert get(site, "/provider/2/9999999")[0] == 404            # unknown URN
    assert get(site, "/provider/21/2000005")[0] == 404           # wrong category code
    assert get(site, "/v1/file/123")[0] == 404                   # unknown file id
    assert get(site, "/provider/2/2000005", method="HEAD")[0] == 403
    status, body, _ = get(site, "/robots.txt")
    assert status == 200 and b"User-agent: *" in body
    empty = markup.parse_provider(get(site, "/provider/44/80428")[1], "x")
    assert empty["reports"] == []


def test_etag_revalidation(site):
    status, body, headers = get(site, "/provider/2/2000006")
    again = get(site, "/provider/2/2000006", headers={"If-None-Match": headers["ETag"]})
    assert again[0] == 304 and again[1] == b""


def test_faults_are_served_in_order_then_cleared(site):
    site.inject("/provider/2/2000007", "500", "429:2", "timeout")
    assert get(site, "/provider/2/2000007")[0] == 500
    status, _, headers = get(site, "/provider/2/2000007")
    assert status == 429 and headers["Retry-After"] == "2"
    assert get(site, "/provider/2/2000007")[0] == 200             # after the slow answer
    assert get(site, "/provider/2/2000007")[0] == 200
    site.inject("/v1/file/900007", "html")
    status, body, headers = get(site, "/v1/file/900007")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    site.inject("/v1/file/900008", "404", forever=True)
    assert [get(site, "/v1/file/900008")[0] for _ in range(3)] == [404, 404, 404]


def test_publish_and_request_log(site):
    before = len(site.requests)
    site.publish("2000001", {"file_id": "990001", "title": "Monitoring visit",
                             "inspection_date": "2026-10-01", "publication_date": "2026-11-02",
                             "pdf": str(HOME_PDF)})
    total, results = search(site, "latest_report_date_start=01-11-2026"
                                  "&latest_report_date_end=30-11-2026")
    assert [r["urn"] for r in results] == ["2000001"]
    assert site.requests[before][0] == "GET" and site.requests[before][1].startswith("/search?")
    with pytest.raises(ValueError):
        site.publish("2000001", {"file_id": "990001", "publication_date": "2026-11-02"})


def test_served_by_hand_from_a_json_file(tmp_path):
    (tmp_path / "site.json").write_text(json.dumps({"providers": [data()["providers"][0]]}))
    child = subprocess.Popen([sys.executable, "-m", "crawler.replica",
                              str(tmp_path / "site.json")], stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        url = line.rsplit(" ", 1)[-1].strip()
        assert line.startswith("replica of reports.ofsted.gov.uk serving 1 providers")
        with urllib.request.urlopen(url + "/provider/2/2000000", timeout=5) as response:
            assert b"Home 0" in response.read()
    finally:
        child.terminate()
        child.wait(5)
    (tmp_path / "bad.json").write_text("{not json")
    bad = subprocess.run([sys.executable, "-m", "crawler.replica", str(tmp_path / "bad.json")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "bad.json: cannot load replica data" in bad.stderr
