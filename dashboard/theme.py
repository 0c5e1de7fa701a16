"""The one plotly theme of the dashboard: colour-blind-safe colours, readable type, quiet axes.

Categorical colours are Okabe & Ito (2008), distinguishable under the common colour-vision
deficiencies. Change is drawn on a diverging blue-orange scale centred on zero (blue = better,
orange = worse), never red-green. Suppressed cells are a flat grey so they can never be read as a
value. Every chart builder in dashboard.charts takes its colours from here and nowhere else.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

# Okabe-Ito, without the black and the yellow that disappears on white.
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
CATEGORICAL = [OKABE_ITO[c] for c in ("blue", "orange", "green", "purple", "sky", "vermillion")]

# Roles that recur on every page get fixed colours so a reader learns them once.
COACHED = OKABE_ITO["blue"]
COMPARISON = "#7A7A7A"
PROGRAM_AVERAGE = "#7A7A7A"

# Diverging blue (improvement) <-> orange (decline), white at zero.
DIVERGING = [
    [0.0, "#B35806"],
    [0.2, "#E08214"],
    [0.4, "#FDD8A8"],
    [0.5, "#F7F7F7"],
    [0.6, "#C6DBEF"],
    [0.8, "#4292C6"],
    [1.0, "#08519C"],
]
# the same for a measure where less is better (a fall is the improvement, and blue)
DIVERGING_LESS_IS_BETTER = [[round(1 - p, 2), c] for p, c in reversed(DIVERGING)]
SEQUENTIAL = ["#F7FBFF", "#DEEBF7", "#C6DBEF", "#9ECAE1", "#6BAED6", "#4292C6", "#2171B5", "#08519C",
              "#08306B", "#041E42"]

SUPPRESSED = "#D9D9D9"
NO_DATA = "#F2F2F2"      # a heatmap cell with no value to colour: no people, or not computable
SUPPRESSED_TEXT = "#555555"
INK = "#1F2933"
MUTED = "#5F6B7A"
GRID = "#E6E9EE"
FONT = "Source Sans Pro, Segoe UI, Helvetica, Arial, sans-serif"

TEMPLATE_NAME = "coachlens"


def band(hex_colour: str, alpha: float = 0.18) -> str:
    """The translucent fill for a confidence band of a line drawn in `hex_colour`."""
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _template() -> go.layout.Template:
    axis = dict(showgrid=True, gridcolor=GRID, zeroline=False, linecolor="#BFC5CD", ticks="outside", automargin=True,
                tickcolor="#BFC5CD", title=dict(font=dict(size=14, color=MUTED)), tickfont=dict(size=13))
    return go.layout.Template(layout=go.Layout(
        font=dict(family=FONT, size=14, color=INK),
        title=dict(font=dict(size=17, color=INK), x=0, xanchor="left", y=0.97, yanchor="top"),
        colorway=CATEGORICAL,
        paper_bgcolor="white",
        plot_bgcolor="white",
        xaxis=axis,
        yaxis=axis,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, xanchor="left", font=dict(size=13),
                    bgcolor="rgba(0,0,0,0)"),
        hoverlabel=dict(bgcolor="white", font=dict(family=FONT, size=13, color=INK), bordercolor="#BFC5CD"),
        margin=dict(l=10, r=20, t=60, b=40),
        colorscale=dict(diverging=DIVERGING, sequential=[[i / 9, c] for i, c in enumerate(SEQUENTIAL)]),
    ))


def register() -> str:
    """Register the template with plotly (idempotent) and return its name."""
    if TEMPLATE_NAME not in pio.templates:
        pio.templates[TEMPLATE_NAME] = _template()
    return TEMPLATE_NAME


# What st.plotly_chart gets as config=: no plotly logo, a PNG download at a readable size.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "responsive": True,
}

register()
