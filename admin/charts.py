"""Small server-rendered SVG charts: no JavaScript, no CDN (hotline centres are often offline).

Each chart is a <figure> named by its caption, whose marks link to the matching calls, followed by
the same figures as a table (for screen readers, keyboards and copying).
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

# 3:1 or more against white (WCAG 1.4.11 for graphics)
PALETTE = {
    "accept": "#2e7d32",
    "transfer": "#c62828",
    "conference": "#6a1b9a",
    "guide": "#1565c0",
    "clarify": "#616161",
    "agent": "#b34700",
    "12345": "#1565c0",
    "110": "#c62828",
}
_n = 0


def _id(prefix: str) -> str:
    global _n
    _n = (_n + 1) % 1_000_000
    return f"{prefix}-{_n}"


def _figure(title: str, svg: str, table: str, legend: str = "") -> Markup:
    cap = _id("chart")
    return Markup(
        f'<figure class="chart" aria-labelledby="{cap}"><figcaption id="{cap}">{escape(title)}</figcaption>'
        f"{svg}{legend}<details><summary>以表格查看</summary>{table}</details></figure>"
    )


def _legend(keys: list[str], names: dict[str, str]) -> str:
    # SVG swatches, not inline styles: the Content-Security-Policy allows no inline CSS
    return (
        '<div class="legend">'
        + "".join(
            f'<span class="key"><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" '
            f'fill="{PALETTE.get(k, "#455a64")}"/></svg> {escape(names.get(k, k))}</span>'
            for k in keys
        )
        + "</div>"
    )


def _table(head: list[str], rows: list[tuple[str, list, str | None]]) -> str:
    """rows: (label, values, link or None)."""
    out = ['<table class="chart-table"><thead><tr>']
    out += [f'<th scope="col">{escape(h)}</th>' for h in head]
    out.append("</tr></thead><tbody>")
    for label, values, href in rows:
        cell = f'<a href="{escape(href)}">{escape(label)}</a>' if href else escape(label)
        out.append(f'<tr><th scope="row">{cell}</th>' + "".join(f"<td>{escape(v)}</td>" for v in values) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def stacked_bars(
    title: str,
    xs: list[str],
    series: dict[str, list[int]],
    names: dict[str, str],
    link: Callable[[int, str | None], str],
    x_label: Callable[[str], str] = lambda x: x,
    width: int = 760,
    height: int = 220,
) -> Markup:
    """One stacked bar per x, one colour per series key; each segment links to its calls."""
    n = max(1, len(xs))
    totals = [sum(series[k][i] for k in series) for i in range(len(xs))]
    top = max(totals, default=0) or 1
    left, plot_h = 40, height - 48
    bw = (width - left - 10) / n
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="group" aria-label="{escape(title)}">']
    for frac in (0, 0.5, 1):
        y = 10 + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" class="axis" text-anchor="end">{round(top * frac)}</text>')
    for i, x_key in enumerate(xs):
        x, y = left + i * bw, 10 + plot_h
        for key, values in series.items():
            h = plot_h * values[i] / top
            if h <= 0:
                continue
            y -= h
            tip = escape(f"{x_label(x_key)} {names.get(key, key)}：{values[i]} 通")
            parts.append(
                f'<a href="{escape(link(i, key))}" aria-label="{tip}"><rect x="{x + 1:.1f}" y="{y:.1f}" '
                f'width="{max(bw - 2, 1):.1f}" height="{h:.1f}" fill="{PALETTE.get(key, "#455a64")}">'
                f"<title>{tip}</title></rect></a>"
            )
        if n <= 16 or i % max(1, n // 8) == 0:
            parts.append(
                f'<text x="{x + bw / 2:.1f}" y="{height - 10}" class="axis" text-anchor="middle">'
                f"{escape(x_label(x_key))}</text>"
            )
    parts.append("</svg>")
    keys = list(series)
    rows = [(x_label(x_key), [series[k][i] for k in keys] + [totals[i]], link(i, None)) for i, x_key in enumerate(xs)]
    table = _table(["", *[names.get(k, k) for k in keys], "合计"], rows)
    return _figure(title, "".join(parts), table, _legend(keys, names))


def lines(
    title: str,
    xs: list[str],
    series: dict[str, list[float | None]],
    names: dict[str, str],
    colors: dict[str, str],
    dashed: set[str],
    link: Callable[[int, str], str],
    unit: str = "毫秒",
    x_label: Callable[[str], str] = lambda x: x,
    width: int = 760,
    height: int = 220,
) -> Markup:
    """Lines over time (gaps where a day has no value); each point links to its calls."""
    values = [v for vals in series.values() for v in vals if v is not None]
    top = max(values, default=0) or 1
    n = max(1, len(xs))
    left, plot_h = 52, height - 48
    step = (width - left - 16) / max(1, n - 1)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="group" aria-label="{escape(title)}">']
    for frac in (0, 0.5, 1):
        y = 10 + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" class="axis" text-anchor="end">{top * frac:.0f}</text>')

    def pos(i: int, v: float) -> tuple[float, float]:
        return left + i * step, 10 + plot_h * (1 - v / top)

    for key, vals in series.items():
        color = colors.get(key, "#455a64")
        seg: list[str] = []
        for i, v in enumerate([*vals, None]):
            if v is None:
                if len(seg) > 1:
                    dash = ' stroke-dasharray="5 3"' if key in dashed else ""
                    parts.append(
                        f'<polyline points="{" ".join(seg)}" fill="none" stroke="{color}" stroke-width="2"{dash}/>'
                    )
                seg = []
                continue
            x, y = pos(i, v)
            seg.append(f"{x:.1f},{y:.1f}")
        for i, v in enumerate(vals):
            if v is None:
                continue
            x, y = pos(i, v)
            tip = escape(f"{x_label(xs[i])} {names.get(key, key)}：{v:.0f} {unit}")
            parts.append(
                f'<a href="{escape(link(i, key))}" aria-label="{tip}"><circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" '
                f'fill="{color}"><title>{tip}</title></circle></a>'
            )
    for i, x_key in enumerate(xs):
        if n <= 16 or i % max(1, n // 8) == 0:
            x, _ = pos(i, 0)
            parts.append(
                f'<text x="{x:.1f}" y="{height - 10}" class="axis" text-anchor="middle">{escape(x_label(x_key))}</text>'
            )
    parts.append("</svg>")
    keys = list(series)
    rows = [
        (
            x_label(x_key),
            ["—" if series[k][i] is None else f"{series[k][i]:.0f}" for k in keys],
            link(i, keys[0]),
        )
        for i, x_key in enumerate(xs)
    ]
    dash_attr = ' stroke-dasharray="5 3"'
    legend = (
        '<div class="legend">'
        + "".join(
            f'<span class="key"><svg width="18" height="10" aria-hidden="true"><line x1="0" y1="5" x2="18" y2="5" '
            f'stroke="{colors.get(k, "#455a64")}" stroke-width="2"{dash_attr if k in dashed else ""}/>'
            f"</svg> {escape(names.get(k, k))}</span>"
            for k in keys
        )
        + "</div>"
    )
    return _figure(title, "".join(parts), _table(["", *[f"{names.get(k, k)}（{unit}）" for k in keys]], rows), legend)


def hbars(title: str, rows: list[tuple[str, int, str]], width: int = 420, color: str = "#1565c0") -> Markup:
    """Horizontal bars: (label, value, link)."""
    if not rows:
        return Markup(
            f'<figure class="chart"><figcaption>{escape(title)}</figcaption><p class="muted">暂无数据</p></figure>'
        )
    top = max(v for _, v, _ in rows) or 1
    row_h, label_w = 24, 150
    height = row_h * len(rows) + 6
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="group" aria-label="{escape(title)}">']
    for i, (label, v, href) in enumerate(rows):
        y = 4 + i * row_h
        w = (width - label_w - 50) * v / top
        tip = escape(f"{label}：{v} 通")
        parts.append(f'<a href="{escape(href)}" aria-label="{tip}">')
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" class="axis">{escape(label[:14])}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 8}" fill="{color}">'
            f"<title>{tip}</title></rect>"
        )
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" class="axis">{v}</text></a>')
    parts.append("</svg>")
    table = _table(["", "来电数"], [(label, [v], href) for label, v, href in rows])
    return _figure(title, "".join(parts), table)
