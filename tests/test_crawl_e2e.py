"""End to end: `python -m monitor crawl` (= `ofsted-watch crawl`) in a subprocess against the replica,
with real PDFs, a real SQLite file and the request log of the replica as the witness."""
import hashlib
import json
import socket
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.commands.crawl import crawl
from extract.places import region_for
from crawler.replica import Replica
from crawler.replica.sample import sample_data
from monitor.crawl_process import crawl_in_subprocess
from extract import EXTRACTOR_VERSION
from monitor.schema import open_db

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
HOME_PDFS = sorted(FIXTURES.glob("childrens-home_*.pdf"))[:8]
LA_PDFS = sorted(FIXTURES.glob("ilacs_*.pdf"))[:3]
SCHOOL_PDFS = sorted(FIXTURES.glob("school-s5_*.pdf"))


def run_crawl(site, tmp_path, *args, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "crawl", "--base-url", site.base_url, "--db",
         str(tmp_path / "ow.db"), "--pdf-dir", str(tmp_path / "pdfs"), "--fast",
         "--json", *args],
        capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def kinds(requests):
    """Count served requests by kind: robots, search, provider, file."""
    out = Counter()
    for method, path in requests:
        assert method == "GET"                      # never HEAD
        out[path.strip("/").split("/")[0].split("?")[0].replace("v1", "file")] += 1
    return out


@pytest.fixture
def site():
    data = sample_data(30, 45, HOME_PDFS, la_pdfs=LA_PDFS, la_services=3,
                       school_pdfs=SCHOOL_PDFS, schools=3)
    replica = Replica.from_file(data)
    replica.start()
    yield replica
    replica.stop()


def test_backfill_then_one_new_report_then_nothing_new(site, tmp_path):
    in_scope = [p for p in site.providers() if p["category"] != "Primary"]
    files = {r["file_id"]: (p, r) for p in in_scope for r in p["reports"]}
    assert len(in_scope) == 33 and len(files) == 48

    # ---- backfill --------------------------------------------------------------------------
    summary = json.loads(run_crawl(site, tmp_path, "--backfill").stdout)
    assert summary["status"] == "ok" and summary["mode"] == "backfill"
    assert (summary["providers"], summary["new_reports"], summary["errors"]) == (33, 48, 0)
    served = kinds(site.requests)
    assert served == {"robots.txt": 1, "search": 1, "provider": 33, "file": 48}
    assert summary["requests"] == len(site.requests) == 83

    db = open_db(tmp_path / "ow.db")
    providers = {row["urn"]: row for row in db["providers"].rows}
    assert set(providers) == {p["urn"] for p in in_scope}            # schools out of scope
    for p in in_scope:
        row = providers[p["urn"]]
        assert row["local_authority"] == p["local_authority"]
        assert row["region"] == region_for(p["local_authority"]) and row["region"]
        assert row["category"] == p["category"] and row["provider_type"] == p["provider_type"]
        assert row["latest_report_date"] == max(r["publication_date"] for r in p["reports"])
        assert row["page_url"].endswith(f"/provider/{p['category_code']}/{p['urn']}")
    reports = {row["file_id"]: row for row in db["reports"].rows}
    assert set(reports) == set(files)
    for file_id, row in reports.items():
        provider, published = files[file_id]
        data = Path(published["pdf"]).read_bytes()
        assert row["urn"] == provider["urn"] and row["title"] == published["title"]
        assert row["publication_date"] == published["publication_date"]
        assert row["inspection_date"] == published["inspection_date"]
        assert row["sha256"] == hashlib.sha256(data).hexdigest() and row["size"] == len(data)
        assert Path(row["path"]) == tmp_path / "pdfs" / row["sha256"][:2] / f"{row['sha256']}.pdf"
        assert Path(row["path"]).read_bytes() == data
        assert row["extractor_version"] == EXTRACTOR_VERSION
        assert row["extracted_sha256"] == row["sha256"]
        assert row["extraction"] or row["extract_error"]
        if row["extraction"]:
            extraction = json.loads(row["extraction"])
            assert extraction["sha256"] == row["sha256"]
            if extraction.get("owner"):        # owners appear only inside the PDF
                assert providers[row["urn"]]["owner"]
    assert any(p["owner"] for p in providers.values())
    # same bytes under several file ids: one file on disk each
    assert len(list((tmp_path / "pdfs").rglob("*.pdf"))) == len(HOME_PDFS) + len(LA_PDFS)

    # ---- a new report, and two stored reports whose extraction is stale / current ----------
    home = in_scope[4]
    site.publish(home["urn"], {"file_id": "99000001", "title": "Monitoring visit",
                               "inspection_date": date.today().isoformat(),
                               "publication_date": date.today().isoformat(),
                               "pdf": str(HOME_PDFS[0])})
    stale, current = sorted(reports)[:2]
    db["reports"].update(stale, {"extractor_version": "0.0.old", "extraction": None})
    db["reports"].update(current, {"extraction": json.dumps({"sentinel": True})})
    before = len(site.requests)
    summary = json.loads(run_crawl(site, tmp_path).stdout)
    assert summary["status"] == "ok" and summary["mode"] == "incremental"
    assert summary["new_reports"] == 1 and summary["providers"] == 1
    new_requests = site.requests[before:]
    assert kinds(new_requests) == {"robots.txt": 1, "search": 1, "provider": 1, "file": 1}
    assert ("GET", f"/provider/2/{home['urn']}") in new_requests
    assert "latest_report_date_start=" in next(p for _, p in new_requests if "search" in p)
    row = db["reports"].get("99000001")
    assert row["urn"] == home["urn"] and row["publication_date"] == date.today().isoformat()
    assert row["extraction"] and row["extractor_version"] == EXTRACTOR_VERSION
    assert db["providers"].get(home["urn"])["latest_report_date"] == date.today().isoformat()
    assert db["reports"].get(stale)["extractor_version"] == EXTRACTOR_VERSION    # re-extracted
    assert db["reports"].get(stale)["extraction"] or db["reports"].get(stale)["extract_error"]
    assert json.loads(db["reports"].get(current)["extraction"]) == {"sentinel": True}

    # ---- nothing new: a handful of requests, not one per provider --------------------------
    # the home with today's report is looked at again (a second report may still come today);
    # every other provider is settled and skipped
    before = len(site.requests)
    summary = json.loads(run_crawl(site, tmp_path).stdout)
    assert summary["status"] == "ok" and summary["new_reports"] == 0
    assert kinds(site.requests[before:]) == {"robots.txt": 1, "search": 1, "provider": 1}
    assert ("GET", f"/provider/2/{home['urn']}") in site.requests[before:]
    assert db["reports"].count == 49
    runs = list(db.query("select status, mode from crawl_runs order by id"))
    assert runs == [{"status": "ok", "mode": "backfill"}] + [
        {"status": "ok", "mode": "incremental"}] * 2


