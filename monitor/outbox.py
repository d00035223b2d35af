"""The outbox: one delivery row per (event, subscription), written before anything is sent.

Life of a delivery row (``deliveries.status``):
  held      waiting for the subscription's daily or weekly digest
  pending   due now (or at ``next_attempt_at``)
  retry     a send failed; due again at ``next_attempt_at`` (backoff, see ``BACKOFF``)
  sending   claimed by a sender, committed BEFORE the network send starts
  sent      delivered (Apprise reported success)
  failed    gave up after ``MAX_ATTEMPTS`` sends, or the notify URL cannot be used at all
  unknown   was ``sending`` when the process stopped: it may or may not have arrived
  cancelled the subscription was removed before it went out

Exactly-once policy: the unique index on (event_id, subscription_id) makes a second row for the
same pair impossible, and a row is only sent after a committed claim (pending/retry → sending).
A row found still ``sending`` after ``STALE_SENDING`` seconds is never resent automatically (the
first send may have arrived): it becomes ``unknown``, is counted in every ``deliver`` summary and
listed by ``ofsted-watch subscriptions``; an operator who has checked can resend it with
``ofsted-watch deliver --resend-unknown``. So a crash can leave at most the messages in flight
(``SEND_WORKERS``) in doubt, and never sends one twice without a person deciding to.

Events of one report going to one subscription travel as one message; a digest subscription's
released rows travel as one digest. No database transaction is held across a network send.
"""
from __future__ import annotations

import logging
import os
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime, timedelta, timezone

from . import history, message, subscriptions
from .notify import Sender

log = logging.getLogger("ofsted_watch.outbox")

#: Seconds to wait after the 1st, 2nd, ... failed send (the last repeats).
BACKOFF = (60, 300, 900, 3600, 3 * 3600, 6 * 3600)
#: Sends tried before a delivery is given up as failed (about two days of retrying).
MAX_ATTEMPTS = 12
#: A claim older than this is an interrupted send, not one still in progress.
STALE_SENDING = 900

#: Messages on the wire at once (Apprise's email plugin spends most of each send building a TLS
#: context, even for plain SMTP; a few sends in parallel hide it). Also the most messages a crash
#: can leave ``unknown``.
SEND_WORKERS = max(1, int(os.environ.get("OFSTED_WATCH_SEND_WORKERS", "4")))


def _now(now: str | None) -> str:
    return now or history.utcnow()


def _shift(now: str, seconds: int) -> str:
    moment = datetime.fromisoformat(now)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment + timedelta(seconds=seconds)).isoformat(timespec="seconds")


