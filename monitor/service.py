"""``ofsted-watch serve``: one APScheduler 3.x BlockingScheduler process running every job.

Jobs (all in ``Europe/London`` unless told otherwise):
  cycle          crawl → detect → alert, on a cron schedule (default ``mon-fri 07:00,13:00``)
  outbox         retry alerts that could not be sent, every 5 minutes
  digest-daily   daily digests, 08:00 every day
  digest-weekly  weekly digests, 08:00 on Mondays
Every job is coalesced (missed runs collapse into one), runs one instance at a time, and may
start up to ``misfire_grace_time`` late (e.g. after a suspend). SIGTERM or SIGINT stops the
scheduler cleanly: no new job starts, the running one is allowed to finish.
"""
from __future__ import annotations

import logging
import re
import signal
import threading
from dataclasses import dataclass

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from . import config
from .cycle import CRAWL_TIMEOUT, DELIVERY_LOCK, record_job, run_cycle, utcnow
from .schema import open_db

log = logging.getLogger("ofsted_watch.service")

DEFAULT_SCHEDULE = "mon-fri 07:00,13:00"
DEFAULT_TIMEZONE = "Europe/London"
OUTBOX_MINUTES = 5
DIGEST_TIME = "08:00"
WEEKLY_DIGEST_DAY = "mon"
MISFIRE_GRACE_SECONDS = config.MISFIRE_GRACE_SECONDS


class ScheduleError(ValueError):
    """A schedule string we cannot read; the message names it."""


_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_CRON_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_DAYS = re.compile(r"^(\*|[a-z]{3}(-[a-z]{3})?(,[a-z]{3}(-[a-z]{3})?)*)$")


def parse_schedule(spec: str, timezone: str = DEFAULT_TIMEZONE):
    """``"mon-fri 07:00,13:00"`` (days, then times) or a 5-field crontab line → a trigger."""
    text = " ".join(spec.strip().lower().split())
    fields = text.split(" ")
    try:
        if len(fields) == 5:
            # APScheduler 3 reads crontab day numbers as 0=Monday; crontab means 0=Sunday.
            fields[4] = re.sub(r"(?<![/\d])\d+", lambda m: _CRON_DAYS[int(m.group())], fields[4])
            return CronTrigger.from_crontab(" ".join(fields), timezone=timezone)
        if len(fields) == 1:
            fields = ["*", fields[0]]
        if len(fields) != 2 or not _DAYS.match(fields[0]):
            raise ScheduleError
        times = [_TIME.match(t) for t in fields[1].split(",")]
        if not all(times):
            raise ScheduleError
        by_minute: dict[int, list[int]] = {}
        for match in times:
            by_minute.setdefault(int(match.group(2)), []).append(int(match.group(1)))
        triggers = [CronTrigger(day_of_week=fields[0], hour=",".join(map(str, sorted(hours))),
                                minute=minute, timezone=timezone)
                    for minute, hours in sorted(by_minute.items())]
    except (ScheduleError, ValueError, KeyError, IndexError) as exc:
        raise ScheduleError(
            f"schedule {spec!r}: expected days and times like 'mon-fri 07:00,13:00' "
            f"or a crontab line like '0 7,13 * * 1-5'") from exc
    return triggers[0] if len(triggers) == 1 else OrTrigger(triggers)


@dataclass
class ServiceOptions:
    db_path: str = config.DB_PATH
    base_url: str = config.BASE_URL
    pdf_dir: str = config.PDF_DIR
    schedule: str = DEFAULT_SCHEDULE
    timezone: str = DEFAULT_TIMEZONE
    crawl_timeout: float = CRAWL_TIMEOUT
    outbox_minutes: int = OUTBOX_MINUTES
    misfire_grace_time: int = MISFIRE_GRACE_SECONDS
    run_now: bool = False
    fast: bool = False          # crawler politeness off: a replica on loopback only


# ---- jobs: each opens its own connection and logs one line with its outcome --------------------

def cycle_job(options: ServiceOptions) -> None:
    try:
        result = run_cycle(options.db_path, base_url=options.base_url, pdf_dir=options.pdf_dir,
                           timeout=options.crawl_timeout, fast=options.fast)
    except Exception as exc:  # a job must never kill the scheduler; record and carry on
        log.exception("cycle failed: %s", exc)
        _record(options, "cycle", "error", f"{type(exc).__name__}: {exc}")
        return
    log.info("cycle %s: %s", "ok" if result.ok else "crawl failed", result.summary)


def outbox_job(options: ServiceOptions) -> None:
    from monitor import outbox
    started = utcnow()
    try:
        db = open_db(options.db_path)
        try:
            with DELIVERY_LOCK:
                outcome = dict(outbox.deliver_due(db) or {})
            from .cycle import describe_delivery
            summary = f"outbox: {describe_delivery(outcome)}"
            busy = any(v for v in outcome.values() if isinstance(v, int))
            if busy:  # a quiet outbox every 5 minutes is not worth a row
                record_job(db, "outbox", started, "ok", summary)
        finally:
            db.conn.close()
    except Exception as exc:
        log.exception("outbox retry failed: %s", exc)
        _record(options, "outbox", "error", f"{type(exc).__name__}: {exc}")
        return
    log.log(logging.INFO if busy else logging.DEBUG, summary)


