"""The formats registry (export.FORMATS) is the one list of papers: a new format is its writer plus one row."""

from __future__ import annotations

from dashboard import cli
from dashboard.output import export, export_csv
from dashboard.words.periods import parse_period


def test_the_cli_choices_and_the_pages_buttons_come_from_the_formats_registry(monkeypatch):
    from apptest import run_page

    plain = export.Format("Plain text", "text/plain", "txt", "export_csv", "to_bytes", slow=False)
    monkeypatch.setitem(export.FORMATS, "txt", plain)
    sub = next(a for a in cli.parser()._actions if a.dest == "command").choices["export"]
    fmt = next(a for a in sub._actions if a.dest == "format")
    assert fmt.choices == ["xlsx", "csv", "pdf", "txt"]
    assert export.file_name(parse_period("2024-01"), "txt") == "scorecard-2024-01.txt"
    assert export.writer("txt") is export_csv.to_bytes

    at = run_page("overview", "2024-01")
    offered = [b.proto.label for b in at.get("download_button")]
    assert offered == ["Download Excel", "Download CSV", "Download Plain text"]
    assert [b.label for b in at.button if b.label.startswith("Prepare")] == ["Prepare PDF panel pack"]
