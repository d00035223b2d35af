"""Reading PDFs in a sandbox: each file is read by ``extract/`` in a worker process with a memory
limit and a wall-clock limit, so no file, however made, can take the crawl, the cycle or the
``extract`` command down with it.

    with ExtractPool() as pool:                  # 2 workers (both cores), 512 MB, 60 s each
        outcome = pool.submit("report.pdf", urn="SC123456").result()
    outcome.report      # the extraction (a dict) or None
    outcome.error       # None, or one line: why the file could not be read
    outcome.kind        # "ok", "bad" (the extractor's own verdict), "internal" (a bug in the
                        # extractor) or "limit" (the file broke a limit or killed its reader)

The policy:
- Anything that is not a regular file (a FIFO, a device, a socket, a directory) is refused before
  it is opened: reading a FIFO would wait forever.
- A worker is a fresh ``python -m monitor.sandbox_extract`` with ``RLIMIT_AS`` set before the
  extractor is imported, so the limit covers everything it allocates, Python or PDFium. A file
  that needs more gets ``exceeds 512 MB while reading page 2``; one that reads for longer than the
  time limit is killed and gets ``exceeds the 60 s time limit while reading page 3``. The page is
  the one the extractor had started on (the worker reports each page before reading it).
- A worker that dies (PDFium aborts when an allocation fails) is replaced; the next file gets a
  fresh one. Workers are also replaced after ``TASKS_PER_WORKER`` files, so memory stays flat.
- Workers die with their parent: each polls its parent's pid and exits when it changes, and an
  idle worker exits when its request pipe closes.

Settings (environment, or ``-s NAME=VALUE`` on a crawl): ``OFSTED_WATCH_EXTRACT_MEMORY_MB``,
``OFSTED_WATCH_EXTRACT_TIMEOUT`` (seconds), ``OFSTED_WATCH_EXTRACT_WORKERS``.
"""
from __future__ import annotations

import json
import os
import select
import signal
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import SimpleQueue

__all__ = ["Outcome", "ExtractPool", "shared_pool", "refuse_special", "MEMORY_MB", "TIME_LIMIT", "WORKERS"]


def _env(name: str, default, cast):
    value = os.environ.get(f"OFSTED_WATCH_{name}")
    try:
        return cast(value) if value not in (None, "") else default
    except ValueError:
        return default


#: Address-space limit of one worker, in MiB.
MEMORY_MB = _env("EXTRACT_MEMORY_MB", 512, int)
#: Wall-clock limit for one file, in seconds.
TIME_LIMIT = _env("EXTRACT_TIMEOUT", 60.0, float)
#: Files read at once (one worker process each): both cores of the machine this runs on.
WORKERS = _env("EXTRACT_WORKERS", min(2, os.cpu_count() or 1), int)
#: A worker is replaced after this many files, so a slow leak cannot grow without bound (a new
#: worker costs an interpreter start and the extractor's imports, about a second).
TASKS_PER_WORKER = 1000
#: How long a new worker may take to import the extractor before it is given up.
STARTUP_LIMIT = 60.0

_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}


@dataclass
class Outcome:
    report: dict | None
    error: str | None
    kind: str = "ok"           # ok | bad | internal | limit

    @property
    def pair(self) -> tuple[dict | None, str | None]:
        return self.report, self.error


