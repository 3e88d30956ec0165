"""Pain-aware advice: keep an exercise, swap it for its milder option, or move to its harder one.

The article's rule, "if you feel pain, choose a milder option", and its King Runner, a harder
version for when the basic stretch gets easy, applied to what the user logged.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Literal

from django.conf import settings
from django.db.models import F, Prefetch, Window
from django.db.models.functions import DenseRank
from django.utils import timezone

from exercises.models import Exercise
from hipflex_api.accounts.models import User

from .models import SetLog

Action = Literal["keep", "milder", "harder", "caution"]


@dataclass
class _LoggedSession:
    started_at: datetime
    effort: int | None
    pains: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    @property
    def max_pain(self) -> int:
        return max((p for side in self.pains.values() for p in side), default=0)

    def easy(self) -> bool:
        effort = self.effort
        return self.max_pain == 0 and effort is not None and effort <= _config("EASY_EFFORT")


@dataclass(frozen=True)
class Advice:
    exercise: Exercise
    action: Action
    suggested: Exercise | None
    reason: str
    painful_side: str | None
    recent_pain: int | None
    sessions_considered: int


def _config(name: str) -> int:
    return int(settings.COACHING[name])


def _options(exercise_ids: Iterable[int]) -> dict[int, Exercise]:
    published = Exercise.objects.filter(published=True).only(
        "slug", "name", "difficulty", "unilateral"
    )
    exercises = Exercise.objects.filter(pk__in=list(exercise_ids)).prefetch_related(
        # The closest step first: the hardest of the milder, the easiest of the harder.
        Prefetch("milder_options", published.order_by("-difficulty", "name")),
        Prefetch("harder_options", published.order_by("difficulty", "name")),
    )
    return {exercise.pk: exercise for exercise in exercises}


def _history(user: User, exercise_ids: set[int], window: int) -> dict[int, list[_LoggedSession]]:
    """The user's last `window` sessions with each exercise, newest first, in one query."""
    rank = Window(
        DenseRank(),
        partition_by=[F("exercise_id")],
        order_by=[F("session__started_at").desc(), F("session_id").desc()],
    )
    rows = (
        SetLog.objects.filter(
            session__user=user,
            session__deleted_at__isnull=True,
            exercise_id__in=exercise_ids,
            done=True,
        )
        .annotate(session_rank=rank)
        .filter(session_rank__lte=window)
        .values_list(
            "exercise_id",
            "session_rank",
            "session__started_at",
            "session__perceived_effort",
            "side",
            "pain",
        )
        .order_by("exercise_id", "session_rank")
    )
    history: dict[int, dict[int, _LoggedSession]] = defaultdict(dict)
    for exercise_id, session_rank, started_at, effort, side, pain in rows:
        session = history[exercise_id].setdefault(session_rank, _LoggedSession(started_at, effort))
        session.pains[side].append(pain)
    return {key: [sessions[r] for r in sorted(sessions)] for key, sessions in history.items()}


def _recent(sessions: list[_LoggedSession], now: datetime) -> list[_LoggedSession]:
    """The sessions that still count for pain: the latest few, and none older than the
    cut-off, so that one bad day does not keep a user off an exercise for good."""
    cutoff = now - timedelta(days=_config("RECENT_DAYS"))
    return [s for s in sessions[: _config("RECENT_SESSIONS")] if s.started_at >= cutoff]


def _max_pain(sessions: list[_LoggedSession]) -> int | None:
    return max((s.max_pain for s in sessions), default=None)


def _painful_side(recent: list[_LoggedSession], threshold: int) -> str | None:
    """The one side that hurt, when both sides were logged and only one hurt."""
    left = max((p for s in recent for p in s.pains.get("left", [])), default=None)
    right = max((p for s in recent for p in s.pains.get("right", [])), default=None)
    both = max((p for s in recent for p in s.pains.get("both", [])), default=0)
    # A set done on both sides at once that hurt says nothing about which side hurts.
    if left is None or right is None or both >= threshold:
        return None
    if left >= threshold > right:
        return "left"
    if right >= threshold > left:
        return "right"
    return None


def _easy_streak(sessions: list[_LoggedSession]) -> bool:
    streak = sessions[: _config("EASY_SESSIONS")]
    return len(streak) == _config("EASY_SESSIONS") and all(s.easy() for s in streak)


