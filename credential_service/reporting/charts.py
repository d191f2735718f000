"""The dashboard's charts as Vega-Lite specifications made with altair (the page embeds them as JSON and draws
them with the Vega files the app serves itself: ``/assets/js/``). Only published (suppressed) rows go in: a
suppressed share is left out of a chart and shown as "<5" in the table beside it."""

from __future__ import annotations

from typing import Any

import altair as alt

_WIDTH = "container"  # the chart takes the width of its box: readable on a phone
_AUTOSIZE = alt.AutoSizeParams(type="fit-x", contains="padding")  # the page's heading names the chart
_PLAN = 1.0


def _share_bars(rows: list[dict[str, Any]], label: str, title_vi: str) -> dict[str, Any]:
    data = [
        {"label": r[label], "share": r["share_signed"], "students": r["students"], "sealed": r["sealed"]}
        for r in rows
        if r.get("share_signed") is not None
    ]
    base = alt.Chart(alt.Data(values=data))
    bars = base.mark_bar(color="#8b1a1a").encode(
        x=alt.X(
            "share:Q",
            title="Tỷ lệ học bạ đã ký đủ / share fully signed",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%"),
        ),
        y=alt.Y("label:N", sort="x", title=None),
        tooltip=[
            alt.Tooltip("label:N", title=title_vi),
            alt.Tooltip("share:Q", format=".1%", title="Tỷ lệ / share"),
            alt.Tooltip("sealed:Q", title="Đã ký đủ / signed"),
            alt.Tooltip("students:Q", title="Học sinh / students"),
        ],
    )
    plan = (
        alt.Chart(alt.Data(values=[{"plan": _PLAN}]))
        .mark_rule(color="#1b6e2f", strokeDash=[4, 3])
        .encode(x=alt.X("plan:Q", scale=alt.Scale(domain=[0, 1])))
    )
    chart = (bars + plan).properties(width=_WIDTH, autosize=_AUTOSIZE)
    spec: dict[str, Any] = chart.to_dict()
    return spec


def communes_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars by commune/ward: the share of students with a fully signed học bạ, against the plan's 100%."""
    return _share_bars(rows, "label", "Xã/phường / commune")


def behind_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The schools furthest behind the plan (lowest share first)."""
    return _share_bars(rows, "name", "Trường / school")


FUNNEL = (
    ("students", "Học sinh", "students"),
    ("locked", "Đã khóa sổ", "locked"),
    ("signed_gvcn", "GVCN đã ký", "GVCN signed"),
    ("signed_principal", "Hiệu trưởng đã ký", "principal signed"),
    ("sealed", "Đã đóng dấu", "sealed"),
)


def funnel_chart(row: dict[str, Any]) -> dict[str, Any]:
    """The học bạ số steps for one cell (the city, a school): how many got how far."""
    data = [
        {"order": i, "step": f"{vi} / {en}", "count": row.get(name)}
        for i, (name, vi, en) in enumerate(FUNNEL)
        if row.get(name) is not None
    ]
    chart = (
        alt.Chart(alt.Data(values=data))
        .mark_bar(color="#8b1a1a")
        .encode(
            x=alt.X("count:Q", title="Số học bạ / transcripts"),
            y=alt.Y("step:N", sort=alt.EncodingSortField("order"), title=None),
            tooltip=[alt.Tooltip("step:N", title="Bước / step"), alt.Tooltip("count:Q", title="Số / count")],
        )
        .properties(width=_WIDTH, autosize=_AUTOSIZE)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def trend_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The share of students with a fully signed học bạ day by day (``trend_rules``), against the plan's 100%."""
    data = [
        {"day": r["day"], "share": r["share_signed"], "students": r["students"], "sealed": r["sealed"]}
        for r in rows
        if r.get("share_signed") is not None
    ]
    line = (
        alt.Chart(alt.Data(values=data))
        .mark_line(color="#8b1a1a", point=True)
        .encode(
            x=alt.X("day:T", title="Ngày / day", axis=alt.Axis(format="%d/%m")),
            y=alt.Y(
                "share:Q",
                title="Tỷ lệ học bạ đã ký đủ / share fully signed",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            tooltip=[
                alt.Tooltip("day:T", format="%d/%m/%Y", title="Ngày / day"),
                alt.Tooltip("share:Q", format=".1%", title="Tỷ lệ / share"),
                alt.Tooltip("sealed:Q", title="Đã ký đủ / signed"),
                alt.Tooltip("students:Q", title="Học sinh / students"),
            ],
        )
    )
    plan = (
        alt.Chart(alt.Data(values=[{"plan": _PLAN}]))
        .mark_rule(color="#1b6e2f", strokeDash=[4, 3])
        .encode(y=alt.Y("plan:Q", scale=alt.Scale(domain=[0, 1])))
    )
    spec: dict[str, Any] = (line + plan).properties(width=_WIDTH, autosize=_AUTOSIZE).to_dict()
    return spec
