"""Run one crawl in a fresh subprocess (Twisted's reactor cannot be restarted in a process).

    from monitor.crawl_process import crawl_in_subprocess
    summary = crawl_in_subprocess("ofsted-watch.db", base_url=..., pdf_dir=..., timeout=3600)
    summary["status"]   # "ok" or "failed"; also pages, providers, new_reports, errors,
                        # requests, run_id, reason, mode, since, scope, started_at, finished_at

The crawl_runs row is created here first, so the outcome is recorded whatever happens to the
child: at the soft timeout it is asked to stop (SIGTERM: Scrapy closes gracefully and records
what it did); at the hard timeout it is killed and the row is marked failed here.

The child never outlives its parent or its limit:
- it runs in its own process group (``start_new_session``), and the whole group (the crawl and
  its extraction workers) is killed at the hard timeout;
- it is started through this module (``python -m monitor.crawl_process``), which asks the kernel
  to kill it when its parent dies (``PR_SET_PDEATHSIG``, checked against a parent that died
  first) and sets an alarm at the hard limit (plus a grace period) that ends it even if its
  parent is stuck;
- its log (stderr) is kept beside the database, ``{db}.crawl.log`` (the last ``LOG_RUNS`` runs:
  ``.crawl.log.1`` is the one before), and every failure reason names it ("see ...").

One crawl per database: the parent takes the crawl lock (``store.hold_crawl_lock``) before the
run row exists and hands it to the child; a second crawl is refused with one line naming the
holder's pid, recorded as a failed run.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from crawler.scope import parse_scope

from . import store

__all__ = ["crawl_in_subprocess"]

#: how many runs' logs are kept beside the database
LOG_RUNS = 5
#: the child's own alarm goes off this long after the parent's hard timeout
GRACE = 30


def _last_line(path: Path, start: int) -> str:
    """The child's last non-empty line of output in this run (what a failed start said)."""
    try:
        with open(path, "rb") as log:
            size = log.seek(0, os.SEEK_END)
            log.seek(max(start, size - 4096))
            lines = [line.strip() for line in log.read().decode("utf-8", "replace").splitlines()]
    except (OSError, ValueError):
        return ""
    lines = [store.clean_text(line) for line in lines if line]
    return lines[-1][:300] if lines else ""


def _rotate(path: Path, keep: int = LOG_RUNS) -> None:
    """``path`` → ``path.1`` → … → ``path.{keep-1}``: one file per run, the oldest dropped."""
    for n in range(keep - 1, 0, -1):
        older = path if n == 1 else Path(f"{path}.{n - 1}")
        if older.exists():
            os.replace(older, f"{path}.{n}")


def crawl_in_subprocess(db_path: str | Path, *, base_url: str, pdf_dir: str | Path,
                        since: str | None = None, backfill: bool = False,
                        scope: str | list | None = None, timeout: float = 3 * 3600,
                        soft_timeout: float | None = None, fast: bool = False,
                        extract: bool = True, settings: dict | None = None,
                        env: dict | None = None, log_path: str | Path | None = None) -> dict:
    """Crawl in a child process; return the run summary (never raises for a failed crawl).

    ``timeout`` is the hard limit; ``soft_timeout`` (default 90% of it) is when the child is
    asked to finish. ``settings`` are Scrapy overrides; ``log_path`` replaces the log kept
    beside the database (appended to, not rotated)."""
    scope_text, _ = parse_scope(scope)          # BadScope (ValueError) for a wrong scope
    soft = soft_timeout if soft_timeout is not None else timeout * 0.9
    try:
        lock = store.hold_crawl_lock(db_path)
    except store.CrawlBusy as busy:
        return _refused(db_path, scope_text, since, backfill, str(busy))
    try:
        return _crawl(db_path, lock, base_url=base_url, pdf_dir=pdf_dir, since=since,
                      backfill=backfill, scope_text=scope_text, timeout=timeout, soft=soft,
                      fast=fast, extract=extract, settings=settings, env=env,
                      log_path=log_path)
    finally:
        lock.close()


def _refused(db_path, scope_text: str, since, backfill: bool, reason: str) -> dict:
    db = store.open_db(db_path)
    try:
        run_id = store.start_run(db, mode="backfill" if backfill else "incremental",
                                 scope=scope_text, since=since)
        store.finish_run(db, run_id, status="failed", reason=f"not started: {reason}")
        return store.run_summary(db, run_id)
    finally:
        db.close()


