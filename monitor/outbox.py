"""The outbox: one delivery row per (event, subscription), written before anything is sent.

Life of a delivery row (``deliveries.status``):
  held      waiting for the subscription's daily or weekly digest
  pending   due now (or at ``next_attempt_at``)
  retry     a send failed or was refused; due again at ``next_attempt_at`` (backoff, see
            ``BACKOFF``); ``last_error`` holds the server's reason (its code and text, secrets
            scrubbed, a recipient shown by domain only)
  sending   claimed by a sender, committed BEFORE the network send starts
  sent      delivered (Apprise reported success)
  failed    given up: after ``MAX_ATTEMPTS`` sends, after ``PERMANENT_ATTEMPTS`` permanent
            refusals (an SMTP 5xx), or at once when the notify URL cannot be used at all
  unknown   was ``sending`` when the process stopped: it may or may not have arrived
  cancelled the subscription was removed before it went out

Exactly-once policy: the unique index on (event_id, subscription_id) makes a second row for the
same pair impossible, and a row is only sent after a committed claim (pending/retry → sending,
``where status in ('pending', 'retry')``, so of two ``deliver``s at once only one can claim it).
A row found still ``sending`` after ``STALE_SENDING`` seconds is never resent automatically (the
first send may have arrived): it becomes ``unknown``, is counted in every ``deliver`` summary and
listed by ``ofsted-watch subscriptions``; an operator who has checked can resend it with
``ofsted-watch deliver --resend-unknown``.

Rows are claimed only for a worker that is free right now, in the same transaction that records
the sends just finished ("group commit": one transaction per batch of results and claims, never
one per row, and no row is ``sending`` unless its send is starting). So only a crash mid-send
leaves anything ``unknown`` — at most the ``SEND_WORKERS`` messages on the wire — and a refusal,
a timeout or a database that stays locked never does: a send that was refused or cut at its
deadline is a failed attempt (retried with backoff); a bookkeeping transaction that finds the
database locked by another writer waits and tries again (``LOCK_PATIENCE``) while the results
wait in memory.

Isolation between subscribers: every send has an overall deadline (``notify.SEND_DEADLINE``,
connect + write + answer). One destination (an SMTP server, a webhook host) holds at most
``SEND_WORKERS - 1`` workers while others are waiting, so they always get one; a destination
that overran its deadline is not tried again in this run (its other messages stay due,
untouched, for the next run — ``deferred`` in the counts). So a misbehaving destination delays
the others by at most one deadline.

Events of one report going to one subscription travel as one message; a digest subscription's
released rows travel as one digest. No database transaction is held across a network send.
"""
from __future__ import annotations

import logging
import os
import queue
import sqlite3
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from . import history, message, signups, subscriptions
from .notify import Outcome, Sender, destination

log = logging.getLogger("ofsted_watch.outbox")

#: Seconds to wait after the 1st, 2nd, ... failed send (the last repeats).
BACKOFF = (60, 300, 900, 3600, 3 * 3600, 6 * 3600)
#: Sends tried before a delivery is given up as failed (about two days of retrying).
MAX_ATTEMPTS = 12
#: A permanent refusal (SMTP 5xx: no such mailbox, relay denied) is believed after this many.
PERMANENT_ATTEMPTS = 3
#: A claim older than this is an interrupted send, not one still in progress.
STALE_SENDING = 900
#: How long a bookkeeping transaction keeps trying while other writers hold the database
#: (each try already waits for the busy timeout). Well under ``STALE_SENDING``.
LOCK_PATIENCE = float(os.environ.get("OFSTED_WATCH_LOCK_PATIENCE", "300"))

#: Messages on the wire at once: the bounded pool of senders. Also the most messages a crash
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


