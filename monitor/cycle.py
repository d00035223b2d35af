"""One monitoring cycle: crawl (in a subprocess) → history → detect → enqueue → deliver.

``run_cycle`` is what ``ofsted-watch run`` and the scheduler's cycle job call. The crawl runs in a
fresh subprocess with a timeout (Twisted's reactor cannot restart in one process); everything after
it runs here, on one database connection, and the outcome is recorded in ``job_runs``.

Baseline rule: written once, in ``monitor.store.is_news`` and applied when a report is first
stored, whichever command's crawl found it: what the first successful crawl of a scope finds is
the starting point, and nobody is alerted about it; a report first found after that is news.
Detection honours each report's mark, so ``crawl``, ``run``, ``serve`` and ``detect`` agree in
any order.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field

from . import config
from .history import utcnow
from .schema import open_db
from .sql import rows_in

log = logging.getLogger("ofsted_watch.cycle")

CRAWL_TIMEOUT = config.CRAWL_TIMEOUT

#: Held while a job writes events or sends alerts, so a scheduled outbox retry never runs
#: ``deliver_due`` at the same moment as a cycle in the same process.
DELIVERY_LOCK = threading.Lock()


@dataclass
class CycleResult:
    crawl: dict
    baseline: bool = False     # this cycle only recorded the starting point (a first run)
    baseline_events: int = 0   # events recorded as history: nobody is alerted about them
    events: list[int] = field(default_factory=list)   # news: events subscribers may receive
    event_kinds: dict[str, int] = field(default_factory=dict)
    queued: int = 0
    delivery: dict = field(default_factory=dict)   # deliver_due's counts of delivery rows
    messages: int = 0          # messages that went out in this cycle (one per report/subscriber)
    recipients: int = 0        # subscriptions they went to
    summary: str = ""

    @property
    def ok(self) -> bool:
        return self.crawl.get("status") == "ok"


def history_is_empty(db) -> bool:
    """True before the history has read any report (judgements, events or bookkeeping)."""
    tables = ["judgements", "events"] + (["monitor_reports"] if db["monitor_reports"].exists()
                                         else [])
    return all(db[name].count == 0 for name in tables)


def run_cycle(db_path: str, *, base_url: str | None = None, pdf_dir: str | None = None,
              timeout: float = CRAWL_TIMEOUT, scope: str | None = None, backfill: bool = False,
              since: str | None = None, fast: bool = False, crawl=None,
              now=None) -> CycleResult:
    """Run one full cycle and return what happened. Never raises for a failed crawl or send:
    those are recorded (crawl_runs, deliveries) and reported in the summary.

    ``fast`` turns the crawler's politeness off: only for a replica on loopback (tests, demo).
    ``now`` is the monitor's clock (detection, outbox due times); None means the real time.
    ``crawl`` replaces ``monitor.crawl_process.crawl_in_subprocess`` (same signature)."""
    from monitor import detect, outbox, signups

    if crawl is None:
        from .crawl_process import crawl_in_subprocess as crawl
    base_url = base_url or config.BASE_URL
    pdf_dir = pdf_dir or config.PDF_DIR
    started = utcnow()

    db = open_db(db_path)
    empty_before = history_is_empty(db)
    db.conn.close()  # the crawler subprocess writes to the same file; hold no connection meanwhile

    extra = {"fast": True} if fast else {}
    try:
        crawl_result = crawl(db_path, base_url=base_url, pdf_dir=pdf_dir, since=since,
                             backfill=backfill, scope=scope, timeout=timeout, **extra)
    except (OSError, ValueError) as exc:  # could not even start the crawl: a failed crawl
        log.warning("crawl could not run: %s", exc)
        crawl_result = {"status": "failed", "reason": f"could not run the crawl: {exc}"}
    result = CycleResult(crawl=dict(crawl_result or {}))

    db = open_db(db_path)
    try:
        with DELIVERY_LOCK:
            found = list(detect.detect(db, now=now) or [])
            past = _past(db, found)
            result.baseline_events = len(past)
            result.events = [i for i in found if i not in past]
            result.baseline = empty_before and result.ok and not result.events
            result.event_kinds = _kinds(db, result.events)
            result.queued = outbox.enqueue(db, now=now) or 0
            waiting = unsent_ids(db)
            result.delivery = dict(outbox.deliver_due(db, now=now) or {})
            result.messages, result.recipients = messages_sent(db, waiting)
        signups.expire(db)      # web sign-ups never confirmed within 48 hours (issue 11)
        result.summary = summarise(result)
        record_job(db, "cycle", started, "ok" if result.ok else "crawl-failed", result.summary)
    finally:
        db.conn.close()
    return result


def unsent_ids(db) -> list[int]:
    return [row[0] for row in db.execute(
        "select id from deliveries where status not in ('sent', 'failed', 'cancelled')")]


def messages_sent(db, ids: list[int]) -> tuple[int, int]:
    """(messages, subscriptions) among ``ids`` now sent: events of one report travel together."""
    pairs = set(rows_in(db, "select d.subscription_id, e.report_id from deliveries d "
                            "join events e on e.id = d.event_id "
                            "where d.status = 'sent' and d.id in ({marks})", ids))
    return len(pairs), len({sub for sub, _ in pairs})


def _past(db, event_ids: list[int]) -> set[int]:
    return {row[0] for row in rows_in(db, "select id from events where baseline = 1 and "
                                           "id in ({marks})", event_ids)}


def _kinds(db, event_ids: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind, n in rows_in(db, "select kind, count(*) from events where id in ({marks}) "
                               "group by kind", event_ids):
        counts[kind] = counts.get(kind, 0) + n
    return dict(sorted(counts.items()))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def describe_delivery(delivery: dict) -> str:
    """'3 sent, 1 waiting to retry' from deliver_due's counts of delivery rows."""
    words = {"sent": "sent", "retrying": "waiting to retry", "failed": "failed for good",
             "unknown": "interrupted mid-send (check before resending)",
             "deferred": "held back from a destination that overran its deadline (next run)",
             "cancelled": "cancelled (the subscriber left)"}
    parts = []
    for key, value in delivery.items():
        if isinstance(value, int) and not isinstance(value, bool) and (value or key == "sent"):
            parts.append(f"{value} {words.get(key, key.replace('_', ' '))}")
    return ", ".join(parts) if parts else "nothing due"


