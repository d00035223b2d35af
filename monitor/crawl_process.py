"""Run one crawl in a fresh subprocess (Twisted's reactor cannot be restarted in a process).

    from monitor.crawl_process import crawl_in_subprocess
    summary = crawl_in_subprocess("ofsted-watch.db", base_url=..., pdf_dir=..., timeout=3600)
    summary["status"]   # "ok" or "failed"; also pages, providers, new_reports, errors,
                        # requests, run_id, reason, mode, since, scope, started_at, finished_at

The crawl_runs row is created here first, so the outcome is recorded whatever happens to the
child: at the soft timeout it is asked to stop (SIGTERM: Scrapy closes gracefully and records
what it did); at the hard timeout it is killed and the row is marked failed here.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from crawler.scope import parse_scope

from . import store

__all__ = ["crawl_in_subprocess"]


def _last_line(log) -> str:
    """The child's last non-empty line of output (what a failed start said)."""
    try:
        log.flush()
        log.seek(max(0, log.seek(0, os.SEEK_END) - 4096))
        lines = [line.strip() for line in log.read().decode("utf-8", "replace").splitlines()]
    except (OSError, ValueError):
        return ""
    lines = [line for line in lines if line]
    return lines[-1][:300] if lines else ""


def crawl_in_subprocess(db_path: str | Path, *, base_url: str, pdf_dir: str | Path,
                        since: str | None = None, backfill: bool = False,
                        scope: str | list | None = None, timeout: float = 3 * 3600,
                        soft_timeout: float | None = None, fast: bool = False,
                        extract: bool = True, settings: dict | None = None,
                        env: dict | None = None, log_path: str | Path | None = None) -> dict:
    """Crawl in a child process; return the run summary (never raises for a failed crawl).

    ``timeout`` is the hard limit; ``soft_timeout`` (default 90% of it) is when the child is
    asked to finish. ``settings`` are Scrapy overrides; ``log_path`` keeps the child's log."""
    scope_text, _ = parse_scope(scope)          # BadScope (ValueError) for a wrong scope
    soft = soft_timeout if soft_timeout is not None else timeout * 0.9
    db = store.open_db(db_path)
    run_id = store.start_run(db, mode="backfill" if backfill else "incremental",
                             scope=scope_text, since=since)
    args = [sys.executable, "-m", "monitor", "crawl", "--db", str(db_path), "--pdf-dir", str(pdf_dir),
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
    child_env = {**os.environ, **(env or {})}
    log = open(log_path, "ab") if log_path else tempfile.TemporaryFile()
    problem = None
    try:
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log, env=child_env,
                                 stdin=subprocess.DEVNULL)
        try:
            child.wait(timeout=soft)
        except subprocess.TimeoutExpired:
            problem = f"soft timeout: asked to stop after {soft:.0f} s"
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=max(1.0, timeout - soft))
            except subprocess.TimeoutExpired:
                problem = f"hard timeout: killed after {timeout:.0f} s"
                child.kill()
                child.wait()
        last_line = _last_line(log)
    finally:
        log.close()
    exit_reason = (f"crawl process exited with code {child.returncode}"
                   + (f": {last_line}" if last_line else ""))
    row = settle_run(db, run_id, problem, exit_reason)
    db.close()
    return row


def settle_run(db, run_id: int, problem: str | None, exit_reason: str | None) -> dict:
    """Record what the parent knows once the child is gone: a run the child never closed
    failed (``problem``, else why the child exited); a timeout fails even a run it closed."""
    row = store.run_summary(db, run_id)
    counts = {k: row[k] for k in ("pages", "providers", "new_reports", "errors", "requests")}
    if row["status"] == "running":
        store.finish_run(db, run_id, status="failed",
                         reason=problem or exit_reason or "crawl process ended early")
    elif problem and row["status"] == "ok":
        store.finish_run(db, run_id, status="failed", reason=problem, **counts)
    elif problem:
        store.finish_run(db, run_id, status=row["status"], reason=f"{problem}; {row['reason']}",
                         **counts)
    return store.run_summary(db, run_id)


def finish_unfinished(db_path, run_id: int, exit_reason: str | None) -> dict:
    """``settle_run`` on its own connection (for runners other than ``crawl_in_subprocess``)."""
    db = store.open_db(db_path)
    try:
        return settle_run(db, run_id, None, exit_reason)
    finally:
        db.close()
