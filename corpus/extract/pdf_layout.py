"""Text lines in reading order from character boxes: pdfminer.six's layout analysis, for pypdfium2.

pypdfium2 gives each character with its box but no reading order of its own that survives
vertical text (縦書き): its text page runs columns into each other and puts a page's title
column last. This is pdfminer.six's ``LTLayoutContainer.analyze`` with ``LAParams(
detect_vertical=True, boxes_flow=None)`` (the settings kinyu uses with pdfminer), written over
plain tuples so that it costs a fraction of pdfminer's own:

1. consecutive characters join a line when they overlap enough on the other axis and are close
   along it: horizontal lines left to right, vertical runs (縦書き) top to bottom; a space is
   put where the gap exceeds ``word_margin`` (pdfminer's ``group_objects``);
2. lines of the same height (width, for vertical runs) that are close and aligned form a box
   (``group_textlines``; a grid of cells finds the neighbours, as pdfminer's ``Plane``);
3. lines inside a box top to bottom (vertical: right to left); boxes: the vertical ones first,
   right to left then top to bottom, then the horizontal ones top to bottom, left to right.

The characters' boxes must be what pdfminer uses: the font's em box along the advance (pdfium's
*loose* character boxes), not the glyph's ink. Whitespace-only lines come last, as in pdfminer.
"""

from __future__ import annotations

from dataclasses import dataclass

# a character: (text, x0, y0, x1, y1) in PDF points, y upwards
Char = tuple[str, float, float, float, float]


@dataclass(frozen=True)
class LayoutParams:
    """pdfminer.six's LAParams defaults (the ones kinyu's pdfminer path uses)."""

    line_overlap: float = 0.5
    char_margin: float = 2.0
    line_margin: float = 0.5
    word_margin: float = 0.1
    detect_vertical: bool = True


class _Line:
    """A text line: its characters' text (with pdfminer's word spaces) and bounding box."""

    __slots__ = ("vertical", "parts", "x0", "y0", "x1", "y1")

    def __init__(self, vertical: bool, chars: list[Char], word_margin: float):
        self.vertical = vertical
        self.x0 = min(c[1] for c in chars)
        self.y0 = min(c[2] for c in chars)
        self.x1 = max(c[3] for c in chars)
        self.y1 = max(c[4] for c in chars)
        # pdfminer's LTTextLine{Horizontal,Vertical}.add: a space where the gap to the previous
        # character exceeds word_margin times the character's larger side
        parts = [chars[0][0]]
        if word_margin:
            for prev, c in zip(chars, chars[1:]):
                _, x0, y0, x1, y1 = c
                margin = word_margin * max(x1 - x0, y1 - y0)
                if (y1 + margin < prev[2]) if vertical else (prev[3] < x0 - margin):
                    parts.append(" ")
                parts.append(c[0])
        else:
            parts.extend(c[0] for c in chars[1:])
        self.parts = parts

    def text(self) -> str:
        return "".join(self.parts)


def group_lines(chars: list[Char], p: LayoutParams) -> list[_Line]:
    """pdfminer's ``group_objects``: consecutive characters into horizontal or vertical lines."""
    lines: list[_Line] = []
    wm = p.word_margin
    overlap, margin, vertical_ok = p.line_overlap, p.char_margin, p.detect_vertical
    run: list[Char] | None = None  # the characters of the open line
    run_vertical = False
    obj0: Char | None = None
    for obj1 in chars:
        if obj0 is not None:
            _, ax0, ay0, ax1, ay1 = obj0
            _, bx0, by0, bx1, by1 = obj1
            hov = bx0 <= ax1 and ax0 <= bx1  # is_hoverlap
            vov = by0 <= ay1 and ay0 <= by1  # is_voverlap
            # halign / valign of pdfminer's group_objects, evaluated only where needed
            if run is None or not run_vertical:
                halign = (
                    vov
                    and min(ay1 - ay0, by1 - by0) * overlap < min(abs(ay0 - by1), abs(ay1 - by0))
                    and (0 if hov else min(abs(ax0 - bx1), abs(ax1 - bx0))) < max(ax1 - ax0, bx1 - bx0) * margin
                )
            if run is None or run_vertical:
                valign = (
                    vertical_ok
                    and hov
                    and min(ax1 - ax0, bx1 - bx0) * overlap < min(abs(ax0 - bx1), abs(ax1 - bx0))
                    and (0 if vov else min(abs(ay0 - by1), abs(ay1 - by0))) < max(ay1 - ay0, by1 - by0) * margin
                )
            if run is not None:
                if valign if run_vertical else halign:
                    run.append(obj1)
                else:
                    lines.append(_Line(run_vertical, run, wm))
                    run = None
            elif valign and not halign:
                run, run_vertical = [obj0, obj1], True
            elif halign and not valign:
                run, run_vertical = [obj0, obj1], False
            else:
                lines.append(_Line(False, [obj0], wm))
        obj0 = obj1
    if run is None and obj0 is not None:
        run, run_vertical = [obj0], False
    if run is not None:
        lines.append(_Line(run_vertical, run, wm))
    return lines