def describe_problems(delivery: dict) -> str:
    """'; 2 alerts waiting to retry' (only what did not go), or ''."""
    words = {"retrying": "waiting to retry (the outbox tries again)",
             "deferred": "held back from a slow destination until the next run",
             "failed": "failed for good", "unknown": "interrupted mid-send (check before "
                                                    "resending)"}
    parts = [f"{_plural(delivery[k], 'alert')} {w}" for k, w in words.items() if delivery.get(k)]
    return "; " + ", ".join(parts) if parts else ""


def summarise(result: CycleResult) -> str:
    """One paragraph a person can read in a log or a terminal."""
    c = result.crawl
    status = c.get("status", "unknown")
    if status == "ok":
        crawl = (f"Crawl finished: {_plural(int(c.get('pages') or 0), 'page')}, "
                 f"{_plural(int(c.get('providers') or 0), 'provider')} seen, "
                 f"{_plural(int(c.get('new_reports') or 0), 'new report')}, "
                 f"{_plural(int(c.get('errors') or 0), 'error')}.")
    else:
        reason = c.get("reason") or "no reason given"
        crawl = f"Crawl {status}: {reason}; it will be tried again next cycle."
    past = result.baseline_events
    if result.baseline:
        found = f" (with {_plural(past, 'past event')})" if past else ""
        detected = (f"First run: what is already published is the baseline{found}; nobody is "
                    f"alerted about it.")
    elif result.events:
        kinds = ", ".join(f"{k} ×{n}" for k, n in result.event_kinds.items())
        detected = f"Detected {_plural(len(result.events), 'new event')} ({kinds})."
        if past:
            detected += (f" {_plural(past, 'past event')} recorded as the baseline: nobody is "
                         f"alerted about them.")
    elif past:
        detected = (f"Recorded {_plural(past, 'past event')} from reports published before "
                    f"watching began: nobody is alerted about them.")
    elif status != "ok" and not result.events:
        detected = "No detection this time."
    else:
        detected = "No new events."
    problems = describe_problems(result.delivery)
    if result.messages:
        sent = (f"Sent {_plural(result.messages, 'message')} to "
                f"{_plural(result.recipients, 'subscriber')}{problems}.")
    else:
        sent = f"Sent nothing{problems}." if problems else "Nothing to send."
    return " ".join((crawl, detected, sent))


def record_job(db, job: str, started: str, status: str, summary: str) -> None:
    db["job_runs"].insert({"job": job, "started_at": started, "finished_at": utcnow(),
                           "status": status, "summary": summary})


def crawl_json(result: CycleResult) -> str:
    return json.dumps({"crawl": result.crawl, "baseline": result.baseline,
                       "events": result.events, "event_kinds": result.event_kinds,
                       "queued": result.queued, "delivery": result.delivery,
                       "messages": result.messages, "recipients": result.recipients,
                       "summary": result.summary}, indent=2, sort_keys=True)
