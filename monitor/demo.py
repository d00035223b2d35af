"""``ofsted-watch demo``: the whole service, offline, in about a minute.

A sandbox copy of the reports site (``monitor/sandbox``, synthetic reports) runs on 127.0.0.1;
a local SMTP server (aiosmtpd) plays the subscriber's mailbox. The demo records a baseline,
subscribes the mailbox to one children's home, publishes a report that downgrades that home from
outstanding to inadequate, runs again and prints the email that arrived.
"""
from __future__ import annotations

import email
import email.policy
import re
import secrets
import shutil
import socket
import sys
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

    def mail_url(self) -> str:
        """The operator's mail URL for public subscribers (the recipient is filled in)."""
        return f"mailto://127.0.0.1:{self.port}?smtp=127.0.0.1&from=alerts@ofsted-watch.invalid"

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

    from . import signups
    from .cycle import run_cycle
    from .schema import open_db
    from .web.server import BackgroundSite

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
    web = None
    try:
        base_url = site.start()
        mailbox.start()
        # public email: a secret made for this run, the mailbox as the operator's SMTP server
        signups.configure(secret=secrets.token_urlsafe(32), mail_url=mailbox.mail_url())
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
        finally:
            db.conn.close()
        web = BackgroundSite(db_path, host="127.0.0.1", port=0, datasette=False).start()
        signups.configure(public_url=web.url)
        family = "family@example.org"
        _say(echo, f"3. A family subscribes to children's home {urn} on the web site, "
                   f"{web.url}/provider/{urn}: the \"Get alerts\" form takes an email "
                   f"address ({family}), what to follow and how often. Email goes to a test "
                   f"mailbox: an SMTP server on 127.0.0.1:{mailbox.port}.")
        confirmation = public_sign_up(web.url, urn, family, mailbox, echo)
        if confirmation is None:
            return False
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
        messages = mailbox.messages[confirmation:]
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
            leave(messages[-1], echo)
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
            if sys.stdout.isatty():  # a person at a terminal: keep the site up to look at
                web.stay_up(echo)
        return arrived
    finally:
        if web is not None:
            web.stop()
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


def _wait(predicate, seconds: float = 10.0) -> bool:
    import time
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def public_sign_up(site_url: str, urn: str, address: str, mailbox, echo) -> int | None:
    """Sign up on the site as a browser would (form, cookie, CSRF token), confirm from the
    mailbox; return how many emails the mailbox held after the confirmation (None: failed)."""
    import httpx
    with httpx.Client(base_url=site_url, timeout=30) as browser:
        form = browser.get(f"/subscribe?urn={urn}").text
        before = len(mailbox.messages)
        done = browser.post("/subscribe", data={
            "csrf_token": _csrf(form), "email": address, "follow": "urn", "urn": urn,
            "kind": ["downgrade", "enforcement", "inadequate", "declined", "published"],
            "digest": "immediate"})
        if done.status_code != 200 or not _wait(lambda: len(mailbox.messages) > before):
            _say(echo, f"The sign-up failed ({done.status_code}); the demo stops here.",
                 indent=3)
            return None
        message = mailbox.messages[before]
        link = re.search(r"https?://\S+/confirm/\S+", _body_text(message)).group(0)
        _say(echo, f"The page says \"Check your email\". Nothing will be sent to the address "
                   f"until it is confirmed; the one email it gets now is \"{message['Subject']}"
                   f"\", with a link that works once, for 48 hours:", indent=3)
        echo(f"     {link}")
        page = browser.get(link)
        confirmed = browser.post(link, data={"csrf_token": _csrf(page.text)})
        ok = confirmed.status_code == 200 and "Your alerts are on" in confirmed.text
        _say(echo, "The family opens it and presses Confirm: \"Your alerts are on\"." if ok
             else f"Confirming failed ({confirmed.status_code}).", indent=3)
        return len(mailbox.messages) if ok else None


def leave(message, echo) -> None:
    """7. One-click unsubscribe (RFC 8058), as a mail client does it from the header."""
    import httpx
    target = (message["List-Unsubscribe"] or "").strip("<> ")
    _say(echo, f"7. Leaving takes one click. A mail client's \"Unsubscribe\" button posts "
               f"to the email's List-Unsubscribe header (List-Unsubscribe-Post: "
               f"{message['List-Unsubscribe-Post']}):")
    echo(f"     {target}")
    if not target:
        _say(echo, "No unsubscribe header: something is wrong.", indent=3)
        return
    answer = httpx.post(target, content=b"List-Unsubscribe=One-Click", timeout=30,
                        headers={"content-type": "application/x-www-form-urlencoded"})
    words = "You have unsubscribed" if "You have unsubscribed" in answer.text else \
        f"HTTP {answer.status_code}"
    _say(echo, f"{words}. Nothing more is sent to the family.", indent=3)