class _Plane:
    """pdfminer's ``Plane``: objects in 50-point grid cells of the page, found in its order
    (cells row by row, objects in insertion order), the ranges clipped to the page."""

    def __init__(self, bbox: tuple[float, float, float, float], gridsize: int = 50):
        self.bbox = bbox
        self.gridsize = gridsize
        self.grid: dict[tuple[int, int], list[_Line]] = {}

    def _cells(self, x0: float, y0: float, x1: float, y1: float):
        px0, py0, px1, py1 = self.bbox
        if x1 <= px0 or px1 <= x0 or y1 <= py0 or py1 <= y0:
            return
        x0, y0, x1, y1 = max(px0, x0), max(py0, y0), min(px1, x1), min(py1, y1)
        d = self.gridsize
        xs = range(int(x0) // d, int(x1 + d) // d)
        for gy in range(int(y0) // d, int(y1 + d) // d):
            for gx in xs:
                yield gx, gy

    def add(self, obj: _Line) -> None:
        for cell in self._cells(obj.x0, obj.y0, obj.x1, obj.y1):
            self.grid.setdefault(cell, []).append(obj)

    def find(self, x0: float, y0: float, x1: float, y1: float) -> list[_Line]:
        done: set[int] = set()
        out = []
        for cell in self._cells(x0, y0, x1, y1):
            for obj in self.grid.get(cell, ()):
                if id(obj) in done:
                    continue
                done.add(id(obj))
                if obj.x1 <= x0 or x1 <= obj.x0 or obj.y1 <= y0 or y1 <= obj.y0:
                    continue
                out.append(obj)
        return out


def _neighbours(line: _Line, plane: _Plane, ratio: float) -> list[_Line]:
    """pdfminer's ``find_neighbors``: lines of the same size, close and aligned with ``line``
    (``line`` itself among them), in the plane's order."""
    if line.vertical:
        d = ratio * (line.x1 - line.x0)
        found = plane.find(line.x0 - d, line.y0, line.x1 + d, line.y1)
        return [
            o
            for o in found
            if o.vertical
            and abs((o.x1 - o.x0) - (line.x1 - line.x0)) <= d
            and (abs(o.y0 - line.y0) <= d or abs(o.y1 - line.y1) <= d or abs((o.y0 + o.y1) / 2 - (line.y0 + line.y1) / 2) <= d)
        ]
    d = ratio * (line.y1 - line.y0)
    found = plane.find(line.x0, line.y0 - d, line.x1, line.y1 + d)
    return [
        o
        for o in found
        if not o.vertical
        and abs((o.y1 - o.y0) - (line.y1 - line.y0)) <= d
        and (abs(o.x0 - line.x0) <= d or abs(o.x1 - line.x1) <= d or abs((o.x0 + o.x1) / 2 - (line.x0 + line.x1) / 2) <= d)
    ]


def group_boxes(lines: list[_Line], p: LayoutParams, page: tuple[float, float, float, float]) -> list[list[_Line]]:
    """pdfminer's ``group_textlines``, step for step (the order of lines inside a box is the
    order of its merges, which decides ties in the sort by height)."""
    plane = _Plane(page)
    for ln in lines:
        plane.add(ln)
    boxes: dict[int, list[_Line]] = {}  # id(line) -> its box
    for ln in lines:
        members = [ln]
        for other in _neighbours(ln, plane, p.line_margin):
            members.append(other)
            if id(other) in boxes:
                members.extend(boxes.pop(id(other)))
        box: list[_Line] = []
        seen: set[int] = set()
        for obj in members:
            if id(obj) not in seen:
                seen.add(id(obj))
                box.append(obj)
                boxes[id(obj)] = box
    out = []
    done: set[int] = set()
    for ln in lines:
        box = boxes.get(id(ln))
        if box is None or id(box) in done:
            continue
        done.add(id(box))
        if max(o.x1 for o in box) > min(o.x0 for o in box) and max(o.y1 for o in box) > min(o.y0 for o in box):
            out.append(box)
    return out


def _box_key(box: list[_Line]) -> tuple[int, float, float]:
    if box[0].vertical:
        return (0, -max(ln.x1 for ln in box), -min(ln.y0 for ln in box))
    return (1, -min(ln.y0 for ln in box), min(ln.x0 for ln in box))


def layout_boxes(chars: list[Char], page: tuple[float, float, float, float], p: LayoutParams = LayoutParams()) -> tuple[list[tuple[tuple, list[str]]], list[str]]:
    """The text boxes of one page (``page``: its box, ``(0, 0, width, height)`` as displayed) in
    reading order, pdfminer's order with ``boxes_flow=None``: each its sort key (``_box_key``)
    and its lines; and the whitespace-only lines, which come last."""
    if not chars:
        return [], []
    lines = group_lines(chars, p)
    # pdfminer's LTTextLine.is_empty: no area, or only whitespace
    kept, empties = [], []
    for ln in lines:
        text = ln.text()
        if ln.x1 <= ln.x0 or ln.y1 <= ln.y0 or text.isspace():
            empties.append(text)
        else:
            kept.append(ln)
    lines = kept
    out: list[tuple[tuple, list[str]]] = []
    for box in sorted(group_boxes(lines, p, page), key=_box_key):
        key = _box_key(box)
        if box[0].vertical:
            box.sort(key=lambda ln: -ln.x1)
        else:
            box.sort(key=lambda ln: -ln.y1)
        out.append((key, [ln.text() for ln in box]))
    return out, empties


def layout_lines(chars: list[Char], page: tuple[float, float, float, float], p: LayoutParams = LayoutParams()) -> list[str]:
    """The text lines of one page (``page``: its box, ``(0, 0, width, height)`` as displayed) in
    reading order: pdfminer's order with ``boxes_flow=None``."""
    boxes, empties = layout_boxes(chars, page, p)
    return [line for _, lines in boxes for line in lines] + empties
