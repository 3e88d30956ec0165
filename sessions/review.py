"""What a trainer watches of their clients: adherence, the last session, the worst recent pain
by side, the flags that call for attention, and the changes to programs the system proposes
(the trainer decides). Read for a page of clients in a fixed number of queries, whatever the
number of clients, sessions or programs."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import TruncWeek
from django.utils import timezone

from exercises.models import Exercise
from hipflex_api.accounts.auth import user_with_versions
from hipflex_api.accounts.models import CoachingLink

from .adherence import Adherence, Ledger, ledger, programs_of
from .models import (
    Acknowledgement,
    Assignment,
    AssignmentItem,
    Flag,
    ProposalDecision,
    SetLog,
    WorkoutSession,
)
from .stats import as_date

SIDES = tuple(SetLog.Side.values)
# Most urgent first.
_URGENCY = [Flag.PAIN, Flag.MISSED, Flag.LOW_ADHERENCE, Flag.INACTIVE]


def _config(name: str) -> Any:
    return settings.REVIEW[name]


def clients_version(trainer: Any, now: datetime | None = None) -> str:
    """What the trainer's client list and review queue are made from: the trainer's own
    change number (acknowledgements and decisions), the catalog's, their links' (a link
    started or ended), the sum of their clients' (sessions and programs), and the hour, since
    flags follow the clock (a time due becomes a time missed at the client's midnight).

    Read with the user row when a coaching view authenticated (accounts.auth), else in one
    query of its own."""
    if not hasattr(trainer, "clients_changes"):
        trainer = user_with_versions(trainer.pk, coaching=True)
    hour = (now or timezone.now()).strftime("%Y%m%d%H")
    return (
        f"coaching:{trainer.pk}:{trainer.user_changes}:{trainer.catalog_changes}"
        f":{trainer.links_changes}:{trainer.clients_changes}:{hour}"
    )


def with_last_session(links: QuerySet[CoachingLink]) -> QuerySet[CoachingLink]:
    """The links with their client and the start of the client's latest session, read
    through the session index in the same query."""
    latest = (
        WorkoutSession.objects.live()
        .filter(user=OuterRef("client"))
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    return links.select_related("client").annotate(last_session_at=Subquery(latest))


@dataclass(frozen=True)
class ClientFlag:
    link: CoachingLink
    reason: Flag
    sides: list[str]  # For pain: the sides that hurt.
    since: datetime
    latest: datetime  # What an acknowledgement must be newer than to hide it.
    severity: int  # Pain's score, or the times missed; higher is more urgent.
    detail: str

    @property
    def urgency(self) -> tuple[int, int, datetime]:
        return (_URGENCY.index(self.reason), -self.severity, self.since)


@dataclass(frozen=True)
class Proposal:
    assignment: Assignment
    item: AssignmentItem
    kind: Literal["milder", "harder"]
    suggested: Exercise
    side: str | None
    reason: str


@dataclass(frozen=True)
class ClientSummary:
    link: CoachingLink
    last_7_days: Adherence
    last_28_days: Adherence
    last_session_at: datetime | None
    worst_pain: dict[str, int | None]  # By side, over REVIEW["PAIN_DAYS"].
    flags: list[ClientFlag]  # Open ones, most urgent first.
    proposals: list[Proposal]

    @property
    def urgent(self) -> ClientFlag | None:
        return self.flags[0] if self.flags else None


@dataclass
class _Pain:
    """A client's pain with one exercise on one side, over REVIEW["PROGRESS_DAYS"]."""

    worst: int = 0
    worst_recent: int | None = None  # Over REVIEW["PAIN_DAYS"].
    first_painful: datetime | None = None  # Recent, at or above the review threshold.
    last_painful: datetime | None = None  # The last change the server got of those.
    last_session: datetime | None = None  # The last change the server got of any.


def _pains(client_ids: list[int], now: datetime) -> dict[tuple[int, int, str], _Pain]:
    """Per client, exercise and side, in one query."""
    recent = Q(session__started_at__gte=now - timedelta(days=_config("PAIN_DAYS")))
    painful = recent & Q(pain__gte=_config("PAIN_THRESHOLD"))
    rows = (
        SetLog.objects.filter(
            session__user_id__in=client_ids,
            session__deleted_at__isnull=True,
            session__started_at__gte=now - timedelta(days=_config("PROGRESS_DAYS")),
            done=True,
        )
        .values_list("session__user_id", "exercise_id", "side")
        .annotate(
            worst=Max("pain"),
            worst_recent=Max("pain", filter=recent),
            first_painful=Min("session__started_at", filter=painful),
            # When the server last heard of it, not when it happened: a session uploaded
            # late (offline for days) is news to an acknowledgement or a decision.
            last_painful=Max("session__updated_at", filter=painful),
            last_session=Max("session__updated_at"),
        )
        .order_by()
    )
    return {(user, exercise, side): _Pain(*rest) for user, exercise, side, *rest in rows}


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone).astimezone(UTC)


