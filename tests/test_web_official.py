"""The provider page shows the history Ofsted's official statistics give (issue 12), imported
with the real `ofsted-watch mi import` from the small real extracts in tests/fixtures/mi."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from starlette.testclient import TestClient

from monitor.cli import main
from monitor.web.app import create_app

MI = Path(__file__).parent / "fixtures" / "mi" / "in-year"


def test_a_provider_page_shows_its_official_inspections(tmp_path):
    db = str(tmp_path / "watch.db")
    result = CliRunner().invoke(main, ["mi", "import", *map(str, sorted(MI.glob("*.csv"))),
                                       "--db", db])
    assert result.exit_code == 0, result.output
    with TestClient(create_app(db, datasette=False, page_cache=False)) as client:
        page = client.get("/provider/SC033362")
    assert page.status_code == 200
    html = page.text
    assert "From Ofsted&#39;s official statistics" in html or \
        "From Ofsted's official statistics" in html
    section = html[html.index('id="official-heading"'):]
    assert section.count('<li class="inspection">') == 21          # every imported inspection
    assert "Open Government Licence" in section