def backoff(attempts: int) -> int:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def enqueue(db, now: str | None = None) -> int:
    """Write a delivery row for each (new event, subscription that wants it); return how many.

    Baseline events are never enqueued; an event is fanned out once (``events.enqueued_at``), to
    the subscriptions that existed when it was detected.
    """
    now = _now(now)
    events = [dict(row) for row in db.query(
        "select e.id, e.urn, e.kind, e.detected_at, e.report_id, r.extraction, r.report_type "
        "from events e left join reports r on r.file_id = e.report_id "
        "where e.baseline = 0 and e.enqueued_at is null order by e.id")]
    if not events:
        return 0
    matchers = subscriptions.active_matchers(db)
    urns = sorted({e["urn"] for e in events})
    providers = {}
    for start in range(0, len(urns), 500):
        chunk = urns[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for row in db.query(f"select * from providers where urn in ({marks})", chunk):
            providers[row["urn"]] = row
    rows = []
    for event in events:
        facts = subscriptions.ProviderFacts(event["urn"], providers.get(event["urn"]),
                                            history.load_extraction(event["extraction"]),
                                            event["report_type"])
        for matcher in matchers:
            if matcher.wants(event, facts):
                rows.append((event["id"], matcher.id, "held" if matcher.digest else "pending",
                             0, now, now))
    with db.atomic():
        before = db.execute("select count(*) from deliveries").fetchone()[0]
        db.conn.executemany(
            "insert or ignore into deliveries (event_id, subscription_id, status, attempts, "
            "created_at, next_attempt_at) values (?, ?, ?, ?, ?, ?)", rows)
        created = db.execute("select count(*) from deliveries").fetchone()[0] - before
        db.conn.executemany("update events set enqueued_at = ? where id = ?",
                            [(now, e["id"]) for e in events])
    return created


def recover_interrupted(db, now: str | None = None) -> int:
    """Mark sends interrupted by a crash as ``unknown`` (never resent blindly); return how many."""
    now = _now(now)
    with db.atomic():
        cursor = db.execute(
            "update deliveries set status = 'unknown', last_error = ? "
            "where status = 'sending' and (claimed_at is null or claimed_at <= ?)",
            ["interrupted while sending: it may have arrived, so it is not resent "
             "(ofsted-watch deliver --resend-unknown to send it again)",
             _shift(now, -STALE_SENDING)])
    return cursor.rowcount


def resend_unknown(db, now: str | None = None) -> int:
    """An operator's decision: send the ``unknown`` deliveries again."""
    now = _now(now)
    with db.atomic():
        cursor = db.execute("update deliveries set status = 'retry', next_attempt_at = ? "
                            "where status = 'unknown'", [now])
    return cursor.rowcount


def _due_groups(db, now: str, subscription_ids=None) -> list[tuple[dict, list[int]]]:
    """Due deliveries grouped into messages: (subscription, [delivery ids])."""
    sql = ("select d.id, d.subscription_id, e.report_id, s.digest, s.notify_url "
           "from deliveries d join subscriptions s on s.id = d.subscription_id "
           "join events e on e.id = d.event_id "
           "where d.status in ('pending', 'retry') and s.active = 1 "
           "and (d.next_attempt_at is null or d.next_attempt_at <= ?)")
    params: list = [now]
    if subscription_ids is not None:
        ids = list(subscription_ids)
        if not ids:
            return []
        sql += f" and d.subscription_id in ({','.join('?' * len(ids))})"
        params += ids
    groups: dict[tuple, list[int]] = defaultdict(list)
    subs: dict[int, dict] = {}
    for delivery_id, sub_id, report_id, digest, url in db.execute(sql + " order by d.id",
                                                                  params):
        subs[sub_id] = {"id": sub_id, "digest": digest, "notify_url": url}
        groups[(sub_id, None if digest else report_id)].append(delivery_id)
    return [(subs[sub_id], ids) for (sub_id, _), ids in groups.items()]


def _claim(db, ids: list[int], now: str) -> list[int]:
    marks = ",".join("?" * len(ids))
    with db.atomic():
        claimed = [row[0] for row in db.execute(
            f"update deliveries set status = 'sending', claimed_at = ?, attempts = attempts + 1 "
            f"where id in ({marks}) and status in ('pending', 'retry') returning id",
            [now] + ids)]
    return claimed


def _render(db, sub: dict, ids: list[int], period: str | None, cache: dict
            ) -> message.Message:
    marks = ",".join("?" * len(ids))
    event_ids = tuple(row[0] for row in db.execute(
        f"select event_id from deliveries where id in ({marks}) order by event_id", ids))
    key = (event_ids, period or sub["digest"])
    if key not in cache:  # one downgrade fanned out to 5,000 subscriptions is rendered once
        groups = message.load_groups(db, list(event_ids))
        cache[key] = (message.render_digest(groups, period or sub["digest"]) if sub["digest"]
                      else message.render(groups[0]))
    return cache[key]


def deliver_due(db, now: str | None = None, *, sender: Sender | None = None,
                subscription_ids=None) -> dict:
    """Send every due delivery; return counts of delivery rows: sent, retrying, failed, and
    unknown (only when there are any).

    Each message: claim (committed) → send (no transaction open) → record (committed). Up to
    ``SEND_WORKERS`` messages are on the wire at once; the database is only touched here.
    """
    return _deliver(db, _now(now), sender or Sender(), subscription_ids, None)[0]


def _record(db, claimed: list[int], ok: bool, error: str | None, now: str, counts: dict,
            sub_id: int) -> None:
    marks = ",".join("?" * len(claimed))
    with db.atomic():
        if ok:
            db.execute(f"update deliveries set status = 'sent', sent_at = ?, last_error = "
                       f"null where id in ({marks})", [history.utcnow()] + claimed)
            counts["sent"] += len(claimed)
            return
        attempts = db.execute(f"select max(attempts) from deliveries where id in ({marks})",
                              claimed).fetchone()[0] or 1
        unusable = bool(error and error.startswith("notify URL"))
        if unusable or attempts >= MAX_ATTEMPTS:
            db.execute(f"update deliveries set status = 'failed', last_error = ? "
                       f"where id in ({marks})", [error] + claimed)
            counts["failed"] += len(claimed)
        else:
            db.execute(f"update deliveries set status = 'retry', last_error = ?, "
                       f"next_attempt_at = ? where id in ({marks})",
                       [error, _shift(now, backoff(attempts))] + claimed)
            counts["retrying"] += len(claimed)
    log.warning("delivery to subscription %s failed (attempt %s): %s", sub_id, attempts, error)


def _deliver(db, now: str, sender: Sender, subscription_ids, period: str | None
             ) -> tuple[dict, int]:
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    messages = 0
    unknown = recover_interrupted(db, now)
    groups = iter(_due_groups(db, now, subscription_ids))
    cache: dict = {}
    in_flight: dict = {}

    def claim_next():
        """Claim and render the next message; None when nothing is left."""
        for sub, ids in groups:
            claimed = _claim(db, ids, now)
            if not claimed:
                continue  # another sender took them
            try:
                rendered = _render(db, sub, claimed, period, cache)
            except Exception as exc:  # a message we cannot build is recorded, not left sending
                log.exception("could not build the message for deliveries %s", claimed)
                _record(db, claimed, False, f"could not build the message: "
                        f"{type(exc).__name__}: {exc}", now, counts, sub["id"])
                continue
            return sub, claimed, rendered
        return None

    with ThreadPoolExecutor(max_workers=SEND_WORKERS, thread_name_prefix="send") as pool:
        def submit(item) -> None:  # only ever after the claim is committed
            sub, claimed, rendered = item
            in_flight[pool.submit(sender.send, sub["notify_url"], rendered)] = (sub, claimed)

        for _ in range(SEND_WORKERS):
            item = claim_next()
            if item is None:
                break
            submit(item)
        while in_flight:
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for future in done:
                sub, claimed = in_flight.pop(future)
                try:
                    ok, error = future.result()
                except Exception as exc:  # Sender.send catches plugin errors; belt and braces
                    ok, error = False, f"{type(exc).__name__}"
                with db.atomic():  # one commit records this send and claims the next
                    _record(db, claimed, ok, error, now, counts, sub["id"])
                    item = claim_next()
                messages += int(ok)
                if item is not None:
                    submit(item)
    unknown_total = db.execute(
        "select count(*) from deliveries where status = 'unknown'").fetchone()[0]
    if unknown or unknown_total:
        counts["unknown"] = unknown_total
    return counts, messages


def send_digests(db, period: str, now: str | None = None, *, sender: Sender | None = None
                 ) -> int:
    """Send each ``period`` (daily/weekly) subscription one digest of its held events; return
    how many digests went out. A digest that fails is retried by ``deliver_due`` with backoff."""
    if period not in subscriptions.DIGESTS:
        raise ValueError(f"unknown digest period {period!r}: daily or weekly")
    now = _now(now)
    sub_ids = [row[0] for row in db.execute(
        "select id from subscriptions where active = 1 and digest = ?", [period])]
    if not sub_ids:
        return 0
    marks = ",".join("?" * len(sub_ids))
    with db.atomic():
        db.execute(f"update deliveries set status = 'pending', next_attempt_at = ? "
                   f"where status = 'held' and subscription_id in ({marks})", [now] + sub_ids)
    return _deliver(db, now, sender or Sender(), sub_ids, period)[1]