def test_scope_narrows_by_local_authority_and_kind(site, tmp_path):
    la = site.providers()[0]["local_authority"]
    summary = json.loads(run_crawl(site, tmp_path, "--backfill", "--no-extract",
                                   "--scope", f"childrens-homes,la:{la}").stdout)
    db = open_db(tmp_path / "ow.db")
    expected = {p["urn"] for p in site.providers()
                if p["category"] == "Children's home" and p["local_authority"] == la}
    assert {r["urn"] for r in db["providers"].rows} == expected
    assert summary["providers"] == len(expected) and summary["scope"].startswith(
        "childrens-homes,la:")
    assert db["reports"].count and all(r["extraction"] is None for r in db["reports"].rows)


def test_changed_markup_fails_loudly_and_is_recorded(site, tmp_path):
    site.inject("/search", "blank")
    result = run_crawl(site, tmp_path, check=False)
    assert result.returncode == 1
    assert "crawl failed: markup changed" in result.stderr
    assert "Traceback" not in result.stderr
    db = open_db(tmp_path / "ow.db")
    (run,) = db["crawl_runs"].rows
    assert run["status"] == "failed" and "results count" in run["reason"]
    assert db["reports"].count == 0


def test_runner_records_the_outcome_either_way(site, tmp_path):
    summary = crawl_in_subprocess(tmp_path / "ow.db", base_url=site.base_url,
                                  pdf_dir=tmp_path / "pdfs", scope="la-childrens-services",
                                  fast=True, timeout=120)
    assert summary["status"] == "ok" and summary["new_reports"] == 3
    assert summary["run_id"] == 1 and summary["pages"] == 4
    # a site that never answers: asked to stop, then killed; the run says why
    site.inject("/search", "timeout", forever=True)
    site.timeout_seconds = 30
    summary = crawl_in_subprocess(tmp_path / "ow.db", base_url=site.base_url,
                                  pdf_dir=tmp_path / "pdfs", scope="la-childrens-services",
                                  fast=True, timeout=3, soft_timeout=1.5)
    assert summary["status"] == "failed" and "timeout" in summary["reason"]
    assert open_db(tmp_path / "ow.db")["crawl_runs"].get(2)["status"] == "failed"


@pytest.mark.parametrize("args, message", [
    (["--since", "31-31-2020"], "is not a date"),
    (["--scope", "hospitals"], "unknown scope 'hospitals'"),
    (["--scope", "la:Atlantis"], "unknown local authority 'Atlantis'"),
    (["--fast", "--base-url", "https://reports.ofsted.gov.uk"], "only for a replica"),
    (["--base-url", "ftp://example.org"], "is not an http(s) URL"),
    (["--base-url", "http://[::1"], "is not an http(s) URL"),
    (["--base-url", "http://127.0.0.1:99999"], "is not an http(s) URL"),
    (["-s", "RETRY_TIMES"], "is not NAME=VALUE"),
])
def test_bad_input_is_one_clear_line(tmp_path, args, message):
    result = CliRunner().invoke(crawl, ["--db", str(tmp_path / "x.db"), *args])
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.db").exists()          # nothing written


def test_unreachable_site_fails_without_a_traceback(tmp_path):
    with socket.socket() as probe:              # a port on loopback that nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "crawl", "--base-url", closed, "--fast", "--db",
         str(tmp_path / "ow.db"), "--pdf-dir", str(tmp_path / "pdfs"), "-s", "RETRY_TIMES=0"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "crawl failed: search page failed" in result.stderr and closed in result.stderr
    assert "Traceback" not in result.stderr


def test_robots_txt_obeyed_and_user_agent_honest(site, tmp_path):
    banned = site.providers()[0]
    site.robots_txt = f"User-agent: *\nDisallow: /provider/2/{banned['urn']}\n"
    summary = json.loads(run_crawl(site, tmp_path, "--backfill", "--no-extract",
                                   "--scope", "childrens-homes").stdout)
    assert summary["status"] == "ok" and summary["errors"] == 1
    assert not any(path.startswith(f"/provider/2/{banned['urn']}") for _, path in site.requests)
    (error,) = open_db(tmp_path / "ow.db")["crawl_errors"].rows
    assert error["url"].endswith(f"/provider/2/{banned['urn']}")
    assert "robots.txt" in error["reason"]
    (agent,) = site.user_agents
    assert agent.startswith("ofsted-watch/") and "(+https://" in agent
