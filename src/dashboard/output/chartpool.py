"""A chart as a PNG or SVG picture, drawn by vl-convert in this process: the page's chart downloads.

The panel pack no longer draws pictures (export_charts draws its charts as PDF vectors), so there is no worker
pool, no drawing ahead and nothing for a stopping server to wait for.
"""

from __future__ import annotations

import json

# The size the paper charts were drawn at as pictures; export_charts lays its vector charts out the same way.
PAPER_SIZE = {"width": 420, "height": 200, "scale": 1.5}


def spec_json(chart) -> str:
    """An Altair chart or an already-built Vega-Lite spec, as JSON for vl-convert."""
    spec = chart if isinstance(chart, dict) else chart.to_dict(validate=False)
    # Inline data can hold python dates (tooltips only; axes use timestamps): write them as ISO text.
    return json.dumps(spec, default=str)


def png(chart, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(spec_json(chart), scale=scale)


def svg(chart) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec_json(chart))