@dataclass
class _Client:
    """What the summary of one client is made from."""

    link: CoachingLink
    now: datetime
    book: Ledger
    pains: dict[tuple[int, str], _Pain]  # By exercise and side.
    acknowledged: dict[str, datetime]
    options: dict[int, Exercise]
    decisions: list[ProposalDecision]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.link.client.time_zone)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def programs(self) -> list[Assignment]:
        """The programs of this link that stand today: not ended, not past their last day."""
        return [
            a
            for a in self.book.assignments.get(self.link.client_id, [])
            if a.deleted_at is None
            and a.link_id == self.link.pk
            and (a.end_date is None or a.end_date >= self.today)
        ]

    @cached_property
    def last_14_days(self) -> Adherence:
        days = _config("PROGRESS_DAYS")
        return self.book.adherence(self.link.client_id, self.today - timedelta(days=days - 1))

    def summary(self) -> ClientSummary:
        client_id = self.link.client_id
        last_28 = self.book.adherence(client_id, self.today - timedelta(days=27))
        flags = [flag for flag in self._flags(last_28) if self._open(flag)]
        return ClientSummary(
            link=self.link,
            last_7_days=self.book.adherence(client_id, self.today - timedelta(days=6)),
            last_28_days=last_28,
            last_session_at=getattr(self.link, "last_session_at", None),
            worst_pain=self._worst_pain(),
            flags=sorted(flags, key=lambda flag: flag.urgency),
            proposals=[p for program in self.programs() for p in self._proposals(program)],
        )

    def _worst_pain(self) -> dict[str, int | None]:
        worst: dict[str, int | None] = dict.fromkeys(SIDES)
        for (_, side), pain in self.pains.items():
            if pain.worst_recent is not None:
                worst[side] = max(worst[side] or 0, pain.worst_recent)
        return worst

    def _open(self, flag: ClientFlag) -> bool:
        seen = self.acknowledged.get(flag.reason)
        return seen is None or flag.latest > seen

    def _flag(self, reason: Flag, since: datetime, latest: datetime, **rest: Any) -> ClientFlag:
        rest.setdefault("sides", [])
        return ClientFlag(self.link, reason, since=since, latest=latest, **rest)

    def _flags(self, last_28: Adherence) -> Iterable[ClientFlag]:
        yield from self._pain_flags()
        zone = self.zone
        if last_28.missed_in_a_row >= _config("MISSED_IN_A_ROW") and last_28.missed_since:
            yield self._flag(
                Flag.MISSED,
                _midnight(last_28.missed_since, zone),
                _midnight(last_28.missed[-1] + timedelta(days=1), zone),
                severity=last_28.missed_in_a_row,
                detail=f"Missed the last {last_28.missed_in_a_row} times a program was due.",
            )
        days = _config("ADHERENCE_DAYS")
        recent = self.book.adherence(self.link.client_id, self.today - timedelta(days=days - 1))
        if recent.occurrences_planned >= 3 and (recent.rate or 0) < _config("LOW_ADHERENCE"):
            yield self._flag(
                Flag.LOW_ADHERENCE,
                _midnight(recent.missed[0], zone),
                _midnight(recent.missed[-1] + timedelta(days=1), zone),
                severity=recent.occurrences_planned - recent.occurrences_done,
                detail=f"Did {recent.occurrences_done} of {recent.occurrences_planned} times "
                f"due in the last {days} days.",
            )
        yield from self._inactive()

    def _pain_flags(self) -> Iterable[ClientFlag]:
        painful = {
            side: [p for (_, s), p in self.pains.items() if s == side and p.first_painful]
            for side in SIDES
        }
        worst = {side: max(p.worst_recent or 0 for p in ps) for side, ps in painful.items() if ps}
        if not worst:
            return
        named = {"left": "on the left side", "right": "on the right side", "both": "on both sides"}
        where = ", ".join(f"{pain}/10 {named[side]}" for side, pain in worst.items())
        times = [p for ps in painful.values() for p in ps]
        yield self._flag(
            Flag.PAIN,
            min(p.first_painful for p in times if p.first_painful),
            max(p.last_painful for p in times if p.last_painful),
            sides=list(worst),
            severity=max(worst.values()),
            detail=f"Reported pain in the last {_config('PAIN_DAYS')} days: {where}.",
        )

    def _inactive(self) -> Iterable[ClientFlag]:
        programs = [p for p in self.programs() if p.paused_from is None]
        if not programs:
            return
        days = _config("INACTIVE_DAYS")
        # Counted from the last session, or from when a program started or last resumed.
        starts = [
            max([p.start_date, *(date.fromisoformat(resumed) for _, resumed in p.pauses)])
            for p in programs
        ]
        started = _midnight(min(starts), self.zone)
        since = max(getattr(self.link, "last_session_at", None) or self.link.started_at, started)
        if self.now - since >= timedelta(days=days):
            yield self._flag(
                Flag.INACTIVE,
                since,
                since,
                severity=(self.now - since).days,
                detail=f"No session for {(self.now - since).days} days while a program stands.",
            )

    def _declined(self, program: Assignment, item: AssignmentItem, suggested: Exercise) -> bool:
        """Declined already, with no session of the exercise since."""
        last = max(
            (p.last_session for (e, _), p in self.pains.items() if e == item.exercise_id),
            default=None,
            key=lambda when: when or datetime.min.replace(tzinfo=UTC),
        )
        return any(
            d.assignment_id == program.pk
            and d.position == item.position
            and d.suggested_id == suggested.pk
            and (last is None or d.decided_at >= last)
            for d in self.decisions
        )

    def _proposals(self, program: Assignment) -> Iterable[Proposal]:
        for item in program.items.all():
            proposal = self._proposal(program, item)
            if proposal is not None and not self._declined(program, item, proposal.suggested):
                yield proposal

    def _proposal(self, program: Assignment, item: AssignmentItem) -> Proposal | None:
        exercise = self.options.get(item.exercise_id)
        if exercise is None:
            return None
        pains = {s: p for (e, s), p in self.pains.items() if e == item.exercise_id}
        threshold = int(settings.COACHING["PAIN_THRESHOLD"])
        hurt = {s: p.worst_recent for s, p in pains.items() if (p.worst_recent or 0) >= threshold}
        if hurt:
            milder = next(iter(exercise.milder_options.all()), None)
            if milder is None:
                return None
            side, worst = max(hurt.items(), key=lambda entry: entry[1] or 0)
            one_side = side if len(hurt) == 1 and side != "both" else None
            where = f" on the {one_side} side" if one_side else ""
            return Proposal(
                program,
                item,
                "milder",
                milder,
                one_side,
                f"{exercise.name} hurt{where} (pain {worst}/10) in the last "
                f"{_config('PAIN_DAYS')} days: the milder {milder.name} instead.",
            )
        return self._harder(program, item, exercise, pains)

    def _harder(
        self,
        program: Assignment,
        item: AssignmentItem,
        exercise: Exercise,
        pains: dict[str, _Pain],
    ) -> Proposal | None:
        days = _config("PROGRESS_DAYS")
        if (self.today - program.start_date).days < days:
            return None  # Too soon to tell.
        if any(p.worst_recent for p in pains.values()):
            return None  # Never while any pain is recent.
        if any(p.worst > _config("PROGRESS_PAIN") for p in pains.values()):
            return None
        counts = [c for c in self.last_14_days.exercises if c.exercise.pk == item.exercise_id]
        rates = [c.rate for c in counts]
        if not rates or any(r is None or r < _config("PROGRESS_ADHERENCE") for r in rates):
            return None
        harder = next(iter(exercise.harder_options.all()), None)
        if harder is None:
            return None
        done = min(r for r in rates if r is not None)
        return Proposal(
            program,
            item,
            "harder",
            harder,
            None,
            f"{round(done * 100)}% of the sets of {exercise.name} done in the last {days} "
            f"days, without pain above {_config('PROGRESS_PAIN')}/10: ready for the harder "
            f"{harder.name}?",
        )


