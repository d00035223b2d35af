"""``ofsted-watch demo``: the whole service, offline, in about a minute.

A sandbox copy of the reports site (``monitor/sandbox``, synthetic reports) runs on 127.0.0.1;
a local SMTP server (aiosmtpd) plays the subscriber's mailbox. The demo records a baseline,
subscribes the mailbox to one children's home, publishes a report that downgrades that home from
outstanding to inadequate, runs again and prints the email that arrived.
"""
from __future__ import annotations

import email
import email.policy
import shutil
import socket
import tempfile
import textwrap
import threading
from datetime import date
from pathlib import Path

from . import sandbox

WIDTH = 78


class DemoError(Exception):
    """Something the user can fix (one line)."""


class LocalMailbox:
    """An SMTP server on 127.0.0.1 that keeps every message (and saves it as .eml)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()
        self._controller = None
        self.port = 0

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{len(self.messages):03d}.eml").write_bytes(envelope.content)
        return "250 Message accepted"

    def start(self) -> None:
        from aiosmtpd.controller import Controller
        with socket.socket() as probe:  # aiosmtpd needs a concrete port
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None

    def url(self, to: str) -> str:
        """Apprise URL delivering to this mailbox (plain SMTP on loopback, no password)."""
        return (f"mailto://127.0.0.1:{self.port}?smtp=127.0.0.1"
                f"&from=alerts@ofsted-watch.invalid&to={to}")


def _say(echo, text: str = "", indent: int = 0) -> None:
    if not text:
        echo("")
        return
    for para in text.split("\n"):
        echo(textwrap.fill(para, WIDTH, initial_indent=" " * indent,
                           subsequent_indent=" " * indent) if para else "")


def _body_text(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return (part.get_content() if part is not None else "").strip()


def _home_line(db, urn: str) -> str:
    provider = db["providers"].get(urn) if db["providers"].count else None
    latest = db.execute(
        "select overall, inspection_date from reports where urn = ? "
        "order by inspection_date desc limit 1", [urn]).fetchone()
    la = (provider or {}).get("local_authority") or sandbox.STORY_AUTHORITY
    grade = latest[0] if latest and latest[0] else "not read"
    when = ""
    if latest and latest[1]:
        day = date.fromisoformat(latest[1])
        when = f", inspected {day.day} {day:%B %Y}"
    return f"children's home {urn} ({sandbox.STORY_OWNER}, {la}): {grade}{when}"


def run_demo(keep: str | None = None, echo=print, crawl_timeout: float = 300) -> bool:
    """Run the demo; print as it goes. True when the downgrade alert arrived."""
    from crawler.replica import Replica

    from .cycle import run_cycle
    from .schema import open_db
    from .subscriptions import add as subscribe

    if keep:
        workdir = Path(keep)
        if workdir.exists() and any(workdir.iterdir()):
            raise DemoError(f"--keep {keep}: directory is not empty; give a new or empty one")
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="ofsted-watch-demo-"))
    db_path = str(workdir / "ofsted-watch.db")
    pdf_dir = str(workdir / "pdfs")
    mailbox = LocalMailbox(workdir / "mailbox")
    site = Replica.from_file(sandbox.SITE_JSON)
    urn = sandbox.STORY_URN
    try:
        base_url = site.start()
        mailbox.start()
        providers = site.providers()
        n_reports = sum(len(p["reports"]) for p in providers)
        _say(echo, "ofsted-watch demo: everything runs on this machine; nothing goes over the "
                   "internet.")
        _say(echo, f"Working in {workdir}" + ("" if keep else
                                               " (deleted at the end; --keep DIR keeps it)."))
        _say(echo)
        _say(echo, f"1. A sandbox copy of the Ofsted reports site is running at {base_url}: "
                   f"{len(providers)} children's homes in Staffordshire and Derbyshire, "
                   f"{n_reports} published reports. They are synthetic (invented homes and "
                   f"grades, laid out like real reports).")
        _say(echo)
        _say(echo, "2. First run, the baseline: crawl the site, download each report PDF, read "
                   "the judgements, record every home's history. Nobody is alerted about "
                   "reports that were out before they started watching.")
        first = run_cycle(db_path, base_url=base_url, pdf_dir=pdf_dir, timeout=crawl_timeout,
                          fast=True)
        _say(echo, first.summary, indent=3)
        if not first.ok:
            _say(echo, "The baseline crawl failed, so the demo stops here.", indent=3)
            return False
        db = open_db(db_path)
        try:
            _say(echo, "Now on record: " + _home_line(db, urn) + ".", indent=3)
            _say(echo)
            family = "family@example.org"
            subscribe(db, mailbox.url(family), urns=[urn])
        finally:
            db.conn.close()
        _say(echo, f"3. A family subscribes to children's home {urn} by its URN. Alerts go by "
                   f"email (Apprise mailto://) to {family}, received here by a test mailbox: an "
                   f"SMTP server on 127.0.0.1:{mailbox.port}. On the command line that is:")
        echo(f"     ofsted-watch subscribe --urn {urn} \\")
        echo(f"       --notify '{mailbox.url(family)}'")
        _say(echo)
        published = publish_story(site)
        _say(echo, f"4. Ofsted publishes a new report: {published}. (A routine report "
                   f"for a home in Derbyshire, still good, comes out the same day.)")
        _say(echo)
        _say(echo, "5. Second run: the crawler finds the new report, reads it, compares it with "
                   "the home's history and sends the alert.")
        second = run_cycle(db_path, base_url=base_url, pdf_dir=pdf_dir, timeout=crawl_timeout,
                          fast=True)
        _say(echo, second.summary, indent=3)
        _say(echo)
        messages = list(mailbox.messages)
        _say(echo, f"6. The test mailbox received {len(messages)} email"
                   f"{'' if len(messages) == 1 else 's'}:")
        for message in messages:
            echo("   " + "-" * (WIDTH - 3))
            echo(f"   From:    {message['From']}")
            echo(f"   To:      {message['To']}")
            echo(f"   Subject: {message['Subject']}")
            echo("")
            for line in _body_text(message).splitlines():
                echo(f"   {line}".rstrip())
            echo("   " + "-" * (WIDTH - 3))
        arrived = any(urn in f"{m['Subject']} {_body_text(m)}" for m in messages)
        _say(echo)
        if arrived:
            _say(echo, "That is the whole service: crawl, read, compare, alert. To watch the "
                       "real site, run `ofsted-watch run` once (it records the baseline), add "
                       "subscriptions, then keep `ofsted-watch serve` running. See the README.")
        else:
            _say(echo, "No alert about the downgraded home arrived: something is wrong. Run "
                       "again with --verbose and --keep DIR to look at the database.")
        if keep:
            _say(echo, f"Kept: {db_path}, the PDFs in {pdf_dir} and the emails in "
                       f"{mailbox.folder}.")
        return arrived
    finally:
        mailbox.stop()
        site.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def publish_story(site) -> str:
    """Publish the sandbox's later reports into the running replica; describe the first."""
    first = None
    for urn, report in sandbox.later_reports(published_on=date.today().isoformat()):
        site.publish(urn, report)
        first = first or (urn, report)
    urn, report = first
    return (f"children's home {urn} ({sandbox.STORY_OWNER}, {sandbox.STORY_AUTHORITY}), "
            f"full inspection of 30 August to 1 September 2022. In the story it came out in "
            f"September 2022; here it is published today")
