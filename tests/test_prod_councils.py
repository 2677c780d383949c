"""Several councils in one deployment, in the browser against the app as deployed (sign-in, roles file): the
council picker in the URL, a Bury user who sees no Tameside commentary, a publisher of one council refused a
load for another (audited, nothing written), and the "GM this month" comparator that leaves out the council
that has not shared, set and unset by a council's admin. The other councils are SYNTHETIC (councils.py)."""

import datetime as dt
import re

import pandas as pd
import pytest
from prod import look, sign_in

from dashboard import store
from dashboard.writes import audit, commentary, councils, journal, loader

SECOND, THIRD = councils.SYNTHETIC_ID, "synthetic-vale"
SECOND_WORDS = "SYNTHETIC commentary for Synthetic Borough, invented for the browser test."
TAMESIDE_WORDS = "further month in month reduction"  # Tameside's own January 2023 commentary (the sample's)
ROLES = f"""
[[grant]]
email = "viewer@example.test"
role = "viewer"
councils = ["{SECOND}"]

[[grant]]
group = "performance-team"
role = "publisher"
councils = ["tameside"]

[[grant]]
email = "admin@example.test"
role = "admin"
"""


@pytest.fixture(scope="module")
def app(prod_app, tmp_path_factory):
    """The deployed app with two SYNTHETIC GM councils added through the journal (both share their monthly
    figures; Tameside does not), and a roles file with a grant per council. The running server follows both."""
    tmp = tmp_path_factory.mktemp("councils-files")
    for authority, name in ((SECOND, councils.SYNTHETIC_NAME), (THIRD, "Synthetic Vale (SYNTHETIC)")):
        councils.add_council(prod_app.db, authority, name, 40000, region="gm", note=councils.SYNTHETIC_NOTE)
    reader = store.ReadOnlyStore(prod_app.db)
    both = [councils.synthetic_figures(reader, SECOND, 1), councils.synthetic_figures(reader, THIRD, 2)]
    pd.concat(both).to_csv(tmp / "synthetic.csv", index=False)
    loader.load_file(prod_app.db, tmp / "synthetic.csv", label=f"SYNTHETIC figures for {SECOND} and {THIRD}")
    for authority in (SECOND, THIRD):
        councils.set_sharing(prod_app.db, authority, True)
    commentary.publish(prod_app.db, "cin_cp", dt.date(2023, 1, 1), SECOND_WORDS, authority=SECOND, user="cli (test)")
    (prod_app.home / "roles.toml").write_text(ROLES)
    store.ReadOnlyStore.close_all()
    return prod_app


def _cf1(db, month=dt.date(2023, 9, 1)) -> dict[str, float]:
    figures = store.ReadOnlyStore(db).figures_for_month("latest", ["tameside", SECOND, THIRD], month)
    return dict(zip(figures.loc[figures["ref"] == "CF1", "authority"], figures.loc[figures["ref"] == "CF1", "value"]))


def test_a_bury_user_sees_no_tameside_commentary_and_no_council_they_are_not_granted(browser, app):
    page = sign_in(browser, app, "viewer@example.test", "/child-in-need?month=2023-01")
    page.get_by_text(SECOND_WORDS).first.wait_for(timeout=30_000)
    assert TAMESIDE_WORDS not in page.content()
    assert page.get_by_role("combobox", name="Council").count() == 0  # one council granted: no picker
    page.goto(app.url + "/child-in-need?month=2023-01&council=tameside")
    look(page)
    page.get_by_text("There is no council called ‘tameside’ that you have access to").wait_for(timeout=30_000)
    assert TAMESIDE_WORDS not in page.content() and SECOND_WORDS in page.content()
    page.context.close()


def test_a_publisher_of_one_council_is_refused_a_load_for_another_and_it_is_audited(browser, app, tmp_path):
    page = sign_in(browser, app, "pub@example.test", "/load")
    upload = tmp_path / "bury.csv"
    upload.write_text(f"ref,period,value,authority\nFD1,2024-01,999,{SECOND}\n")
    before = (app.db.read_bytes(), [e.name for e in journal.entries(journal.journal_dir(app.db))])
    page.get_by_role("region", name="Figures file").locator(
        '[data-testid="stFileUploaderDropzoneInput"]'
    ).set_input_files(str(upload))
    page.get_by_role("button", name="Publish", exact=True).wait_for(timeout=60_000)
    look(page)
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_text(f"may not load figures, targets and comparators for council {SECOND}").wait_for(timeout=60_000)
    look(page)
    assert (app.db.read_bytes(), [e.name for e in journal.entries(journal.journal_dir(app.db))]) == before
    refusals = audit.trail(app.db).query("event == 'refused: publish'")
    assert refusals["who"].iloc[-1] == "pub@example.test" and refusals["what"].iloc[-1].endswith(f"council {SECOND}")
    page.context.close()


def test_the_picker_and_the_regional_comparator_set_by_a_councils_admin(browser, app):
    cf1 = _cf1(app.db)
    shared = sorted([cf1[SECOND], cf1[THIRD]])
    page = sign_in(browser, app, "admin@example.test", f"/indicator?ref=CF1&month=2023-09&council={SECOND}")
    picker = page.get_by_role("combobox", name="Council")  # the council asked for, kept through sign-in
    assert picker.input_value().startswith("Synthetic Borough")
    mean = f"{sum(shared) / 2:,.0f}"
    line = f"GM this month (September 2023): mean {mean}, range {shared[0]:,.0f} to {shared[1]:,.0f}, from 2 councils"
    page.get_by_text(line).wait_for(timeout=30_000)  # Tameside (not sharing, 660) is in no figure of it
    assert f"{cf1['tameside']:,.0f}," not in page.get_by_text(line).inner_text()

    page.goto(app.url + f"/load?council={THIRD}")  # Synthetic Vale's admin stops sharing, through the journal
    look(page)
    page.get_by_role("button", name="Stop sharing").click()
    page.get_by_text("Saved as vintage sharing-").wait_for(timeout=60_000)
    entry = journal.entries(journal.journal_dir(app.db))[-1]
    assert entry.manifest["kind"] == "sharing" and entry.manifest["user"] == "admin@example.test"
    assert entry.manifest["councils"] == [THIRD]

    page.goto(app.url + f"/indicator?ref=CF1&month=2023-09&council={SECOND}")
    look(page)
    page.get_by_text(f"GM this month (September 2023): {cf1[SECOND]:,.0f}, from 1 council sharing").wait_for(
        timeout=30_000
    )
    # The picker writes the council into the address, and the links carry it.
    page.get_by_role("combobox", name="Council").click()
    page.get_by_role("option", name="Tameside").click()
    page.wait_for_url(re.compile(r"council=tameside"), timeout=30_000)
    look(page)
    assert "council=tameside" in page.get_by_role("link", name="Cared For").get_attribute("href")
    page.context.close()