def _options(exercise_ids: set[int]) -> dict[int, Exercise]:
    published = Exercise.objects.filter(published=True).only("slug", "name", "unilateral")
    return {
        exercise.pk: exercise
        for exercise in Exercise.objects.filter(pk__in=exercise_ids)
        .only("slug", "name", "unilateral")
        .prefetch_related(
            # The closest step first, as advice takes it.
            Prefetch("milder_options", published.order_by("-difficulty", "name")),
            Prefetch("harder_options", published.order_by("difficulty", "name")),
        )
    }


def _books(
    links: list[CoachingLink], now: datetime, days: int
) -> tuple[dict[int, date], list[Assignment], Ledger]:
    today = {
        link.client_id: now.astimezone(ZoneInfo(link.client.time_zone)).date() for link in links
    }
    programs = programs_of(Assignment.objects.filter(link__in=links))
    book = ledger(
        assignments=programs,
        today=today,
        first=min(today.values()) - timedelta(days=days - 1),
        last=max(today.values()),
    )
    return today, programs, book


def summaries(
    *, links: list[CoachingLink], now: datetime | None = None
) -> dict[Any, ClientSummary]:
    """Each link's client summary, by link id: links from with_last_session."""
    return _summaries(links, now or timezone.now(), 28)[0] if links else {}


