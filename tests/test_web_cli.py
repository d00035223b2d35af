"""``ofsted-watch web`` in a real subprocess: it serves the site on loopback and says where;
bad input is one line and a non-zero exit."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
import web_data
from servers import free_port

CLI = [sys.executable, "-c", "from monitor.cli import main; main()"]


def test_web_serves_the_site_and_prints_its_address(tmp_path):
    db_path = tmp_path / "ofsted-watch.db"
    web_data.fill(db_path)
    port = free_port()
    proc = subprocess.Popen(CLI + ["web", "--db", str(db_path), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OFSTED_WATCH_PUBLIC_URL": "https://w.example.org",
                                 "OFSTED_WATCH_SECRET": "web-cli-test-secret-0123456789"})
    try:
        line = proc.stdout.readline()
        assert "https://w.example.org/" in line
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/provider/SC100001.atom",
                                            timeout=5) as response:
                    body = response.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert "https://w.example.org/provider/SC100001" in body   # the public URL, from env
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/ofsted.json",
                                    timeout=10) as response:
            assert response.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err
    assert proc.returncode == 0


def invoke(*args):
    """In-process, as the shell would run it (one line on error, exit code)."""
    from click.testing import CliRunner

    from monitor.cli import main
    return CliRunner().invoke(main, list(args))


def one_line_of(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code != 0
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0] and result.exc_info[0] is SystemExit
    return lines[0]


def test_web_bad_input_is_one_clear_line(tmp_path):
    line = one_line_of(invoke("web", "--db", str(tmp_path / "x.db"), "--public-url", "ftp://x"))
    assert "--public-url" in line and "ftp://x" in line
    (tmp_path / "file").write_text("not a folder")
    line = one_line_of(invoke("web", "--db", str(tmp_path / "file" / "x.db"), "--port", "0"))
    assert "file" in line
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = one_line_of(invoke("web", "--db", str(tmp_path / "x.db"), "--port", str(port)))
    assert f"127.0.0.1:{port}" in line
    line = one_line_of(invoke("datasette", "--db", str(tmp_path / "none.db"), "--port", "0"))
    assert "none.db" in line


@pytest.mark.parametrize("command", ["web", "datasette"])
def test_help(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0 and "--db" in result.output and "--port" in result.output


def test_the_site_runs_in_a_background_thread_beside_other_work(tmp_path):
    from monitor.web.server import BackgroundSite, SiteError
    db_path = tmp_path / "ofsted-watch.db"
    web_data.fill(db_path)
    site = BackgroundSite(db_path, port=0, datasette=False).start()
    try:
        with urllib.request.urlopen(site.url + "/provider/SC100001", timeout=10) as response:
            assert response.status == 200 and b"SC100001" in response.read()
        with pytest.raises(SiteError, match=f"127.0.0.1:{site.port}"):
            BackgroundSite(db_path, port=site.port).start()
    finally:
        site.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(site.url + "/", timeout=2)


def test_serve_web_runs_the_site_beside_the_scheduler(tmp_path):
    db_path = tmp_path / "ofsted-watch.db"
    web_data.fill(db_path)
    port = free_port()
    proc = subprocess.Popen(
        CLI + ["serve", "--db", str(db_path), "--web", "--web-port", str(port),
               "--schedule", "mon-fri 07:00"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "OFSTED_WATCH_SECRET": "web-cli-test-secret-0123456789"})
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line, line + proc.stderr.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/provider/SC100001",
                                    timeout=10) as response:
            assert response.status == 200 and b"SC100001" in response.read()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_serve_web_without_the_secret_is_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "OFSTED_WATCH_SECRET"}
    proc = subprocess.run(CLI + ["serve", "--db", str(tmp_path / "x.db"), "--web",
                                 "--web-port", "0"], capture_output=True, text=True,
                          timeout=60, env=env)
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert proc.returncode != 0 and len(lines) == 1 and "OFSTED_WATCH_SECRET" in lines[0]
    assert "Traceback" not in proc.stderr
