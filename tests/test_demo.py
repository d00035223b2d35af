"""`ofsted-watch demo` in a real subprocess: it must show the downgrade email it delivered."""
from __future__ import annotations

import email
import email.policy
import subprocess
import sys

DEMO = [sys.executable, "-c", "from monitor.cli import main; main()", "demo"]


def test_demo_shows_the_delivered_downgrade_email(tmp_path):
    keep = tmp_path / "kept"
    proc = subprocess.run(DEMO + ["--keep", str(keep)], capture_output=True, text=True,
                          timeout=240)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert "Traceback" not in out + proc.stderr
    # the story, told in order
    assert out.index("1. A sandbox copy") < out.index("2. First run") \
        < out.index("3. A family subscribes") < out.index("4. Ofsted publishes") \
        < out.index("5. Second run") < out.index("6. The test mailbox received 1 email")
    # the email as shown: to the family, about home 2650001, outstanding -> inadequate
    shown = out[out.index("6. The test mailbox"):]
    assert "To:      family@example.org" in shown
    assert "Subject:" in shown and "2650001" in shown
    assert "inadequate" in shown.lower() and "outstanding" in shown.lower()
    # --keep kept the database, the PDFs and the very email that was shown
    # the public journey: signed up on the site, confirmed from the mailbox, left in one click
    assert "Your alerts are on" in out and out.index("6. The test mailbox") \
        < out.index("7. Leaving takes one click") < out.index("You have unsubscribed")
    emls = sorted((keep / "mailbox").glob("*.eml"))
    assert len(emls) == 2          # the confirmation, then the alert
    message = email.message_from_bytes(emls[-1].read_bytes(), policy=email.policy.default)
    assert message["Subject"] in shown
    assert (keep / "ofsted-watch.db").exists()
    assert len([p for p in (keep / "pdfs").rglob("*") if p.is_file()]) == 7


def test_demo_refuses_a_non_empty_keep_dir(tmp_path):
    (tmp_path / "something.txt").write_text("mine")
    proc = subprocess.run(DEMO + ["--keep", str(tmp_path)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and str(tmp_path) in lines[0] and "not empty" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["something.txt"]