def _locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _write(db, work, what: str = "record deliveries"):
    """Run ``work()`` in one write transaction (``db.atomic()``: BEGIN IMMEDIATE, which waits
    for the busy timeout). If other writers keep the database locked even longer, wait and try
    again for up to ``LOCK_PATIENCE`` seconds: a lock is a reason to wait, never to lose track
    of a send. ``work`` must only touch the database (it may run more than once)."""
    give_up = time.monotonic() + LOCK_PATIENCE
    pause = 0.05
    while True:
        try:
            with db.atomic():
                return work()
        except sqlite3.OperationalError as exc:
            if not _locked(exc) or time.monotonic() >= give_up:
                raise
            log.warning("database busy (another writer); waiting to %s", what)
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def enqueue(db, now: str | None = None) -> int:
    """Write a delivery row for each (new event, subscription that wants it); return how many.

    Baseline events are never enqueued; an event is fanned out once (``events.enqueued_at``), to
    the subscriptions that existed when it was detected.
    """
    now = _now(now)
    events = [dict(row) for row in db.query(
        "select e.id, e.urn, e.kind, e.detected_at, e.report_id, r.report_type, "
        "r.local_authority, r.owner, r.provider_name "
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
        facts = subscriptions.ProviderFacts(event["urn"], providers.get(event["urn"]), {
            key: event[key] for key in ("report_type", "local_authority", "owner",
                                        "provider_name")})
        for matcher in matchers:
            if matcher.wants(event, facts):
                rows.append((event["id"], matcher.id, "held" if matcher.digest else "pending",
                             0, now, now, matcher.id))

    def work():
        before = db.execute("select count(*) from deliveries").fetchone()[0]
        # only for subscriptions still active: one removed since the matchers were read
        # (a concurrent unsubscribe) gets nothing, rather than a row nobody will ever send
        db.conn.executemany(
            "insert or ignore into deliveries (event_id, subscription_id, status, attempts, "
            "created_at, next_attempt_at) select ?, ?, ?, ?, ?, ? where exists "
            "(select 1 from subscriptions where id = ? and active = 1)", rows)
        created = db.execute("select count(*) from deliveries").fetchone()[0] - before
        # only events still not fanned out: a second enqueue at the same time adds nothing
        db.conn.executemany("update events set enqueued_at = ? where id = ? and "
                            "enqueued_at is null", [(now, e["id"]) for e in events])
        return created

    return _write(db, work, "queue deliveries")


def recover_interrupted(db, now: str | None = None) -> int:
    """Mark sends interrupted by a crash as ``unknown`` (never resent blindly); return how many.

    A claim is stamped with the wall clock when its send starts (so a run told an earlier
    ``now`` never takes another process's send in progress for an interrupted one)."""
    now = _now(now)
    cutoff = _shift(now, -STALE_SENDING)
    return _write(db, lambda: db.execute(
        "update deliveries set status = 'unknown', last_error = ? "
        "where status = 'sending' and (claimed_at is null or claimed_at <= ?)",
        ["interrupted while sending: it may have arrived, so it is not resent "
         "(ofsted-watch deliver --resend-unknown to send it again)", cutoff]).rowcount,
        "mark interrupted sends")


def resend_unknown(db, now: str | None = None) -> int:
    """An operator's decision: send the ``unknown`` deliveries again."""
    now = _now(now)
    return _write(db, lambda: db.execute(
        "update deliveries set status = 'retry', next_attempt_at = ? "
        "where status = 'unknown'", [now]).rowcount, "queue unknown deliveries again")


# ---- what one run sends ----------------------------------------------------------------------

@dataclass(eq=False)
class _Job:
    """One message: a subscription's due rows for one report (or its digest)."""
    sub: dict
    ids: list[int]
    event_ids: list[int]
    destination: str
    attempts: int = 0
    rendered: message.Message | None = None
    outcome: Outcome | None = None
    verdict: str = ""


def _due_jobs(db, now: str, subscription_ids=None) -> list[_Job]:
    """Due deliveries grouped into messages, oldest first."""
    sql = ("select d.id, d.subscription_id, d.event_id, e.report_id, s.digest, s.notify_url, "
           "s.email from deliveries d join subscriptions s on s.id = d.subscription_id "
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
    jobs: dict[tuple, _Job] = {}
    for delivery_id, sub_id, event_id, report_id, digest, url, email in db.execute(
            sql + " order by d.id", params):
        key = (sub_id, None if digest else report_id)
        job = jobs.get(key)
        if job is None:
            if email:   # a web subscriber: the operator's mail URL, this recipient (signups.py)
                url = signups.outbox_url(db, sub_id, email)
            job = jobs[key] = _Job({"id": sub_id, "digest": digest, "notify_url": url,
                                    "email": email}, [], [], destination(url))
        job.ids.append(delivery_id)
        job.event_ids.append(event_id)
    return list(jobs.values())


class _Plan:
    """The run's messages, queued per destination and handed out fairly: round robin between
    destinations, at most ``share`` (all workers but one) in flight to one destination while
    others are waiting, none more to a destination that overran its deadline (those stay due
    for the next run)."""

    def __init__(self, jobs: list[_Job], workers: int):
        self.workers = workers
        self.share = max(1, workers - 1)
        self.queues: dict[str, deque[_Job]] = {}
        for job in jobs:
            self.queues.setdefault(job.destination, deque()).append(job)
        self.order = deque(self.queues)
        self.busy: dict[str, int] = {}
        self.slow: set[str] = set()
        self.deferred: list[_Job] = []

    def take(self, free: int) -> list[_Job]:
        taken = []
        misses = 0
        while free > len(taken) and self.order and misses < len(self.order):
            dest = self.order.popleft()
            waiting = self.queues[dest]
            # all the workers when no other destination is waiting, else leave them one
            if self.busy.get(dest, 0) >= (self.share if self.order else self.workers):
                self.order.append(dest)
                misses += 1
                continue
            taken.append(waiting.popleft())
            self.busy[dest] = self.busy.get(dest, 0) + 1
            misses = 0
            if waiting:
                self.order.append(dest)
        return taken

    def release(self, job: _Job) -> None:
        self.busy[job.destination] -= 1
        if job.outcome is not None and job.outcome.timed_out and job.destination not in \
                self.slow:
            self.slow.add(job.destination)
            rest = self.queues.get(job.destination) or deque()
            self.deferred.extend(rest)
            rest.clear()
            if job.destination in self.order:
                self.order.remove(job.destination)


class DeliveryCounts(dict):
    """``deliver_due``'s result: counts of delivery rows — ``sent``, ``retrying``, ``failed``,
    and ``unknown`` / ``deferred`` when there are any — as a plain dict, as always.

    For people, the same outcomes counted as ``messages`` (one per report per subscriber, or one
    digest) and ``subscribers`` (distinct subscriptions), e.g. ``counts.messages["sent"]``;
    ``describe()`` says it in words."""

    def __init__(self):
        super().__init__(sent=0, retrying=0, failed=0)
        self.messages = {"sent": 0, "retrying": 0, "failed": 0, "deferred": 0,
                         "cancelled": 0}
        self._subs: dict[str, set[int]] = {key: set() for key in self.messages}

    def add(self, key: str, job: _Job) -> None:
        self[key] = self.get(key, 0) + len(job.ids)
        self.messages[key] += 1
        self._subs[key].add(job.sub["id"])

    @property
    def subscribers(self) -> dict[str, int]:
        return {key: len(subs) for key, subs in self._subs.items()}

    def describe(self) -> str:
        """'3 messages sent to 2 subscribers; 1 message to 1 subscriber waiting to retry'."""
        def plural(n, word):
            return f"{n} {word}{'' if n == 1 else 's'}"
        words = {"sent": "sent", "retrying": "waiting to retry", "failed": "failed for good",
                 "deferred": "deferred to the next run (destination too slow)",
                 "cancelled": "not sent: unsubscribed meanwhile"}
        subs = self.subscribers
        parts = []
        for key, word in words.items():
            if self.messages[key] or key == "sent":
                parts.append(f"{plural(self.messages[key], 'message')} {word} "
                             f"({plural(subs[key], 'subscriber')})")
        if self.get("unknown"):
            parts.append(f"{plural(self['unknown'], 'alert')} interrupted mid-send earlier "
                         f"(check before resending)")
        return "; ".join(parts)


def deliver_due(db, now: str | None = None, *, sender: Sender | None = None,
                subscription_ids=None) -> DeliveryCounts:
    """Send every due delivery; return counts of delivery rows: sent, retrying, failed, and
    unknown / deferred (only when there are any) — a ``DeliveryCounts``, which also counts
    messages and subscribers.

    Each message: claim (committed) → send (no transaction open) → record (committed), with
    the claims and records of many messages sharing one transaction. Up to ``SEND_WORKERS``
    messages are on the wire at once; the database is only touched in the calling thread.
    """
    return _deliver(db, _now(now), sender, subscription_ids, None)[0]


def _render(db, job: _Job, period: str | None, cache: dict) -> message.Message:
    if job.sub.get("email"):    # a web subscriber's own email, with its manage links
        return signups.outbox_message(db, job.sub, job.event_ids, period, cache)
    event_ids = tuple(sorted(job.event_ids))
    key = (event_ids, period or job.sub["digest"])
    if key not in cache:  # one downgrade fanned out to 5,000 subscriptions is rendered once
        groups = message.load_groups(db, list(event_ids))
        cache[key] = (message.render_digest(groups, period or job.sub["digest"])
                      if job.sub["digest"] else message.render(groups[0]))
    return cache[key]


def _claim(db, jobs: list[_Job]) -> list[_Job]:
    """Claim the rows of ``jobs`` still due (inside the caller's transaction); return the jobs
    with at least one row claimed, each keeping only its claimed rows."""
    ids = [i for job in jobs for i in job.ids]
    if not ids:
        return []
    claimed: dict[int, int] = {}
    stamp = history.utcnow()       # wall clock: how long a send has really been in progress
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        claimed.update(db.execute(
            f"update deliveries set status = 'sending', claimed_at = ?, "
            f"attempts = attempts + 1 where id in ({marks}) "
            f"and status in ('pending', 'retry') returning id, attempts",
            [stamp] + chunk).fetchall())
    kept = []
    for job in jobs:
        mine = [(i, e) for i, e in zip(job.ids, job.event_ids) if i in claimed]
        if mine:
            job.ids, job.event_ids = [i for i, _ in mine], [e for _, e in mine]
            job.attempts = max(claimed[i] for i in job.ids)
            kept.append(job)
    return kept


def _verdict(job: _Job) -> str:
    outcome = job.outcome
    if outcome.ok:
        return "sent"
    unusable = bool(outcome.error and outcome.error.startswith("notify URL"))
    if unusable or job.attempts >= MAX_ATTEMPTS or (
            outcome.permanent and job.attempts >= PERMANENT_ATTEMPTS):
        return "failed"
    return "retrying"


def _record(db, done: list[_Job], now: str) -> None:
    """Write the outcomes of finished sends (inside the caller's transaction); set each job's
    ``verdict``: sent, retrying, failed, or cancelled (a failed send to a subscription removed
    while it was on the wire: nothing more to try)."""
    sent_at = history.utcnow()
    retrying = [job for job in done if _verdict(job) == "retrying"]
    gone: set[int] = set()
    if retrying:
        sub_ids = sorted({job.sub["id"] for job in retrying})
        marks = ",".join("?" * len(sub_ids))
        gone = {row[0] for row in db.execute(
            f"select id from subscriptions where id in ({marks}) and active = 0", sub_ids)}
    sent, failed, retry, cancelled = [], [], [], []
    for job in done:
        job.verdict = _verdict(job)
        error = job.outcome.error
        if job.verdict == "retrying" and job.sub["id"] in gone:
            job.verdict = "cancelled"
        if job.verdict == "sent":
            sent += [(sent_at, i) for i in job.ids]
        elif job.verdict == "failed":
            failed += [(error, i) for i in job.ids]
        elif job.verdict == "cancelled":
            cancelled += [(error, i) for i in job.ids]
        else:
            retry += [(error, _shift(now, backoff(job.attempts)), i) for i in job.ids]
    claimed = "where id = ? and status in ('sending', 'unknown')"
    db.conn.executemany(f"update deliveries set status = 'sent', sent_at = ?, "
                        f"last_error = null {claimed}", sent)
    db.conn.executemany(f"update deliveries set status = 'failed', last_error = ? {claimed}",
                        failed)
    db.conn.executemany(f"update deliveries set status = 'cancelled', last_error = ? {claimed}",
                        cancelled)
    db.conn.executemany(f"update deliveries set status = 'retry', last_error = ?, "
                        f"next_attempt_at = ? {claimed}", retry)


def _send(sender: Sender, job: _Job, finished: queue.SimpleQueue) -> None:
    try:
        job.outcome = sender.send(job.sub["notify_url"], job.rendered)
    except BaseException as exc:  # Sender.send catches plugin errors; belt and braces
        job.outcome = Outcome(False, f"{type(exc).__name__}")
    finally:
        finished.put(job)


def _deliver(db, now: str, sender: Sender | None, subscription_ids, period: str | None
             ) -> tuple[DeliveryCounts, int]:
    counts = DeliveryCounts()
    unknown = recover_interrupted(db, now)
    plan = _Plan(_due_jobs(db, now, subscription_ids), SEND_WORKERS)
    sender = sender or Sender()
    finished: queue.SimpleQueue[_Job] = queue.SimpleQueue()
    cache: dict = {}
    in_flight = 0
    done: list[_Job] = []
    stopping = False
    reasons: Counter = Counter()

    def bookkeeping(jobs: list[_Job]) -> list[_Job]:
        """One transaction: record ``done``, claim ``jobs``; counts only once committed."""
        claimed = _write(db, lambda: (_record(db, done, now), _claim(db, jobs))[1])
        for job in done:
            counts.add(job.verdict, job)
            if not job.outcome.ok:
                log.debug("delivery to subscription %s failed (attempt %s): %s",
                          job.sub["id"], job.attempts, job.outcome.error)
                reasons[job.outcome.error] += 1
        done.clear()
        return claimed

    pool = ThreadPoolExecutor(max_workers=SEND_WORKERS, thread_name_prefix="send")
    try:
        while True:
            for job in done:
                if job.destination in plan.busy:
                    plan.release(job)
            taken = [] if stopping else plan.take(SEND_WORKERS - in_flight)
            claimed = bookkeeping(taken)
            for job in taken:
                if job not in claimed:       # another sender took it meanwhile
                    plan.busy[job.destination] -= 1
            for job in claimed:
                try:
                    job.rendered = _render(db, job, period, cache)
                except Exception as exc:  # a message we cannot build is recorded, not left
                    log.exception("could not build the message for deliveries %s", job.ids)
                    job.outcome = Outcome(False, f"could not build the message: "
                                                 f"{type(exc).__name__}: {exc}")
                    done.append(job)
                    continue
                pool.submit(_send, sender, job, finished)   # only after the committed claim
                in_flight += 1
            if not in_flight:
                if done:
                    continue
                if not taken or stopping:
                    break
                continue
            done.append(finished.get())
            in_flight -= 1
            while in_flight:
                try:
                    done.append(finished.get_nowait())
                except queue.Empty:
                    break
                in_flight -= 1
    except BaseException:
        # stop claiming; let the sends on the wire finish and record them before going
        stopping = True
        pool.shutdown(wait=True)
        while in_flight:
            done.append(finished.get())
            in_flight -= 1
        if done:
            try:
                bookkeeping([])
            except Exception:
                log.exception("could not record %s finished sends", len(done))
        raise
    finally:
        pool.shutdown(wait=True)
        sender.close()              # the batch is over: QUIT to pooled SMTP connections
    if reasons:     # one line a run, not one per failed message of a 5,000-strong fan-out
        failed = counts.messages["retrying"] + counts.messages["failed"] + \
            counts.messages["cancelled"]
        log.warning("%s message(s) not delivered this run (retried later unless failed for "
                    "good); most common reason: %s", failed,
                    "; ".join(f"{text} (×{n})" for text, n in reasons.most_common(2)))
    if plan.deferred:
        notes = [(f"not tried in this run: its destination ({job.destination}) overran the "
                  f"send deadline ({sender.deadline:g} s) with another message", i)
                 for job in plan.deferred for i in job.ids]
        _write(db, lambda: db.conn.executemany(
            "update deliveries set last_error = ? where id = ? and status in "
            "('pending', 'retry')", notes), "note deferred deliveries")
        for job in plan.deferred:
            counts.add("deferred", job)
    unknown_total = db.execute(
        "select count(*) from deliveries where status = 'unknown'").fetchone()[0]
    if unknown or unknown_total:
        counts["unknown"] = unknown_total
    return counts, counts.messages["sent"]


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
    _write(db, lambda: db.execute(
        f"update deliveries set status = 'pending', next_attempt_at = ? "
        f"where status = 'held' and subscription_id in ({marks})", [now] + sub_ids),
        "release held digests")
    return _deliver(db, now, sender, sub_ids, period)[1]