def digest_job(options: ServiceOptions, period: str) -> None:
    from monitor import outbox
    started = utcnow()
    try:
        db = open_db(options.db_path)
        try:
            with DELIVERY_LOCK:
                sent = outbox.send_digests(db, period) or 0
            summary = f"{period} digests: {sent} sent"
            record_job(db, f"digest-{period}", started, "ok", summary)
        finally:
            db.conn.close()
    except Exception as exc:
        log.exception("%s digest failed: %s", period, exc)
        _record(options, f"digest-{period}", "error", f"{type(exc).__name__}: {exc}")
        return
    log.info(summary)


def _record(options: ServiceOptions, job: str, status: str, summary: str) -> None:
    try:
        db = open_db(options.db_path)
        try:
            record_job(db, job, utcnow(), status, summary)
        finally:
            db.conn.close()
    except Exception:  # the database itself is the problem; the log line already says so
        pass


# ---- the scheduler ----------------------------------------------------------------------------

def build_scheduler(options: ServiceOptions) -> BlockingScheduler:
    """A configured, not yet started scheduler (tests inspect its jobs)."""
    cycle_trigger = parse_schedule(options.schedule, options.timezone)
    scheduler = BlockingScheduler(
        timezone=options.timezone,
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": options.misfire_grace_time})
    # job defaults also given per job, so they are visible before the scheduler starts
    policy = {"coalesce": True, "max_instances": 1,
              "misfire_grace_time": options.misfire_grace_time}
    hour, minute = (int(x) for x in DIGEST_TIME.split(":"))
    when = {}
    if options.run_now:  # one cycle straight away, then on the schedule
        from datetime import datetime
        from zoneinfo import ZoneInfo
        when = {"next_run_time": datetime.now(ZoneInfo(options.timezone))}
    scheduler.add_job(cycle_job, cycle_trigger, args=[options], id="cycle",
                      name="crawl, detect and alert", replace_existing=True, **policy,
                      **when)
    scheduler.add_job(outbox_job, IntervalTrigger(minutes=options.outbox_minutes,
                                                  timezone=options.timezone),
                      args=[options], id="outbox", name="retry unsent alerts",
                      replace_existing=True, **policy)
    scheduler.add_job(digest_job, CronTrigger(hour=hour, minute=minute,
                                              timezone=options.timezone),
                      args=[options, "daily"], id="digest-daily", name="daily digests",
                      replace_existing=True, **policy)
    scheduler.add_job(digest_job, CronTrigger(day_of_week=WEEKLY_DIGEST_DAY, hour=hour,
                                              minute=minute, timezone=options.timezone),
                      args=[options, "weekly"], id="digest-weekly", name="weekly digests",
                      replace_existing=True, **policy)
    return scheduler


class AlreadyRunning(RuntimeError):
    """Another ``serve`` holds this database."""


def hold_lock(db_path: str, holder: str = "ofsted-watch serve"):
    """One scheduler per database: an exclusive lock on ``<db>.serve.lock``, held until exit.
    ``ofsted-watch run`` takes the same lock; the file names the holder (command, pid, since)
    so a refusal can say who."""
    import os

    from . import locks
    try:
        return locks.take(f"{db_path}.serve.lock",
                          f"`{holder}` (pid {os.getpid()}, since {utcnow()})")
    except locks.Held as held:
        who = held.holder or "another `ofsted-watch serve`"
        raise AlreadyRunning(f"database {db_path}: {who} is already running for it (one "
                             f"cycle at a time per database)") from None


def serve(options: ServiceOptions) -> None:
    """Run until SIGTERM/SIGINT; then let the running job finish and return."""
    open_db(options.db_path).conn.close()  # create/migrate once, before any job
    lock = hold_lock(options.db_path)
    scheduler = build_scheduler(options)

    stopping: list[threading.Thread] = []

    def stop(signum, _frame):
        if stopping:
            return  # already stopping; a running job is being allowed to finish
        log.info("received %s: stopping (waiting for a running job to finish)",
                 signal.Signals(signum).name)
        # Shut down from a helper thread, not inside the handler: the handler may have
        # interrupted the scheduler while it held one of its locks.
        stopper = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True},
                                   name="scheduler-shutdown")
        stopping.append(stopper)
        stopper.start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for job in scheduler.get_jobs():
        log.info("job %-13s %s", job.id, job.trigger)
    log.info("scheduler started (timezone %s, pid-wide: one cycle at a time)", options.timezone)
    try:
        scheduler.start()
        for stopper in stopping:
            stopper.join()  # returns once the running job has finished
    finally:
        lock.close()
    log.info("scheduler stopped cleanly")
