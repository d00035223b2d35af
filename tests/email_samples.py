"""Sample emails for tests and screenshots: the sandbox story (an outstanding children's home
rated inadequate 11 months later, with a compliance notice) stored through the project's own
write path, detected, and rendered as the public email."""
from __future__ import annotations

from pathlib import Path

from conftest import store_provider, store_report

from monitor import detect, mail_render, message, signups
from monitor.schema import open_db

URN = "2650001"
OWNER = "Hollybank Childcare Ltd"
AREAS = ("help_and_protection", "leaders_and_managers")
PUBLIC_URL = "https://ofsted-watch.example.org"
PERSONAL = signups.Personal(
    why="You asked for emails about children's home 2650001 (downgrades, enforcement action, "
        "inadequate ratings and every new report), as soon as they are found.",
    manage=f"{PUBLIC_URL}/manage/EXAMPLE-TOKEN", unsubscribe=f"{PUBLIC_URL}/unsubscribe/EXAMPLE")


def story_groups(db_path: Path, owner: str = OWNER) -> list[message.ReportEvents]:
    """The story's report and a second provider's, as the outbox loads them."""
    db = open_db(db_path)
    try:
        store_provider(db, URN, owner=owner)
        store_provider(db, "2650004", owner=owner, local_authority="Derbyshire")
        store_report(db, "91000101", URN, inspection_date="2021-09-14", overall="outstanding",
                     judgements={a: "outstanding" for a in AREAS}, owner=owner,
                     publication_date="2021-10-19")
        store_report(db, "91000401", "2650004", inspection_date="2022-01-11", overall="good",
                     judgements={a: "good" for a in AREAS}, owner=owner,
                     local_authority="Derbyshire", publication_date="2022-02-20")
        detect.detect(db, baseline=True, now="2026-11-30T07:00:00+00:00")
        store_report(db, "91000102", URN, inspection_date="2022-08-30", overall="inadequate",
                     judgements={a: "inadequate" for a in AREAS}, owner=owner,
                     enforcement=["compliance_notice"], publication_date="2026-12-02")
        store_report(db, "91000402", "2650004", inspection_date="2022-08-23",
                     overall="requires_improvement",
                     judgements={"help_and_protection": "requires_improvement",
                                 "leaders_and_managers": "good"}, owner=owner,
                     local_authority="Derbyshire", publication_date="2026-12-02")
        ids = detect.detect(db, now="2026-12-03T07:00:00+00:00")
        return message.load_groups(db, list(ids))
    finally:
        db.conn.close()


def alert(db_path: Path, **kwargs) -> mail_render.EmailMessage:
    group = next(g for g in story_groups(db_path, **kwargs) if g.urn == URN)
    return mail_render.personalise(mail_render.alert(group, public_url=PUBLIC_URL), PERSONAL)


def digest(db_path: Path) -> mail_render.EmailMessage:
    groups = story_groups(db_path)
    return mail_render.personalise(mail_render.digest(
        groups, "daily", start="2026-12-02T08:00:00+00:00", end="2026-12-03T08:00:00+00:00",
        public_url=PUBLIC_URL), PERSONAL)
