"""SVG charts drawn on the server (no JavaScript, no CDN): daily bars and rate bars."""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup, escape

__all__ = ["daily_chart", "rate_bars"]

COLORS = {"accept": "#2e7d32", "decline": "#c62828", "withdraw": "#ef6c00",
          "update": "#1565c0", "acknowledge": "#6a1b9a"}


def daily_chart(days: dict[str, dict[str, int]], actions: tuple[str, ...],
                title: str, width: int = 720, height: int = 220,
                names: Mapping[str, str] | None = None) -> Markup:
    """Stacked bars per day, one colour per action, with a legend; ``names`` are the
    actions' words in the reader's language (default: the action codes)."""
    names = names or {}
    pad_l, pad_b, pad_t = 44, 28, 24
    plot_w, plot_h = width - pad_l - 10, height - pad_b - pad_t
    totals = [sum(c.get(a, 0) for a in actions) for c in days.values()]
    top = max(totals, default=0) or 1
    n = max(len(days), 1)
    bar = min(plot_w / n, 48.0)  # a few days must not look like a wall
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{escape(title)}" class="chart">',
             f'<text x="{pad_l}" y="14" class="chart-title">{escape(title)}</text>',
             f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - 10}" '
             f'y2="{pad_t + plot_h}" stroke="#999"/>',
             f'<text x="{pad_l - 6}" y="{pad_t + 8}" text-anchor="end" class="axis">{top}'
             f'</text>',
             f'<text x="{pad_l - 6}" y="{pad_t + plot_h}" text-anchor="end" class="axis">0'
             f'</text>']
    for i, (day, counts) in enumerate(days.items()):
        x = pad_l + i * bar
        y = float(pad_t + plot_h)
        for a in actions:
            h = plot_h * counts.get(a, 0) / top
            if h <= 0:
                continue
            y -= h
            parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(bar - 2, 1):.1f}" '
                         f'height="{h:.1f}" fill="{COLORS.get(a, "#555")}">'
                         f'<title>{escape(day)} {escape(names.get(a, a))}: '
                         f'{counts.get(a, 0)}</title></rect>')
        if n <= 16 or i % max(n // 8, 1) == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 8}" text-anchor="middle" '
                         f'class="axis">{escape(day[5:])}</text>')
    lx = width - 10
    for a in reversed(actions):
        lx -= 96
        parts.append(f'<rect x="{lx}" y="4" width="10" height="10" fill="{COLORS[a]}"/>'
                     f'<text x="{lx + 14}" y="13" class="axis">{escape(names.get(a, a))}'
                     f'</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def rate_bars(rows: list[tuple[str, int, int]], title: str, width: int = 720) -> Markup:
    """Horizontal bars: (label, part, whole) shown as part/whole percent."""
    row_h, pad_l = 24, 180
    height = 24 + row_h * max(len(rows), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{escape(title)}" class="chart">',
             f'<text x="4" y="14" class="chart-title">{escape(title)}</text>']
    plot_w = width - pad_l - 130
    for i, (label, part, whole) in enumerate(rows):
        y = 22 + i * row_h
        share = part / whole if whole else 0.0
        parts.append(f'<text x="{pad_l - 8}" y="{y + 15}" text-anchor="end" class="axis">'
                     f'{escape(label)}</text>'
                     f'<rect x="{pad_l}" y="{y + 3}" width="{plot_w}" height="16" '
                     f'fill="#eee"/>'
                     f'<rect x="{pad_l}" y="{y + 3}" width="{plot_w * share:.1f}" height="16" '
                     f'fill="#2e7d32"/>'
                     f'<text x="{pad_l + plot_w + 6}" y="{y + 15}" class="axis">'
                     f'{share * 100:.1f}% ({part}/{whole})</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
