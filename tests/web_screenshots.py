"""Screenshots of the web site for the docs, over the sandbox history the real service records.

    python tests/web_screenshots.py docs/screenshots

Headless system Chromium (Selenium), a real uvicorn server on 127.0.0.1. Writes home.png,
provider.png, local-authority.png (1280 px wide, the whole page) and provider-360.png (a phone).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from web_browser import LiveServer, chrome, sandbox_history  # noqa: E402

PAGES = {"home.png": ("/", 1280), "provider.png": ("/provider/2650001", 1280),
         "local-authority.png": ("/local-authority/staffordshire", 1280),
         "provider-360.png": ("/provider/2650001", 360)}


def main(out: str) -> None:
    from monitor.web.app import create_app
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db_path = sandbox_history(Path(tmp), story_as_news=True)
        with LiveServer(create_app(db_path, datasette=False)) as server:
            driver = chrome()
            try:
                for name, (path, width) in PAGES.items():
                    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                        "width": width, "height": 900, "deviceScaleFactor": 1,
                        "mobile": width < 500})
                    driver.get(server.url + path)
                    height = driver.execute_script(
                        "return document.documentElement.scrollHeight")
                    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                        "width": width, "height": height, "deviceScaleFactor": 1,
                        "mobile": width < 500})
                    (folder / name).write_bytes(driver.get_screenshot_as_png())
                    print(folder / name)
            finally:
                driver.quit()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