@dataclass
class _Case:
    """One exercise, the user's history with it and its options, as of `now`."""

    exercise: Exercise
    history: dict[int, list[_LoggedSession]]
    now: datetime

    @cached_property
    def sessions(self) -> list[_LoggedSession]:
        return self.history.get(self.exercise.pk, [])

    @cached_property
    def recent(self) -> list[_LoggedSession]:
        return _recent(self.sessions, self.now)

    @cached_property
    def recent_pain(self) -> int | None:
        return _max_pain(self.recent)

    def advice(
        self,
        action: Action,
        reason: str,
        suggested: Exercise | None = None,
        side: str | None = None,
    ) -> Advice:
        return Advice(
            self.exercise, action, suggested, reason, side, self.recent_pain, len(self.sessions)
        )

    def comfortable(self, option: Exercise) -> bool:
        pain = _max_pain(_recent(self.history.get(option.pk, []), self.now))
        return pain is None or pain < _config("PAIN_THRESHOLD")


def _when_it_hurt(case: _Case) -> Advice:
    """Recent sets hurt: the milder option, unless it has been easy since; else caution."""
    threshold = _config("PAIN_THRESHOLD")
    exercise = case.exercise
    side = _painful_side(case.recent, threshold) if exercise.unilateral else None
    where = f" on the {side} side only" if side else ""
    hurt = f"Your recent sets of {exercise.name} hurt{where} (pain {case.recent_pain}/10)."
    milder_options = list(exercise.milder_options.all())
    last_pain = max(s.started_at for s in case.recent if s.max_pain >= threshold)
    for milder in milder_options:
        since = [s for s in case.history.get(milder.pk, []) if s.started_at > last_pain]
        if _easy_streak(since):
            return case.advice(
                "keep",
                f"{hurt} Since then, {milder.name} has been pain-free and easy "
                f"{_config('EASY_SESSIONS')} times: try {exercise.name} again, gently.",
                side=side,
            )
    suggestion = next((m for m in milder_options if case.comfortable(m)), None)
    if suggestion is None:
        why = "It has no milder option" if not milder_options else "Its milder options hurt too"
        return case.advice(
            "caution", f"{hurt} {why}: ease off, or skip it until it stops hurting.", side=side
        )
    return case.advice(
        "milder", f"{hurt} Try the milder {suggestion.name} instead.", suggestion, side
    )


def _when_it_was_easy(case: _Case) -> Advice:
    """Several easy, pain-free sessions in a row: propose a harder option that suits."""
    name = case.exercise.name
    streak = f"Your last {_config('EASY_SESSIONS')} sessions with {name} were pain-free and easy."
    harder = next((h for h in case.exercise.harder_options.all() if case.comfortable(h)), None)
    if harder is None:
        return case.advice("keep", f"{streak} No harder option suits you yet: keep it up.")
    return case.advice("harder", f"{streak} Ready for the harder {harder.name}?", harder)


def _advise(exercise: Exercise, history: dict[int, list[_LoggedSession]], now: datetime) -> Advice:
    case = _Case(exercise, history, now)
    threshold = _config("PAIN_THRESHOLD")
    name = exercise.name
    if not case.sessions:
        return case.advice("keep", f"No sets of {name} logged yet: start as prescribed.")
    if case.recent_pain is not None and case.recent_pain >= threshold:
        return _when_it_hurt(case)
    if _easy_streak(case.sessions):
        return _when_it_was_easy(case)
    if case.recent_pain:
        return case.advice(
            "keep",
            f"Your recent sets of {name} had a little pain ({case.recent_pain}/10), below "
            f"the {threshold}/10 that calls for a milder option: go gently, and switch if it "
            "grows.",
        )
    if not case.recent:
        return case.advice(
            "keep",
            f"No sets of {name} in the last {_config('RECENT_DAYS')} days: "
            "start gently, as prescribed.",
        )
    return case.advice("keep", f"Your recent sets of {name} were pain-free: keep going.")


def advice_for(
    *, user: User, exercise_ids: list[int], now: datetime | None = None
) -> dict[int, Advice]:
    """Advice for each exercise, in a fixed number of queries whatever the history."""
    now = now or timezone.now()
    window = max(_config("RECENT_SESSIONS"), _config("EASY_SESSIONS"))
    exercises = _options(exercise_ids)
    # The options' own history too: never propose an option that hurt.
    related = {
        option.pk
        for exercise in exercises.values()
        for option in [*exercise.milder_options.all(), *exercise.harder_options.all()]
    }
    history = _history(user, set(exercises) | related, window)
    return {pk: _advise(exercise, history, now) for pk, exercise in exercises.items()}
