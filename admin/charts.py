"""Small server-rendered SVG charts: no JavaScript, no CDN (hotline centres are often offline)."""

from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = {
    "accept": "#2e7d32",
    "transfer": "#c62828",
    "conference": "#6a1b9a",
    "guide": "#1565c0",
    "clarify": "#9e9e9e",
    "agent": "#ef6c00",
    None: "#bdbdbd",
}


def stacked_bars(
    days: list[str], series: dict[str, list[int]], names: dict[str, str], width: int = 760, height: int = 220
) -> Markup:
    """Calls per day, one stacked bar a day, one colour per action."""
    n = max(1, len(days))
    totals = [sum(series[k][i] for k in series) for i in range(len(days))]
    top = max(totals, default=0) or 1
    left, plot_h = 36, height - 48
    bw = (width - left - 10) / n
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="每日来电">']
    for frac in (0, 0.5, 1):
        y = 10 + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" class="axis" text-anchor="end">{round(top * frac)}</text>')
    for i, day in enumerate(days):
        x, y = left + i * bw, 10 + plot_h
        for key, values in series.items():
            h = plot_h * values[i] / top
            if h <= 0:
                continue
            y -= h
            tip = escape(f"{day} {names.get(key, key)}: {values[i]}")
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(bw - 2, 1):.1f}" height="{h:.1f}" '
                f'fill="{PALETTE.get(key, "#607d8b")}"><title>{tip}</title></rect>'
            )
        if n <= 16 or i % max(1, n // 8) == 0:
            parts.append(
                f'<text x="{x + bw / 2:.1f}" y="{height - 10}" class="axis" text-anchor="middle">'
                f"{escape(day[5:])}</text>"
            )
    parts.append("</svg>")
    # SVG swatches, not inline styles: the Content-Security-Policy allows no inline CSS
    legend = "".join(
        f'<span class="key"><svg width="10" height="10"><rect width="10" height="10" '
        f'fill="{PALETTE.get(k, "#607d8b")}"/></svg> {escape(names.get(k, k))}</span>'
        for k in series
    )
    return Markup("".join(parts) + f'<div class="legend">{legend}</div>')


def hbars(rows: list[tuple[str, int]], width: int = 420, color: str = "#1565c0") -> Markup:
    """Horizontal bars: label, value."""
    if not rows:
        return Markup('<p class="muted">暂无数据</p>')
    top = max(v for _, v in rows) or 1
    row_h, label_w = 24, 150
    height = row_h * len(rows) + 6
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img">']
    for i, (label, v) in enumerate(rows):
        y = 4 + i * row_h
        w = (width - label_w - 50) * v / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" class="axis">{escape(label[:14])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 8}" fill="{color}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" class="axis">{v}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