def refuse_special(path: str | Path) -> str | None:
    """Why ``path`` must not be opened (not a regular file), or None. A missing file is left to
    the extractor, which says so in its own words."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot read file ({exc.strerror})"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a PDF"
    return f"not a regular file ({_KINDS.get(stat.S_IFMT(mode), 'a special file')}); not read"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _where(page: int) -> str:
    return f"while reading page {page}" if page else "while opening the file"


class _Worker:
    """One sandboxed reader process and the pipes to it."""

    def __init__(self, memory_mb: int, stderr=None):
        self.memory_mb = memory_mb
        self.tasks = 0
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.sandbox_extract", "--memory-mb", str(memory_mb),
             "--parent", str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
            start_new_session=True)          # a terminal's ^C goes to the parent, which decides
        self._buffer = b""
        self.ready = False

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None and self.proc.poll() is None

    def _next_line(self, deadline: float) -> bytes | None:
        """The worker's next line; b"" when it has ended, None when the deadline passed."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return b""
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def read(self, path: str, urn: str | None, time_limit: float) -> Outcome:
        self.tasks += 1
        if not self.ready:                      # the time limit starts once the reader is up
            line = self._next_line(time.monotonic() + STARTUP_LIMIT)
            if not line:
                if line is None:
                    self.kill()
                return self._died(0) if line == b"" else Outcome(
                    None, f"the reader did not start within {STARTUP_LIMIT:g} s", "internal")
            message = json.loads(line)
            if "ready" not in message:
                return Outcome(None, message.get("error"), message.get("kind", "limit"))
            self.ready = True
        request = json.dumps({"path": str(Path(path).absolute()), "urn": urn}) + "\n"
        try:
            self.proc.stdin.write(request.encode())
            self.proc.stdin.flush()
        except OSError:
            return self._died(0)
        deadline = time.monotonic() + time_limit
        page = 0
        while True:
            line = self._next_line(deadline)
            if line is None:
                self.kill()
                return Outcome(None, f"exceeds the {time_limit:g} s time limit {_where(page)}",
                               "limit")
            if line == b"":
                return self._died(page)
            message = json.loads(line)
            if "page" in message:
                page = message["page"]
                continue
            return Outcome(message.get("report"), message.get("error"),
                           message.get("kind", "ok"))

    def _died(self, page: int) -> Outcome:
        """The worker ended mid-file: PDFium aborts when an allocation fails at the limit."""
        peak_kib, code = self._reap()
        near_limit = peak_kib * 1024 >= 0.6 * self.memory_mb * 1024 * 1024
        if code < 0 and (near_limit or -code == signal.SIGABRT):
            how = f"the reader was stopped by {_signal_name(-code)}"
            return Outcome(None, f"exceeds {self.memory_mb} MB {_where(page)} ({how})", "limit")
        how = (f"killed by {_signal_name(-code)}" if code < 0 else f"exited with code {code}")
        return Outcome(None, f"the reader crashed {_where(page)} ({how})", "limit")

    def _reap(self) -> tuple[int, int]:
        """(peak RSS in KiB, exit code as Popen gives it) of the ended worker."""
        try:
            _, status, usage = os.wait4(self.proc.pid, 0)
            self.proc.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_maxrss, self.proc.returncode
        except ChildProcessError:
            return 0, self.proc.wait()

    def kill(self) -> None:
        if self.proc.returncode is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
            self.proc.wait()
        self._close_pipes()

    def close(self) -> None:
        """Ask an idle worker to leave (its request pipe closes), then make sure it has."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass


class ExtractPool:
    """``workers`` sandboxed readers; ``submit(path, urn)`` gives a Future of an ``Outcome``.
    Thread-safe; at most ``workers`` files are read at once, the rest wait their turn."""

    def __init__(self, workers: int | None = None, *, memory_mb: int | None = None,
                 time_limit: float | None = None, stderr=None):
        self.workers = max(1, workers or WORKERS)
        self.memory_mb = memory_mb or MEMORY_MB
        self.time_limit = time_limit or TIME_LIMIT
        self.stderr = stderr
        self._idle: SimpleQueue = SimpleQueue()
        for _ in range(self.workers):
            self._idle.put(None)            # started on first use
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="extract")
        self._closed = False

    def submit(self, path: str | Path, urn: str | None = None) -> "Future[Outcome]":
        return self._executor.submit(self._read, str(path), urn)

    def read(self, path: str | Path, urn: str | None = None) -> Outcome:
        return self.submit(path, urn).result()

    def _read(self, path: str, urn: str | None) -> Outcome:
        refused = refuse_special(path)
        if refused:
            return Outcome(None, refused, "bad")
        worker = self._idle.get()
        try:
            if worker is None or not worker.alive:
                worker = _Worker(self.memory_mb, self.stderr)
            outcome = worker.read(path, urn, self.time_limit)
            if not worker.alive or worker.tasks >= TASKS_PER_WORKER:
                worker.close()
                worker = None
            return outcome
        except BaseException:
            if worker is not None:
                worker.kill()
            worker = None
            raise
        finally:
            self._idle.put(worker)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._executor.shutdown(wait=True)
        for _ in range(self.workers):
            worker = self._idle.get()
            if worker is not None:
                worker.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_SHARED: list[ExtractPool] = []
_SHARED_LOCK = threading.Lock()


def shared_pool() -> ExtractPool:
    """One pool for the whole process (the ``extract`` command, ``extraction.extract_pdf``),
    started on first use and closed at exit; its workers outlive a single call."""
    import atexit
    with _SHARED_LOCK:
        if not _SHARED:
            _SHARED.append(ExtractPool())
            atexit.register(_SHARED[0].close)
        return _SHARED[0]


# ---- the worker process ------------------------------------------------------------------------
def _watch_parent(parent: int) -> None:
    """Exit as soon as the parent is gone (we are re-parented), even in the middle of a file."""
    while True:
        if os.getppid() != parent:
            os._exit(3)
        time.sleep(0.5)


def _memory_error(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, MemoryError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _worker_main(argv: list[str]) -> int:
    import argparse
    import resource

    parser = argparse.ArgumentParser(prog="monitor.sandbox_extract")
    parser.add_argument("--memory-mb", type=int, default=MEMORY_MB)
    parser.add_argument("--parent", type=int, default=os.getppid())
    args = parser.parse_args(argv)
    if os.getppid() != args.parent:
        return 3
    threading.Thread(target=_watch_parent, args=(args.parent,), daemon=True).start()
    limit = args.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    # replies go to a private copy of stdout; anything else printed goes to stderr
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    import logging
    import warnings
    logging.basicConfig(level=logging.ERROR)
    warnings.simplefilter("ignore")
    try:
        from extract import BadReport, extract_file
        from extract import pdf as pdf_module
    except MemoryError:
        print(json.dumps({"error": f"exceeds {args.memory_mb} MB while starting the reader",
                          "kind": "limit"}), file=replies)
        return 1

    check = pdf_module.Document._check

    def announce(doc, number):
        _PAGE[0] = number
        if number not in doc.pages_read:
            print(json.dumps({"page": number}), file=replies)
        return check(doc, number)

    pdf_module.Document._check = announce
    print(json.dumps({"ready": True}), file=replies)
    for line in sys.stdin:
        request = json.loads(line)
        path, urn = request["path"], request.get("urn")
        _PAGE[0] = 0
        refused = refuse_special(path)           # checked again here: the file may have changed
        if refused:
            reply = {"error": refused, "kind": "bad"}
        else:
            try:
                reply = {"report": extract_file(path, urn=urn).to_dict(), "kind": "ok"}
            except BadReport as exc:
                if _memory_error(exc):
                    reply = {"kind": "limit", "memory": True, "error": str(exc)}
                else:
                    reply = {"error": str(exc) or "unreadable report", "kind": "bad"}
            except MemoryError:
                reply = {"kind": "limit", "memory": True}
            except RecursionError:
                reply = {"error": "too deeply nested to read (recursion limit)", "kind": "limit"}
            except Exception as exc:  # a bug in one family: one line, the next file still read
                reply = {"error": f"{type(exc).__name__}: {exc}", "kind": "internal"}
        if reply.pop("memory", False):
            reply["error"] = f"exceeds {args.memory_mb} MB {_where(_last_page())}"
        try:
            print(json.dumps(reply), file=replies)
        except MemoryError:
            print(json.dumps({"error": f"exceeds {args.memory_mb} MB while recording the "
                                       f"extraction", "kind": "limit"}), file=replies)
        if reply["kind"] == "limit":
            return 0                          # a fresh worker for the next file
    return 0


_PAGE = [0]


def _last_page() -> int:
    return _PAGE[0]


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))
