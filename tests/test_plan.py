"""Improvement plan: extraction is reproducible, Appendix B refs resolve or say why not, overdue is judged
against the month, plan rows are validated like any load, and the page and detail chart show the links."""

import contextlib
import csv
import hashlib
import importlib.util
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from apptest import run_page, table_text

from dashboard import cli, store
from dashboard.engine import plan as plan_engine
from dashboard.input import ingest, reading
from dashboard.words.formatting import brag_label
from dashboard.words.periods import parse_period
from dashboard.writes import journal, plan_updates

ROOT = Path(__file__).resolve().parent.parent


def extractor():
    spec = importlib.util.spec_from_file_location("extract_plan", ROOT / "scripts" / "extract_plan.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_plan_csvs_are_what_the_extractor_makes():
    for fname, rows in extractor().tables().items():
        with open(ROOT / "sample_data" / fname, newline="", encoding="utf-8") as fh:
            committed = list(csv.DictReader(fh))
        assert committed == [{k: str(v) for k, v in r.items()} for r in rows], fname


def test_plan_shape_and_provenance(built_db):
    r = store.ReadOnlyStore(built_db)
    actions = r.plan_as_of("plan_actions", "latest", "tameside")
    assert len(actions) == 32 and set(actions["vintage"]) == {"pack-2024-03"}
    assert len(r.plan_as_of("plan_actions", "pack-2023-11", "tameside")) == 31
    assert r.plan_as_of("plan_actions", "pack-2023-01", "tameside").empty  # no plan before Nov-23
    measures = r.plan_as_of("plan_measures", "latest", "tameside")
    assert measures["focus_area"].nunique() == 13 and len(r.table("plan_priorities")) == 4
    assert (measures["status"] == "to be developed").sum() == 23  # counted by hand in Appendix B
    lines = {
        f: (ROOT / "sample_data" / "sources" / f).read_text(encoding="utf-8").split("\n")
        for f in set(actions["source_file"])
    }
    for a in actions.itertuples():  # every action's opening words are on its cited line
        assert a.action[:25] in lines[a.source_file][a.source_line - 1].replace("  ", " "), a.action_ref


def test_every_appendix_b_ref_resolves_or_says_why(built_db):
    r = store.ReadOnlyStore(built_db)
    measures = r.plan_as_of("plan_measures", "latest", "tameside")
    resolved = plan_engine.resolve_measures(measures, r.table("indicators"), set(r.printed_refs("tameside")["ref"]))
    named = resolved[resolved["ref"] != ""]
    assert {"CIN10a", "SG8", "SG9", "CF22", "CF23"} <= set(
        named.loc[named["resolved"] & (named["focus_area"] == "FA2"), "ref"]
    )
    unresolved = named[~named["resolved"]]
    assert (unresolved["reason"] != "").all()
    assert "WF7" in set(unresolved["ref"])  # the WF6-WF14 range names a ref no pack printed
    assert set(named["ref"]) - set(unresolved["ref"]) == set(named.loc[named["resolved"], "ref"])
    assert (resolved.loc[resolved["ref"] == "", "reason"] != "").all()


def test_overdue_against_the_month(built_db):
    a = store.ReadOnlyStore(built_db).plan_as_of("plan_actions", "latest", "tameside")
    status = dict(zip(a["action_ref"], plan_engine.action_status(a, parse_period("2024-06"))))
    assert status["2.1"] == "Overdue" and status["3.2"] == "In progress"  # due Nov-23; due Dec-25
    early = dict(zip(a["action_ref"], plan_engine.action_status(a, parse_period("2023-10"))))
    assert early["2.1"] == "In progress" and early["1.4"] == "Not started"  # 1.4 starts Feb-24
    done = a.assign(action_brag=["Blue" if x == "2.1" else "" for x in a["action_ref"]])
    assert dict(zip(done["action_ref"], plan_engine.action_status(done, parse_period("2024-06"))))["2.1"] == "Completed"
    assert brag_label("Blue") == "◆ Blue (completed)" and brag_label("") == "– Not printed"


def test_bad_plan_rows_are_rejected_with_file_row_and_column(tmp_path):
    sample = tmp_path / "sample"
    shutil.copytree(ROOT / "sample_data", sample)
    df = pd.read_csv(sample / "plan_actions.csv", dtype=str, keep_default_na=False)
    df.loc[3, "action_brag"] = "Purple"
    df.loc[5, "end_month"] = "2020-01"
    df.to_csv(sample / "plan_actions.csv", index=False)
    with pytest.raises(ingest.SampleDataError) as exc:
        ingest.build_from_sample(tmp_path / "x.duckdb", sample)
    text = str(exc.value)
    assert "plan_actions.csv: row 5, column 'action_brag'" in text and "Purple" in text
    assert "plan_actions.csv: row 7" in text and "ends" in text
    assert not (tmp_path / "x.duckdb").exists()


def test_plan_update_loads_brag_and_rejects_bad_rows(fresh_db, tmp_path):
    before = hashlib.sha256(fresh_db.read_bytes()).hexdigest()
    bad = tmp_path / "bad.csv"
    bad.write_text("action_ref,action_brag\n9.9,Blue\n2.1,Purple\n")
    with pytest.raises(reading.LoadRejected) as exc:
        plan_updates.load(fresh_db, bad)
    assert "bad.csv, row 2, column 'action_ref'" in str(exc.value) and "row 3, column 'action_brag'" in str(exc.value)
    assert hashlib.sha256(fresh_db.read_bytes()).hexdigest() == before
    good = tmp_path / "brag.csv"
    good.write_text("action_ref,action_brag,impact_brag,commentary\n2.1,blue,Green,MASH meetings in place\n")
    plan_updates.load(fresh_db, good)
    r = store.ReadOnlyStore(fresh_db)
    a = r.plan_as_of("plan_actions", "latest", "tameside").set_index("action_ref")
    assert (a.at["2.1", "action_brag"], a.at["2.1", "impact_brag"]) == ("Blue", "Green") and len(a) == 32
    assert a.at["1.1", "commentary"].startswith("The consistency")  # untouched actions carried forward
    assert len(r.plan_as_of("plan_actions", "pack-2024-03", "tameside")) == 32  # the pack's version is kept


def _written(db: Path) -> tuple[str, list[str]]:
    """The database's checksum and the journal's entries: what a write would change."""
    folder = journal.journal_dir(db)
    return hashlib.sha256(db.read_bytes()).hexdigest(), sorted(
        p.name for p in folder.iterdir()
    ) if folder.exists() else []


def test_plan_update_preview_says_what_changes_and_writes_nothing(fresh_db, tmp_path):
    before = _written(fresh_db)
    f = tmp_path / "brag.csv"
    f.write_text("action_ref,action_brag,impact_brag,commentary\n2.1,blue,Green,MASH meetings in place\n1.2,,,\n")
    update = plan_updates.parse(f, store.ReadOnlyStore(fresh_db), "tameside")
    assert update.ok and update.problems == [] and [r["action_ref"] for r in update.rows] == ["2.1", "1.2"]
    assert update.changes.to_dict("records") == [
        {
            "Action": "2.1",
            "Action BRAG now": "– Not printed",
            "Action BRAG will be": "◆ Blue (completed)",
            "Impact BRAG now": "– Not printed",
            "Impact BRAG will be": "✔ Green (on track)",
            "Commentary": "replaced",
            "Effect": "changes the plan",
        },
        {
            "Action": "1.2",
            "Action BRAG now": "– Not printed",
            "Action BRAG will be": "– Not printed",
            "Impact BRAG now": "– Not printed",
            "Impact BRAG will be": "– Not printed",
            "Commentary": "removed",
            "Effect": "changes the plan",
        },
    ]
    assert _written(fresh_db) == before  # a preview is a read
    same = tmp_path / "same.csv"
    same.write_text("action_ref,action_brag\n1.1,\n")
    unchanged = plan_updates.parse(same, store.ReadOnlyStore(fresh_db), "tameside").changes
    assert unchanged[["Action", "Commentary", "Effect"]].values.tolist() == [["1.1", "unchanged", "no change"]]


def test_a_refused_plan_update_shows_its_problems_and_writes_nothing(fresh_db, tmp_path):
    before = _written(fresh_db)
    bad = tmp_path / "bad.csv"
    bad.write_text("action_ref,action_brag\n2.1,Blue\n2.1,Green\n1.1,Purple\n")
    update = plan_updates.parse(bad, store.ReadOnlyStore(fresh_db), "tameside")
    assert not update.ok and update.changes.empty
    assert [(p.row, p.column) for p in update.problems] == [(3, "action_ref"), (4, "action_brag")]
    assert "given twice" in update.problems[0].message and "Purple" in update.problems[1].message
    with pytest.raises(reading.LoadRejected):
        plan_updates.publish(fresh_db, update, user="pub@example.test")
    assert _written(fresh_db) == before
    code, out, err = cli_run(fresh_db, "load-plan", str(bad), "--preview")
    assert code == 1 and "bad.csv, row 4, column 'action_brag'" in err and out == ""
    assert _written(fresh_db) == before


def test_load_plan_preview_prints_the_changes_and_writes_nothing(fresh_db, tmp_path):
    before = _written(fresh_db)
    f = tmp_path / "brag.csv"
    f.write_text("action_ref,impact_brag\n3.2,Amber\n")
    code, out, err = cli_run(fresh_db, "load-plan", str(f), "--preview")
    assert code == 0, err
    assert out.splitlines() == [
        "Action,Action BRAG now,Action BRAG will be,Impact BRAG now,Impact BRAG will be,Commentary,Effect",
        "3.2,– Not printed,– Not printed,– Not printed,▲ Amber (not fully on track),unchanged,changes the plan",
    ]
    assert "nothing was written" in err and _written(fresh_db) == before
    code, out, err = cli_run(fresh_db, "load-plan", str(f))  # without --preview: the same lines, then written
    assert code == 0 and out.splitlines()[1].startswith("3.2,") and _written(fresh_db) != before


def cli_run(db: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--db", str(db), *args])
    store.ReadOnlyStore.close_all()
    return code, out.getvalue(), err.getvalue()


run = run_page


def test_plan_page_lists_priorities_overdue_and_linked_indicators():
    at = run("improvement_plan", "2024-01")
    assert [h.value for h in at.header] == [
        "1: Quality of Practice",
        "2: Working in Partnership",
        "3: Commissioning and Sufficiency",
        "4: Leadership and Workforce",
    ]
    tables = table_text(at)
    assert "⚠ Overdue" in tables and "– Not printed" in tables
    # whole actions, never cut short (found on a walk: the grid showed about 40 characters of each)
    assert "Ensure effective application of thresholds and intervention across t" in tables
    assert not [d for d in at.dataframe if "Action" in d.value.columns]
    assert "CIN20" not in tables, "only the open tab is drawn"
    at.session_state["plan_view"] = "By focus area"
    at.run()
    tables = table_text(at)
    assert "CIN20" in tables and "✖ Red" in tables  # FA5's linked indicator with its live rating
    at.session_state["plan_view"] = "Appendix B: measures"
    at.run()
    tables = table_text(at)
    assert "WF7" in tables and "no pack's scorecard has a WF7" in tables
    overdue = next(m for m in at.metric if m.label.startswith("Overdue"))
    assert int(overdue.value) > 0
    early = run("improvement_plan", "2023-01", vintage="pack-2023-01")  # the plan first appears in Nov-23
    assert any("No improvement plan had been published" in i.value for i in early.info) and not early.metric


def test_detail_chart_marks_linked_actions():
    at = run("indicator", "2024-01", ref="CIN20")
    spec = at.get("vega_lite_chart")[0].proto.spec
    assert "Improvement plan" in spec and "Action starts" in spec, spec[:3000]
    text = "\n".join(m.value for m in at.markdown)
    assert "Improvement plan actions linked to this indicator" in text
    # CIN20's limits are recalculated from Apr-23 (the 28-day visit definition): Sep-23 is then two of three
    # close to the upper limit, the first signal after action 1.3 began in Aug-23.
    assert "Action 1.3 started Aug-23: a special-cause signal (improvement) followed in Sep-23" in text
