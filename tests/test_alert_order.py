"""Alerts right in every order of commands (issue 8): against the replica of the site and a real
SMTP server, each order of `crawl`, `crawl --no-extract`, `detect`, `subscribe`, `run` and
`deliver` sends the downgrade published after watching began exactly once, and nothing about
what was on the site before.

The crawls are the real ones (`monitor.crawl.crawl`: spider, pipeline, extraction, the replica
over HTTP), each in a forked child (conftest ``forked_crawl``) rather than a fresh interpreter:
`crawl` steps call it as the command does, and `run` uses it in place of the subprocess
runner. tests/test_crawl_e2e.py and tests/test_service.py run the commands as real
subprocesses.

The sandbox site already holds a downgrade (home 2650004, good → requires improvement in 2022):
that one is history and must never be sent. The story (home 2650001, outstanding → inadequate
with a compliance notice) is published while the replica runs, after watching began."""
from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

from conftest import forked_crawl
from monitor import sandbox
from monitor.cli import main

STORY = sandbox.STORY_URN


@pytest.fixture
def site():
    from crawler.replica import Replica
    replica = Replica.from_file(sandbox.SITE_JSON)
    replica.start()
    yield replica
    replica.stop()


class Service:
    """The commands as a user types them, on one database."""

    def __init__(self, tmp_path, site, sink):
        self.db, self.pdfs, self.site, self.sink = (str(tmp_path / "watch.db"),
                                                    str(tmp_path / "pdfs"), site, sink)

    def crawl(self, *args):
        row = forked_crawl(self.db, base_url=self.site.base_url, pdf_dir=self.pdfs, fast=True,
                           backfill="--backfill" in args, extract="--no-extract" not in args)
        assert row["status"] == "ok", row

    def cli(self, *args, code=0):
        result = CliRunner().invoke(main, [*args, "--db", self.db], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    def run(self):
        return self.cli("run", "--base-url", self.site.base_url, "--pdf-dir", self.pdfs,
                        "--fast")

    def subscribe(self, *args):
        self.cli("subscribe", "--notify", self.sink.url("family@example.org"), *args)

    def publish_story(self):
        for urn, report in sandbox.later_reports(published_on=date.today().isoformat()):
            self.site.publish(urn, report)

    def subjects(self):
        return [m["Subject"] for m in self.sink.messages]


ORDERS = {
    "crawl --backfill, subscribe, publish, run": [
        ("crawl", "--backfill"), ("subscribe", "--all"), "publish", "run"],
    "crawl --no-extract, detect, subscribe, publish, run": [
        ("crawl", "--no-extract"), ("detect",), ("subscribe", "--all"), "run", "publish", "run"],
    "run, subscribe, publish, crawl, detect, deliver": [
        "run", ("subscribe", "--all"), "publish", ("crawl",), ("detect",), ("deliver",)],
    "crawl --no-extract, subscribe, publish, crawl --no-extract, run": [
        ("crawl", "--no-extract"), ("subscribe", "--all"), "publish", ("crawl", "--no-extract"),
        "run"],
}


@pytest.mark.parametrize("order", list(ORDERS))
def test_the_news_arrives_exactly_once_and_the_past_never(order, tmp_path, site, mail_sink,
                                                          monkeypatch):
    monkeypatch.setattr("monitor.crawl_process.crawl_in_subprocess", forked_crawl)
    service = Service(tmp_path, site, mail_sink)
    for step in ORDERS[order]:
        if step == "publish":
            service.publish_story()
        elif step == "run":
            service.run()
        elif step[0] == "crawl":
            service.crawl(*step[1:])
        elif step[0] == "subscribe":
            service.subscribe(*step[1:])
        else:
            service.cli(*step)
    assert mail_sink.wait_for(1, timeout=20), service.subjects()
    service.run()                                          # and again: nothing more
    assert not mail_sink.wait_for(2, timeout=1.0), service.subjects()
    subjects = service.subjects()
    assert len(subjects) == 1 and STORY in subjects[0] and "inadequate" in subjects[0].lower()
