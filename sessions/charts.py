"""The small charts of a client's page in the admin, drawn as SVG on the server: adherence
per week as bars, the worst pain per side per week as two lines. Nothing to load, no script."""

from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from typing import Any, ClassVar

from . import review

# The charts of a client's page, drawn by admin/training_sessions/chart.html as inline SVG:
# a column of WEEK pixels per week, right of the y axis's labels, below the axis's name and
# above the weeks'. Two fit side by side on a 1366-pixel screen.
LEFT, TOP, PLOT, BELOW, WEEK, BAR = 40, 24, 120, 40, 50, 32
BASELINE = TOP + PLOT


def _up(value: float, top: float) -> float:
    """The height in pixels of `value` on an axis from 0 to `top`."""
    return round(PLOT * value / top, 1)


def _middle(week: int) -> float:
    return LEFT + week * WEEK + WEEK / 2


@dataclass(frozen=True)
class Bar:
    week: review.WeekAdherence
    x: float
    height: float  # 0 when nothing was due.
    width: ClassVar[int] = BAR

    @property
    def middle(self) -> float:
        return self.x + BAR / 2

    @property
    def y(self) -> float:
        return round(BASELINE - self.height, 1)

    @property
    def percent(self) -> int | None:
        return None if self.week.rate is None else round(self.week.rate * 100)


@dataclass(frozen=True)
class Point:
    week_start: date
    pain: int
    x: float
    y: float


@dataclass(frozen=True)
class Line:
    side: str
    points: list[Point]
    runs: list[str]  # Polylines' points: a week with no set on this side breaks the line.


@dataclass(frozen=True)
class Chart:
    kind: str
    title: str
    axis: str  # The y axis's name.
    ticks: list[tuple[float, str]]  # The y axis: where each label sits, and its text.
    weeks: list[tuple[float, date]]  # The x axis: each week's middle, and its Monday.
    bars: list[Bar] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    width: ClassVar[int] = LEFT + review.WEEKS * WEEK + 8
    height: ClassVar[int] = BASELINE + BELOW
    left: ClassVar[int] = LEFT
    right: ClassVar[int] = LEFT + review.WEEKS * WEEK
    top: ClassVar[int] = TOP
    baseline: ClassVar[int] = BASELINE


def adherence_chart(weeks: list[review.WeekAdherence]) -> Chart:
    return Chart(
        kind="adherence",
        title="Adherence per week: the share of the times due that were done",
        axis="Times done of those due",
        ticks=[(BASELINE - _up(share, 100), f"{share}%") for share in (0, 50, 100)],
        weeks=[(_middle(n), week.week_start) for n, week in enumerate(weeks)],
        bars=[
            Bar(week, _middle(n) - BAR / 2, _up(week.rate or 0, 1)) for n, week in enumerate(weeks)
        ],
    )


def _line(side: str, weeks: list[dict[str, Any]]) -> Line:
    marks = [
        Point(week["week_start"], week[side], _middle(n), BASELINE - _up(week[side], 10))
        if week[side] is not None
        else None
        for n, week in enumerate(weeks)
    ]
    runs = [
        " ".join(f"{point.x},{point.y}" for point in run if point)
        for logged, run in groupby(marks, key=bool)
        if logged
    ]
    return Line(side, [mark for mark in marks if mark], runs)


def pain_chart(weeks: list[dict[str, Any]]) -> Chart:
    return Chart(
        kind="pain",
        title="The worst pain per week, 0 to 10, on the left side and on the right",
        axis="Worst pain, 0 to 10",
        ticks=[(BASELINE - _up(pain, 10), str(pain)) for pain in (0, 5, 10)],
        weeks=[(_middle(n), week["week_start"]) for n, week in enumerate(weeks)],
        lines=[_line(side, weeks) for side in ("left", "right")],
    )