def _summaries(
    links: list[CoachingLink], now: datetime, days: int
) -> tuple[dict[Any, ClientSummary], Ledger]:
    """The summaries, and the ledger of the last `days` days they were made from."""
    today, programs, book = _books(links, now, days)
    pains: dict[int, dict[tuple[int, str], _Pain]] = defaultdict(dict)
    for (user, exercise, side), pain in _pains(list(today), now).items():
        pains[user][(exercise, side)] = pain
    acknowledged: dict[Any, dict[str, datetime]] = defaultdict(dict)
    for ack in Acknowledgement.objects.filter(link__in=links):
        acknowledged[ack.link_id][ack.reason] = ack.acknowledged_at
    standing = [p for p in programs if p.deleted_at is None]
    options = _options({item.exercise_id for p in standing for item in p.items.all()})
    link_of = {p.pk: p.link_id for p in standing}
    decisions: dict[Any, list[ProposalDecision]] = defaultdict(list)
    for decision in ProposalDecision.objects.filter(assignment__in=standing):
        decisions[link_of[decision.assignment_id]].append(decision)
    made = {
        link.pk: _Client(
            link,
            now,
            book,
            pains[link.client_id],
            acknowledged[link.pk],
            options,
            decisions[link.pk],
        ).summary()
        for link in links
    }
    return made, book


WEEKS = 8


@dataclass(frozen=True)
class WeekAdherence:
    week_start: date
    occurrences_planned: int
    occurrences_done: int
    rate: float | None


@dataclass(frozen=True)
class ClientDetail(ClientSummary):
    adherence_by_week: list[WeekAdherence]
    pain_by_week: list[dict[str, Any]]


def client_detail(*, link: CoachingLink, now: datetime | None = None) -> ClientDetail:
    """The summary of one client with their last eight weeks, week by week: adherence, and
    the worst pain by side. The link from with_last_session."""
    now = now or timezone.now()
    zone = ZoneInfo(link.client.time_zone)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=today.weekday(), weeks=WEEKS - 1)
    made, book = _summaries([link], now, (today - first).days + 1)
    summary = made[link.pk]
    weeks = [first + timedelta(weeks=n) for n in range(WEEKS)]
    by_week = []
    for monday in weeks:
        week = book.adherence(link.client_id, monday, monday + timedelta(days=6))
        by_week.append(
            WeekAdherence(monday, week.occurrences_planned, week.occurrences_done, week.rate)
        )
    return ClientDetail(
        **vars(summary),
        adherence_by_week=by_week,
        pain_by_week=_pain_by_week(link, zone, weeks),
    )


def _pain_by_week(link: CoachingLink, zone: ZoneInfo, weeks: list[date]) -> list[dict[str, Any]]:
    rows = (
        SetLog.objects.filter(
            session__user_id=link.client_id,
            session__deleted_at__isnull=True,
            session__started_at__gte=_midnight(weeks[0], zone),
            done=True,
        )
        .annotate(week=TruncWeek("session__started_at", tzinfo=zone))
        .values_list("week", "side")
        .annotate(worst=Max("pain"))
        .order_by()
    )
    worst: dict[date, dict[str, int]] = defaultdict(dict)
    for week, side, pain in rows:
        worst[as_date(week)][side] = pain
    return [
        {"week_start": monday, **{side: worst[monday].get(side) for side in SIDES}}
        for monday in weeks
    ]
