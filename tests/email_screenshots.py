"""Screenshots of the alert email for the docs, in headless system Chromium at a desktop mail
client's width (600 px) and a phone's (360 px):

    python tests/email_screenshots.py docs/screenshots

Writes email-600.png, email-360.png and email-digest-600.png.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import email_samples
from web_browser import chrome


def shoot(driver, html_path: Path, width: int, out: Path) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500})
    driver.get(html_path.as_uri())
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})
    out.write_bytes(driver.get_screenshot_as_png())
    print(out)


def main(out: str) -> None:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        alert = tmp / "alert.html"
        alert.write_text(email_samples.alert(tmp / "a.db").html)
        digest = tmp / "digest.html"
        digest.write_text(email_samples.digest(tmp / "d.db").html)
        driver = chrome()
        try:
            shoot(driver, alert, 600, folder / "email-600.png")
            shoot(driver, alert, 360, folder / "email-360.png")
            shoot(driver, digest, 600, folder / "email-digest-600.png")
        finally:
            driver.quit()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
