"""Pain-aware advice: keep an exercise, swap it for its milder option, or move to its harder one.

The article's rule, "if you feel pain, choose a milder option", and its King Runner, a harder
version for when the basic stretch gets easy, applied to what the user logged.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings
from django.db.models import F, Prefetch, Window
from django.db.models.functions import DenseRank

from exercises.models import Exercise
from hipflex_api.accounts.models import User

from .models import SetLog

Action = Literal["keep", "milder", "harder"]


@dataclass
class _LoggedSession:
    effort: int | None
    pains: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    @property
    def max_pain(self) -> int:
        return max((p for side in self.pains.values() for p in side), default=0)


@dataclass(frozen=True)
class Advice:
    exercise: Exercise
    action: Action
    suggested: Exercise | None
    reason: str
    painful_side: str | None
    recent_pain: int | None
    sessions_considered: int


def _options(exercise_ids: Iterable[int]) -> dict[int, Exercise]:
    published = Exercise.objects.filter(published=True).only("slug", "name", "difficulty")
    exercises = Exercise.objects.filter(pk__in=list(exercise_ids)).prefetch_related(
        # The closest step first: the hardest of the milder, the easiest of the harder.
        Prefetch("milder_options", published.order_by("-difficulty", "name")),
        Prefetch("harder_options", published.order_by("difficulty", "name")),
    )
    return {exercise.pk: exercise for exercise in exercises}


def _history(user: User, exercise_ids: list[int], window: int) -> dict[int, list[_LoggedSession]]:
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
        .values_list("exercise_id", "session_rank", "session__perceived_effort", "side", "pain")
        .order_by("exercise_id", "session_rank")
    )
    history: dict[int, dict[int, _LoggedSession]] = defaultdict(dict)
    for exercise_id, session_rank, effort, side, pain in rows:
        session = history[exercise_id].setdefault(session_rank, _LoggedSession(effort=effort))
        session.pains[side].append(pain)
    return {key: [sessions[r] for r in sorted(sessions)] for key, sessions in history.items()}


def _painful_side(recent: list[_LoggedSession], threshold: int) -> str | None:
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


def _advise(exercise: Exercise, sessions: list[_LoggedSession]) -> Advice:
    config = settings.COACHING
    threshold = config["PAIN_THRESHOLD"]
    recent = sessions[: config["RECENT_SESSIONS"]]
    recent_pain = max((s.max_pain for s in recent), default=None)

    def advice(
        action: Action, reason: str, suggested: Exercise | None = None, side: str | None = None
    ) -> Advice:
        return Advice(exercise, action, suggested, reason, side, recent_pain, len(sessions))

    if not sessions:
        return advice("keep", f"No sets of {exercise.name} logged yet: start as prescribed.")
    if recent_pain is not None and recent_pain >= threshold:
        side = _painful_side(recent, threshold) if exercise.unilateral else None
        where = f" on the {side} side only" if side else ""
        hurt = f"Your recent sets of {exercise.name} hurt{where} (pain {recent_pain}/10)."
        milder = next(iter(exercise.milder_options.all()), None)
        if milder is None:
            return advice(
                "keep",
                f"{hurt} It has no milder option: ease off, or skip it until it stops hurting.",
                side=side,
            )
        return advice("milder", f"{hurt} Try the milder {milder.name} instead.", milder, side)
    easy = sessions[: config["EASY_SESSIONS"]]
    if len(easy) == config["EASY_SESSIONS"] and all(
        s.max_pain == 0 and s.effort is not None and s.effort <= config["EASY_EFFORT"] for s in easy
    ):
        streak = f"Your last {len(easy)} sessions with {exercise.name} were pain-free and easy."
        harder = next(iter(exercise.harder_options.all()), None)
        if harder is None:
            return advice("keep", f"{streak} It has no harder option: keep it up.")
        return advice("harder", f"{streak} Ready for the harder {harder.name}.", harder)
    return advice("keep", f"Your recent sets of {exercise.name} went fine: keep going.")


def advice_for(*, user: User, exercise_ids: list[int]) -> dict[int, Advice]:
    """Advice for each exercise, in a fixed number of queries whatever the history."""
    config = settings.COACHING
    window = max(config["RECENT_SESSIONS"], config["EASY_SESSIONS"])
    exercises = _options(exercise_ids)
    history = _history(user, list(exercises), window)
    return {pk: _advise(exercise, history.get(pk, [])) for pk, exercise in exercises.items()}