def _crawl(db_path, lock, *, base_url, pdf_dir, since, backfill, scope_text, timeout, soft,
           fast, extract, settings, env, log_path) -> dict:
    db = store.open_db(db_path)
    run_id = store.start_run(db, mode="backfill" if backfill else "incremental",
                             scope=scope_text, since=since)
    args = [sys.executable, "-m", "monitor.crawl_process", "--parent", str(os.getpid()),
            "--hard-limit", str(int(timeout + GRACE)), "--",
            "crawl", "--db", str(db_path), "--pdf-dir", str(pdf_dir),
            "--base-url", base_url, "--scope", scope_text, "--run-id", str(run_id), "--json"]
    if since:
        args += ["--since", since]
    if backfill:
        args.append("--backfill")
    if fast:
        args.append("--fast")
    if not extract:
        args.append("--no-extract")
    for name, value in (settings or {}).items():
        args += ["-s", f"{name}={value}"]
    child_env = {**os.environ, **(env or {}), store.LOCK_FD_ENV: str(lock.fileno())}
    if log_path:
        log_path = Path(log_path)
    else:
        log_path = store.crawl_log_path(db_path)
        _rotate(log_path)
    log = open(log_path, "ab")
    start = log.seek(0, os.SEEK_END)
    log.write(f"--- crawl run {run_id}, {store.now()}, parent pid {os.getpid()}\n".encode())
    log.flush()
    problem = None
    try:
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log, env=child_env,
                                 stdin=subprocess.DEVNULL, start_new_session=True,
                                 pass_fds=(lock.fileno(),))
        try:
            child.wait(timeout=soft)
        except subprocess.TimeoutExpired:
            problem = f"soft timeout: asked to stop after {soft:.0f} s"
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=max(1.0, timeout - soft))
            except subprocess.TimeoutExpired:
                problem = f"hard timeout: killed after {timeout:.0f} s"
                _kill_group(child)
                child.wait()
        except BaseException:                   # interrupted here: the crawl goes too
            _kill_group(child)
            child.wait()
            raise
        _kill_group(child)                      # extraction workers left behind, if any
    finally:
        log.close()
    last_line = _last_line(log_path, start)
    exit_reason = (f"crawl process exited with code {child.returncode}"
                   + (f": {last_line}" if last_line else ""))
    if child.returncode == -signal.SIGALRM:
        exit_reason = f"hard limit: the crawl stopped itself after {timeout + GRACE:.0f} s"
    row = settle_run(db, run_id, problem, exit_reason, log_path=log_path)
    db.close()
    return row


def _kill_group(child) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def settle_run(db, run_id: int, problem: str | None, exit_reason: str | None,
               log_path: str | Path | None = None) -> dict:
    """Record what the parent knows once the child is gone: a run the child never closed
    failed (``problem``, else why the child exited); a timeout fails even a run it closed.
    A failed run's reason names the log (``log_path``)."""
    row = store.run_summary(db, run_id)
    counts = {k: row[k] for k in ("pages", "providers", "new_reports", "errors", "requests")}
    see = f" (see {log_path})" if log_path else ""
    if row["status"] == "running":
        store.finish_run(db, run_id, status="failed",
                         reason=(problem or exit_reason or "crawl process ended early") + see)
    elif problem and row["status"] == "ok":
        store.finish_run(db, run_id, status="failed", reason=problem + see, **counts)
    elif problem:
        store.finish_run(db, run_id, status=row["status"],
                         reason=f"{problem}; {row['reason']}{see}", **counts)
    elif row["status"] != "ok" and see and see not in (row["reason"] or ""):
        store.finish_run(db, run_id, status=row["status"],
                         reason=f"{row['reason'] or 'failed'}{see}", **counts)
    return store.run_summary(db, run_id)


def finish_unfinished(db_path, run_id: int, exit_reason: str | None) -> dict:
    """``settle_run`` on its own connection (for runners other than ``crawl_in_subprocess``)."""
    db = store.open_db(db_path)
    try:
        return settle_run(db, run_id, None, exit_reason)
    finally:
        db.close()


# ---- in the child ------------------------------------------------------------------------------
def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL us when the parent dies; exit now if it already has."""
    if sys.platform.startswith("linux"):
        import ctypes
        PR_SET_PDEATHSIG = 1
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)


def _child_main(argv: list[str]) -> None:
    """``python -m monitor.crawl_process --parent PID --hard-limit S -- crawl ...``"""
    import runpy

    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    parent = int(options[options.index("--parent") + 1])
    hard = int(options[options.index("--hard-limit") + 1])
    _die_with_parent(parent)
    signal.alarm(max(1, hard))        # SIGALRM's default action ends the process
    print(f"crawl child pid {os.getpid()} (parent {parent}, hard limit {hard} s): "
          f"ofsted-watch {' '.join(command)}", file=sys.stderr, flush=True)
    sys.argv = ["ofsted-watch", *command]
    runpy.run_module("monitor", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _child_main(sys.argv[1:])
