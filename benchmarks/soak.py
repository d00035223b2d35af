"""Delivery soak: alerts keep flowing while everything around them misbehaves. Bounded time,
loopback only, real processes on one SQLite file.

    python benchmarks/soak.py                  # 60 s of faults, then a drain
    python benchmarks/soak.py --seconds 20     # quicker

For ``--seconds``, at once:
  * events: a new children's home falls from good to inadequate every ``--event-every`` seconds
    (stored, detected, queued: ``detect`` + ``outbox.enqueue``), in this process;
  * subscribers come and go: a second process subscribes new addresses and unsubscribes old
    ones (each in its own write transaction, as ``ofsted-watch subscribe`` would);
  * two ``deliver`` processes run ``outbox.deliver_due`` in a loop on the same database;
  * the SMTP server (aiosmtpd, in this process) goes down and comes back, answers
    ``451 4.3.2`` to everyone for a while, and always answers ``550 5.1.1`` to a few
    addresses that do not exist.
Time runs fast for the outbox (``--speed`` simulated seconds per second, so the backoff of 1, 5,
15 minutes ... comes round), always behind the wall clock so a claim in progress is never
taken for an interrupted one. Then the faults stop, the delivering processes are told to finish,
and what is still due is drained (the clock moved on by days, so every backoff has passed).

Counted at the end, per subscriber: messages expected (its delivery rows not cancelled by its
unsubscribe), received (by the SMTP server, by report), lost, duplicated; failed deliveries
with their reason (allowed only for a 5xx refusal, and only for the addresses that do not exist);
rows 'unknown'; processes that crashed or raised; peak memory of each process, and its growth
(largest RSS in the last fifth of the run over the largest in the first fifth).
Targets: 0 lost, 0 duplicated, 0 unknown, no process crashed, memory flat.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path
               if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

GONE = "550 5.1.1 <{}>: no such mailbox here"
BUSY = "451 4.3.2 too busy, try again later"
ADDRESS = re.compile(r"[?&]to=([^&]+)")
REPORT = re.compile(r"https://files\.ofsted\.gov\.uk/v1/file/([\w-]+)")


class Clock:
    """Simulated time for the outbox: ``speed``× the wall clock, starting two days behind it
    (so it stays behind it: claims are stamped with the wall clock)."""

    def __init__(self, wall0: float, speed: float):
        self.wall0, self.speed = wall0, speed
        self.sim0 = datetime.fromtimestamp(wall0, timezone.utc) - timedelta(days=2)

    def now(self, extra: float = 0) -> str:
        moment = self.sim0 + timedelta(seconds=(time.time() - self.wall0) * self.speed + extra)
        return moment.isoformat(timespec="seconds")


class Memory:
    """RSS samples of this process (every half second): peak, and growth from the first fifth
    of the run to the last."""

    def __init__(self):
        self.samples: list[tuple[float, int]] = []
        threading.Thread(target=self._every, daemon=True).start()

    def _every(self):
        while True:
            self.sample()
            time.sleep(0.5)

    def sample(self) -> None:
        with open("/proc/self/statm") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        self.samples.append((time.monotonic(), rss))

    def report(self) -> dict:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out = {"peak_mib": round(peak, 1)}
        if len(self.samples) >= 10:
            fifth = max(1, len(self.samples) // 5)
            first = max(rss for _, rss in self.samples[:fifth])
            last = max(rss for _, rss in self.samples[-fifth:])
            out.update(first_fifth_mib=round(first / 2**20, 1),
                       last_fifth_mib=round(last / 2**20, 1), growth=round(last / first, 3))
        return out


# ---- the roles that run in their own processes ---------------------------------------------

def role_deliver(args) -> None:
    """Deliver what is due, again and again, until told to stop."""
    from monitor import outbox
    from monitor.schema import open_db
    clock = Clock(args.wall0, args.speed)
    db = open_db(args.db)
    memory, runs, errors = Memory(), 0, []
    totals: Counter = Counter()
    stop = Path(args.stop)
    while not stop.exists():
        try:
            counts = outbox.deliver_due(db, now=clock.now())
            totals.update({f"rows_{k}": v for k, v in counts.items() if k != "unknown"})
            totals.update({f"messages_{k}": v for k, v in counts.messages.items()})
        except Exception as exc:             # counted: the target is none at all
            errors.append(f"{type(exc).__name__}: {exc}")
            traceback.print_exc()
        runs += 1
        time.sleep(0.1)
    db.conn.close()
    print(json.dumps({"role": "deliver", "runs": runs, "errors": errors, "totals": totals,
                      "memory": memory.report()}), flush=True)


def role_churn(args) -> None:
    """Subscribers come and go."""
    from monitor import subscriptions
    from monitor.schema import open_db
    clock = Clock(args.wall0, args.speed)
    db = open_db(args.db)
    rng = random.Random(args.seed + 1)
    memory, errors, added, removed = Memory(), [], 0, []
    stop = Path(args.stop)
    n = 0
    while not stop.exists():
        try:
            if rng.random() < 0.6:
                with db.atomic():   # the time read once the write lock is held, as `subscribe`
                    subscriptions.add(db, args.url.format(f"late{n}@example.org"), all=True,
                                      now=clock.now())
                n += 1
                added += 1
            else:
                ids = [r[0] for r in db.execute(
                    "select id from subscriptions where active = 1")]
                if ids:
                    victim = rng.choice(ids)
                    at = clock.now()
                    if subscriptions.remove(db, victim):
                        removed.append((victim, at))
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            traceback.print_exc()
        time.sleep(rng.uniform(0.1, 0.5))
    db.conn.close()
    print(json.dumps({"role": "churn", "added": added, "removed": removed, "errors": errors,
                      "memory": memory.report()}), flush=True)


# ---- the coordinator ---------------------------------------------------------------------------

def _spawn(role: str, args, extra=()) -> subprocess.Popen:
    env = {**os.environ, "OFSTED_WATCH_SEND_DEADLINE": str(args.deadline)}
    return subprocess.Popen(
        [sys.executable, __file__, "--role", role, "--db", str(args.db), "--stop",
         str(args.stop), "--wall0", repr(args.wall0), "--speed", str(args.speed),
         "--seed", str(args.seed), *extra], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env)


def soak(args) -> dict:
    from conftest import store_provider, store_report
    from monitor import detect, outbox, subscriptions
    from monitor.schema import open_db
    from servers import MailSink

    work = Path(tempfile.mkdtemp(prefix="ofsted-watch-soak-"))
    args.db, args.stop = work / "soak.db", work / "stop"
    args.wall0 = time.time()
    clock = Clock(args.wall0, args.speed)
    rng = random.Random(args.seed)

    received: Counter = Counter()           # (address, report) -> times received
    lock = threading.Lock()

    def on_message(msg, rcpt):
        text = MailSink.parts(msg).get("text/plain", "")
        found = REPORT.search(text)
        with lock:
            for address in rcpt:
                received[(address, found.group(1) if found else "?")] += 1

    sink = MailSink()
    sink.on_message = on_message
    sink.messages, sink.envelopes = _Nothing(), _Nothing()     # keep memory flat
    sink.start()
    url = sink.url("{}").replace("%7B%7D", "{}")
    gone = [f"gone{i}@example.org" for i in range(args.gone)]
    sink.refuse = {address: GONE.format(address) for address in gone}

    db = open_db(args.db)
    store_provider(db, "SC000000")
    store_report(db, "base-0", "SC000000", inspection_date="2020-01-01", overall="good")
    detect.detect(db, baseline=True, now=clock.now())
    with db.atomic():
        for i in range(args.subscribers):
            subscriptions.add(db, url.format(f"reader{i}@example.org"), all=True,
                              now=clock.now())
        for address in gone:
            subscriptions.add(db, url.format(address), all=True, now=clock.now())

    procs = [_spawn("deliver", args), _spawn("deliver", args),
             _spawn("churn", args, ["--url", url])]
    memory = Memory()
    faults = Counter()
    stop_faults = threading.Event()

    def chaos():
        """Down, up, 451 to everyone, up ... on a seeded schedule."""
        while not stop_faults.wait(rng.uniform(1.5, 3.0)):
            fault = rng.choice(["down", "busy"])
            faults[fault] += 1
            if fault == "down":
                sink.stop()
                stop_faults.wait(rng.uniform(0.5, 2.0))
                sink.start()
            else:
                sink.refuse["*"] = BUSY
                stop_faults.wait(rng.uniform(0.5, 2.0))
                sink.refuse.pop("*", None)

    chaos_thread = threading.Thread(target=chaos, daemon=True)
    chaos_thread.start()
    events, errors = 0, []
    end = time.monotonic() + args.seconds
    k = 0
    while time.monotonic() < end:
        k += 1
        urn = f"SC{k:06d}"
        try:
            store_provider(db, urn)
            store_report(db, f"{urn}-a", urn, inspection_date="2021-03-01", overall="good")
            store_report(db, f"{urn}-b", urn, inspection_date="2024-06-11", overall="inadequate")
            now = clock.now()
            events += len(detect.detect(db, now=now))
            outbox.enqueue(db, now=now)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            traceback.print_exc()
        time.sleep(args.event_every)

    # the faults stop; the delivering processes finish what they are doing and leave
    stop_faults.set()
    chaos_thread.join()
    if sink._controller is None:
        sink.start()
    sink.refuse.pop("*", None)
    args.stop.write_text("stop")
    reports = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        lines = [line for line in out.splitlines() if line.startswith("{")]
        reports.append({"returncode": proc.returncode,
                        "traceback": "Traceback" in err,
                        **(json.loads(lines[-1]) if lines else {"role": "?"})})

    # drain: days later every backoff has passed; deliver until nothing is due
    drained = 0
    for day in range(1, 30):
        counts = outbox.deliver_due(db, now=clock.now(extra=day * 86400))
        drained += counts["sent"]
        due = db.execute("select count(*) from deliveries where status in "
                         "('pending', 'retry', 'sending')").fetchone()[0]
        if not due:
            break
    time.sleep(0.5)
    sink.stop()
    return _count(db, received, gone, reports, memory, faults, events, errors, drained, args)


class _Nothing(list):
    def append(self, item):
        pass


def _count(db, received, gone, reports, memory, faults, events, errors, drained, args) -> dict:
    rows = db.execute(
        "select s.notify_url, e.report_id, d.status, d.last_error from deliveries d "
        "join subscriptions s on s.id = d.subscription_id "
        "join events e on e.id = d.event_id").fetchall()
    expected = defaultdict(set)
    failed: dict = defaultdict(dict)
    statuses = Counter()
    for url, report, status, error in rows:
        address = ADDRESS.search(url).group(1)
        statuses[status] += 1
        if status == "cancelled":
            continue
        expected[address].add(report)
        if status == "failed":
            failed[address][report] = error
    addresses = set(expected) | {a for a, _ in received}
    per = {}
    for address in sorted(addresses):
        got = {report: n for (a, report), n in received.items() if a == address}
        want = expected.get(address, set())
        # a failure is allowed only as a 5xx refusal of an address that does not exist
        permanent = {r for r, e in failed.get(address, {}).items()
                     if address in gone and "SMTP 5" in (e or "")}
        per[address] = {
            "expected": len(want), "received": len(set(got) & want),
            "duplicated": sum(n - 1 for n in got.values() if n > 1),
            "unexpected": len(set(got) - want),
            "failed_5xx": len(permanent),
            "lost": len(want - set(got) - permanent),
        }
    total = Counter()
    for figures in per.values():
        total.update(figures)
    # independently of the outbox: every (event, subscription) pair that must have a row has
    # one — subscriptions made before the event was detected (by a margin, the clock having
    # a one-second grain) and never removed, for the kinds they follow
    removed = {sub_id for r in reports if r.get("role") == "churn"
               for sub_id, _ in r.get("removed") or []}
    pairs = set(db.execute("select event_id, subscription_id from deliveries").fetchall())
    event_rows = db.execute(
        "select id, kind, detected_at from events where baseline = 0").fetchall()
    subs = db.execute("select id, created_at, events from subscriptions").fetchall()
    missing = 0
    for sub_id, created_at, kinds in subs:
        if sub_id in removed:
            continue
        start = datetime.fromisoformat(created_at) + timedelta(seconds=2)
        for event_id, kind, detected_at in event_rows:
            if kind in (kinds or "").split(",") and datetime.fromisoformat(detected_at) > start \
                    and (event_id, sub_id) not in pairs:
                missing += 1
    bad = {a: f for a, f in per.items() if f["lost"] or f["duplicated"] or f["unexpected"]}
    reasons = Counter(re.sub(r"\d+\s*$", "", e or "")[:90] for f in failed.values()
                      for e in f.values())
    return {
        "seconds": args.seconds, "speed": args.speed, "deadline_s": args.deadline,
        "events": events, "faults": dict(faults),
        "subscribers": len(addresses), "gone_addresses": len(gone),
        "messages": {k: total[k] for k in ("expected", "received", "lost", "duplicated",
                                            "unexpected", "failed_5xx")},
        "rows": dict(statuses), "unknown": statuses.get("unknown", 0),
        "rows_missing": missing,
        "failed_reasons": dict(reasons.most_common(3)),
        "subscribers_with_a_problem": dict(list(bad.items())[:10]),
        "sent_in_drain": drained,
        "processes": [{k: r.get(k) for k in ("role", "returncode", "traceback", "errors",
                                              "runs", "memory", "totals")} for r in reports],
        "producer": {"errors": errors, "memory": memory.report()},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--subscribers", type=int, default=60)
    parser.add_argument("--gone", type=int, default=5, help="addresses answered 550")
    parser.add_argument("--event-every", type=float, default=2.0)
    parser.add_argument("--speed", type=float, default=60.0)
    parser.add_argument("--deadline", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=9)
    # internal: the roles run in their own processes
    parser.add_argument("--role", choices=["deliver", "churn"])
    parser.add_argument("--db")
    parser.add_argument("--stop")
    parser.add_argument("--wall0", type=float)
    parser.add_argument("--url")
    args = parser.parse_args(argv)
    if args.role == "deliver":
        role_deliver(args)
        return 0
    if args.role == "churn":
        role_churn(args)
        return 0
    result = soak(args)
    print(json.dumps(result, indent=1))
    m = result["messages"]
    ok = (m["lost"] == 0 and m["duplicated"] == 0 and m["unexpected"] == 0
          and result["unknown"] == 0 and result["rows_missing"] == 0
          and all(p["returncode"] == 0 and not p["traceback"] and not p["errors"]
                  for p in result["processes"]) and not result["producer"]["errors"])
    print("soak:", "PASS" if ok else "FAIL", f"— {result['rows_missing']} outbox rows missing, "
          f"{m['expected']} messages expected, "
          f"{m['received']} received, {m['lost']} lost, {m['duplicated']} duplicated, "
          f"{m['failed_5xx']} refused 5xx (recorded failed with the reason), "
          f"{result['unknown']} unknown")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
