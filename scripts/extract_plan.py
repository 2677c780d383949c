"""Turn the Children's Social Care Improvement Plan in the Nov-23 and Mar-24 packs into CSV tables:
sample_data/plan_priorities.csv, plan_actions.csv, plan_measures.csv.

Run: python scripts/extract_plan.py  (tests/test_plan.py checks the committed CSVs are exactly what this
produces). Rows are tab-separated table text; refs lost or misprinted are fixed by the explicit REF_REPAIRS
table (file, line -> ref, with the reason), and section headings split by OCR by SECTION_REPAIRS.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sample_data" / "sources"
OUT = ROOT / "sample_data"
AUTHORITY = "tameside"

NOV23 = "000_e3ee3c3dcfc6ed06.txt"
MAR24 = "002_88850c9eb28331b8.txt"
# vintage -> (file, first and last line of the action tables, first and last line of Appendix B)
PLANS = {
    "pack-2023-11": (NOV23, (947, 1056), (1084, 1154)),
    "pack-2024-03": (MAR24, (324, 442), (487, 560)),
}

REF_REPAIRS = {
    (NOV23, 979): (
        "1.7",
        "printed '1 Page 51': the '.7' was lost; the Mar-24 plan numbers this Care Leavers action 1.7",
    ),
    (NOV23, 1040): (
        "4.7",
        "printed as a second '4.6'; Appendix B cites 4.7 and the Mar-24 plan numbers this action 4.7",
    ),
    (NOV23, 1044): ("4.9", "printed '4.6 Page 61'; Appendix B cites 4.9 and the Mar-24 plan numbers this action 4.9"),
    (MAR24, 333): ("1.1", "ref lost to OCR ('Page 15'); first action under Application of Thresholds"),
    (MAR24, 345): ("1.3", "ref lost to OCR; the Practice Basics action numbered 1.3 in the Nov-23 plan"),
    (MAR24, 358): ("1.5", "ref lost to OCR; the education-plans action numbered 1.5 in the Nov-23 plan"),
    (MAR24, 372): (
        "1.9",
        "ref lost to OCR ('Page 22'); the disabilities-service action numbered 1.9 in the Nov-23 plan",
    ),
}
SECTION_REPAIRS = {
    (MAR24, 332): "Application of Thresholds",
    (MAR24, 338): "Front Door / MASH",
    (MAR24, 344): "Practice Basics",
    (MAR24, 352): "Child Protection and Child in Need",
    (MAR24, 366): "Care Leavers",
    (MAR24, 370): "Children in specific circumstances",
    (MAR24, 384): "Partner Organisations and Services",
    (MAR24, 390): "Voice of Child and Family",
    (MAR24, 397): "Achieving Permanence",
    (MAR24, 402): "Fostering",
    (MAR24, 407): "Permanency",
    (MAR24, 415): "Strategic Leadership",
    (MAR24, 422): "Operational Leadership and Management Grip",
    (MAR24, 435): "Workforce",
}
# Headings printed as plain text (not a table row) just above an action.
SECTION_BEFORE_ROW = {(NOV23, 979): "Care Leavers"}
# Text merged into an action's cells by OCR from the section heading on the same line.
CELL_PREFIX_JUNK = {(MAR24, 422): ("rational Leadership ", " and Management Grip ")}

PRIORITIES = [  # (priority, name, aim as printed in the Mar-24 pack line 248-251)
    ("1", "Quality of Practice"),
    ("2", "Working in Partnership"),
    ("3", "Commissioning and Sufficiency"),
    ("4", "Leadership and Workforce"),
]
MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}


def lines_of(name: str) -> list[str]:
    return (SOURCES / name).read_text(encoding="utf-8").split("\n")


def clean(text: str) -> str:
    text = re.sub(r"</?(p|ul|li)[^>]*>", " ", text)
    text = text.replace("\uf0b7", "•")
    return re.sub(r"\s+", " ", text).strip(" •-")


def month(text: str) -> str:
    """'Sep 23', 'Sept 24', 'June 24' -> 2023-09; blank stays blank."""
    t = text.strip().lower()
    if not t:
        return ""
    m = re.match(r"^([a-z]{3})[a-z]*\s+(\d{2})$", t)
    if not m or m.group(1) not in MONTHS:
        raise ValueError(f"unreadable date {text!r}")
    return f"20{m.group(2)}-{MONTHS[m.group(1)]:02d}"


def priorities() -> list[dict]:
    lines = lines_of(MAR24)
    out = []
    for pid, name in PRIORITIES:
        n = next(i for i, text in enumerate(lines, 1) if text.startswith(f"- {pid}. {name}:"))
        aim = lines[n - 1].split(":", 1)[1].strip()
        lead_line = next(i for i, text in enumerate(lines_of(NOV23), 1) if text.startswith(f"{pid}: {name.upper()}"))
        lead = lines_of(NOV23)[lead_line + 1].removeprefix("Lead: ").strip()
        out.append({"priority": pid, "name": name, "aim": aim, "lead": lead, "source_file": MAR24, "source_line": n})
    return out


def actions(vintage: str) -> list[dict]:
    name, (lo, hi), _ = PLANS[vintage]
    lines = lines_of(name)
    commentary_col = vintage == "pack-2024-03"
    out, section = [], ""
    for n in range(lo, hi + 1):
        f = lines[n - 1].split("\t")
        if len(f) < 6 or any(c.strip().startswith(("Ref", "f. Actions")) for c in f[:3]) or set("".join(f)) <= set("-"):
            continue
        if (name, n) in SECTION_REPAIRS:
            section = SECTION_REPAIRS[(name, n)]
            if (name, n) not in CELL_PREFIX_JUNK:
                continue
        if re.fullmatch(r"\d\.\d+", f[1].strip()):  # OCR shifted the row one cell right
            f = f[1:]
        if all(not c.strip() for c in f[1:]):
            section = clean(f[0])
            continue
        ref, note = REF_REPAIRS.get((name, n), (None, ""))
        if ref is None:
            m = re.search(r"(\d\.\d+)", f[0])
            if not m:
                raise ValueError(f"{name} line {n}: no action ref in {f[0]!r} and no repair")
            ref = m.group(1)
        if out and out[-1]["priority"] != ref.split(".")[0] and out[-1]["section"] == section:
            section = ""  # a new priority's table without a heading of its own
        section = SECTION_BEFORE_ROW.get((name, n), section)
        action, how, lead, start, end, say = (f + [""] * 10)[1:7]
        if (name, n) in CELL_PREFIX_JUNK:
            a_junk, h_junk = CELL_PREFIX_JUNK[(name, n)]
            action, how = action.removeprefix(a_junk), how.strip().removeprefix(h_junk.strip())
        comment = clean(f[9]) if commentary_col and len(f) > 9 else ""
        out.append(
            {
                "authority": AUTHORITY,
                "vintage": vintage,
                "action_ref": ref,
                "priority": ref.split(".")[0],
                "section": section,
                "action": clean(action),
                "how_we_will_know": clean(how),
                "lead": clean(lead),
                "start_month": month(start),
                "end_month": month(end),
                "children_will_say": clean(say),
                "action_brag": clean(f[7]) if len(f) > 7 else "",
                "impact_brag": clean(f[8]) if len(f) > 8 else "",
                "commentary": comment,
                "repair_note": note,
                "source_file": name,
                "source_line": n,
            }
        )
    return out


def _refs(source: str) -> str:
    """'Scorecard - CIN21-24' -> 'CIN21 CIN22 CIN23 CIN24'; 'WF6 - WF14' -> WF6..WF14; 'CIN 8' -> CIN8."""
    source = source.replace("–", "-")
    if not source.lower().startswith("scorecard"):
        return ""
    body = source.split("-", 1)[1] if "-" in source[:12] else source[9:]
    body = re.sub(r"(?i)and quality assurance reporting", "", body).replace("–", "-")
    refs = []
    for part in re.split(r",", body):
        part = part.strip()
        m = re.fullmatch(r"([A-Z]{2,3})\s*(\d+)([a-z]?)\s*(?:-\s*(?:[A-Z]{2,3})?\s*(\d+))?", part)
        if not m:
            continue
        prefix, first, suffix, last = m.group(1), int(m.group(2)), m.group(3), m.group(4)
        if last:
            refs += [f"{prefix}{k}" for k in range(first, int(last) + 1)]
        else:
            refs.append(f"{prefix}{first}{suffix}")
    return " ".join(refs)


def measures(vintage: str) -> list[dict]:
    name, _, (lo, hi) = PLANS[vintage]
    lines = lines_of(name)
    out, fa, fa_name, action_refs = [], "", "", ""
    for n in range(lo, min(hi, len(lines)) + 1):
        f = lines[n - 1].split("\t")
        if len(f) < 4 or f[0].startswith("Focus Area"):
            continue
        m = re.match(r"^(FA\d+)\s*:\s*(.*)$", f[0].strip())
        if m:
            fa, fa_name, action_refs = m.group(1), m.group(2).strip(), f[1].strip()
        elif fa and f[0].strip() and not f[1].strip() and not re.fullmatch(r"\d+", f[0].strip()):
            if name == MAR24 and not fa_name.endswith(
                (
                    "Families",
                    "partners",
                    "risk",
                    "timeliness)",
                    "Timeliness",
                    "matching",
                    "circumstances",
                    "leavers",
                    "leadership",
                    "management",
                    "oversight",
                    "workforce",
                    "Systems",
                )
            ):
                fa_name = f"{fa_name} {f[0].strip()}"  # the Mar-24 layout wraps the name onto the next lines
        if f[1].strip() and not m and fa:
            action_refs = f"{action_refs} {f[1].strip()}"  # wrapped list of action refs
        measure, source = clean(f[2]), f[3].strip()
        if not fa or not measure:
            continue
        status = (
            "scorecard"
            if source.lower().startswith("scorecard")
            else "to be developed"
            if source.lower() == "to be developed"
            else "other source"
            if source
            else "not given"
        )
        out.append(
            {
                "authority": AUTHORITY,
                "vintage": vintage,
                "focus_area": fa,
                "focus_area_name": fa_name,
                "action_refs": re.sub(r"\s*,\s*", ", ", re.sub(r",\s*$", "", action_refs.strip())).replace(",,", ","),
                "measure": measure,
                "data_source": source,
                "status": status,
                "refs": _refs(source),
                "source_file": name,
                "source_line": n,
            }
        )
    # The list of action refs wraps over several rows in the Mar-24 layout: every row gets the full list.
    full = {}
    for r in out:
        full[r["focus_area"]] = max(full.get(r["focus_area"], ""), r["action_refs"], key=len)
    for r in out:
        r["action_refs"] = full[r["focus_area"]]
    return out


def write(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def tables() -> dict[str, list[dict]]:
    nov_names = {}
    measure_rows = []
    for vintage in PLANS:
        rows = measures(vintage)
        if vintage == "pack-2023-11":
            nov_names = {r["focus_area"]: r["focus_area_name"] for r in rows}
        for r in rows:
            r["focus_area_name"] = nov_names.get(r["focus_area"], r["focus_area_name"])
        measure_rows += rows
    return {
        "plan_priorities.csv": priorities(),
        "plan_actions.csv": [r for v in PLANS for r in actions(v)],
        "plan_measures.csv": measure_rows,
    }


def main() -> int:
    for fname, rows in tables().items():
        write(OUT / fname, rows)
        print(f"{fname}: {len(rows)} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
