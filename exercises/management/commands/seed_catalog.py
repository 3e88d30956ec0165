import json
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q

from exercises import history, services
from exercises.models import (
    Equipment,
    Exercise,
    ExerciseProgression,
    Muscle,
    Routine,
    SeedRecord,
)

SEED_FILE = Path(__file__).resolve().parents[2] / "seed" / "catalog.json"
# The comment of the first version of each item it adds: one revision per item, so that
# reverting one never brings back the others.
SEEDED = "Added by the seed command."

# What became of one seed item in a run.
ADDED, LOADED_BEFORE, LEFT_OUT = "added", "loaded before", "left out"
# Each section of the seed file, as the summary counts it.
NOUNS = {
    "muscles": ("muscle", "muscles"),
    "equipment": ("piece of equipment", "pieces of equipment"),
    "exercises": ("exercise", "exercises"),
    "progressions": ("progression", "progressions"),
    "routines": ("routine", "routines"),
}


def apply_once(key: str, *, taken: bool, create: Callable[[], Any]) -> str:
    """Load one seed item unless it was loaded before or its place is already taken; which.

    Either way the item is recorded, so a later run never brings back what a trainer renamed
    or deleted, and never overwrites what a trainer wrote first.
    """
    _, first_time = SeedRecord.objects.get_or_create(key=key)
    if not first_time:
        return LOADED_BEFORE
    if taken:
        return LEFT_OUT
    create()
    return ADDED


def _listing(counts: Counter[tuple[str, str]], outcome: str) -> str:
    """The sections with items of this outcome, as in "4 muscles, 1 exercise and 1 routine"."""
    parts = [
        f"{n} {NOUNS[section][n != 1]}" for section in NOUNS if (n := counts[section, outcome])
    ]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def summary(counts: Counter[tuple[str, str]]) -> str:
    """One line saying what a run added, what it left out, and what earlier runs had loaded."""
    added, left_out = _listing(counts, ADDED), _listing(counts, LEFT_OUT)
    before = sum(n for (_, outcome), n in counts.items() if outcome == LOADED_BEFORE)
    clauses = [f"added {added}" if added else "nothing new to add"]
    if left_out:
        clauses.append(f"left out {left_out}, as a trainer's own edits are in their place")
    if before == 1:
        clauses.append("1 item loaded before is left as it is")
    elif before:
        clauses.append(f"{before} items loaded before are left as they are")
    return "Seed catalog: " + "; ".join(clauses) + "."


def _taken(model: type[Muscle | Equipment | Exercise], item: dict[str, Any]) -> bool:
    return model.objects.filter(Q(slug=item["slug"]) | Q(name=item["name"])).exists()


class Command(BaseCommand):
    help = (
        "Load the seed catalog (the hip-flexor article's exercises and routine). Each item is "
        "loaded once: "
        "what a trainer has since edited, renamed or deleted is left as it is."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--file", type=Path, default=SEED_FILE, help="Seed file (JSON).")

    @transaction.atomic
    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        self._load(json.loads(file.read_text(encoding="utf-8")), options)

    def _load(self, seed: dict[str, Any], options: dict[str, Any]) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        for model, section in ((Muscle, "muscles"), (Equipment, "equipment")):
            for item in seed[section]:
                self._once(
                    section,
                    item["slug"],
                    taken=_taken(model, item),
                    create=partial(model.objects.create, **item),
                )
        for item in seed["exercises"]:
            self._once(
                "exercises",
                item["slug"],
                taken=_taken(Exercise, item),
                create=partial(_create_exercise, item),
            )
        for link in seed.get("progressions", []):
            ends = Exercise.objects.filter(slug__in=[link["milder"], link["harder"]])
            self._once(
                "progressions",
                f"{link['milder']}>{link['harder']}",
                taken=ends.count() != 2,  # A trainer removed or renamed one end.
                create=partial(_link, link["milder"], link["harder"]),
            )
        for routine in seed.get("routines", []):
            self._once(
                "routines",
                routine["key"],
                taken=Routine.objects.filter(owner__isnull=True, name=routine["name"]).exists(),
                create=partial(_create_routine, routine),
            )
        if options["verbosity"]:
            self.stdout.write(summary(self.counts))

    def _once(self, section: str, key: str, *, taken: bool, create: Callable[[], Any]) -> None:
        outcome = apply_once(f"{section}:{key}", taken=taken, create=create)
        self.counts[section, outcome] += 1


def _create_routine(routine: dict[str, Any]) -> None:
    exercises = Exercise.objects.in_bulk(
        [item["exercise"] for item in routine["items"]], field_name="slug"
    )
    # An exercise a trainer has removed is left out of the routine, not brought back.
    items = [
        {**item, "exercise": exercises[item["exercise"]]}
        for item in routine["items"]
        if item["exercise"] in exercises
    ]
    fields = {k: routine[k] for k in ("name", "goal", "description", "program_weeks")}
    # Published only when every exercise it needs is there and published.
    complete = len(items) == len(routine["items"]) and all(i["exercise"].published for i in items)
    created = services.routine_create(
        owner=None, data={**fields, "published": complete, "items": items}
    )
    history.record(created, user=None, comment=SEEDED)


def _exercise_data(item: dict[str, Any]) -> dict[str, Any]:
    # A muscle or piece of equipment a trainer has removed is left out, not brought back.
    muscles = Muscle.objects.in_bulk([m["slug"] for m in item["muscles"]], field_name="slug")
    kit = Equipment.objects.in_bulk([e["slug"] for e in item["equipment"]], field_name="slug")
    data = {k: v for k, v in item.items() if k not in {"muscles", "equipment"}}
    data["muscle_links"] = [
        {"muscle": muscles[m["slug"]], "role": m["role"]}
        for m in item["muscles"]
        if m["slug"] in muscles
    ]
    data["equipment_links"] = [
        {"equipment": kit[e["slug"]], "optional": e["optional"]}
        for e in item["equipment"]
        if e["slug"] in kit
    ]
    data.setdefault("published", True)
    return data


def _create_exercise(item: dict[str, Any]) -> None:
    services.exercise_create(data=_exercise_data(item), comment=SEEDED)


def _link(milder: str, harder: str) -> None:
    ExerciseProgression.objects.get_or_create(
        milder=Exercise.objects.get(slug=milder), harder=Exercise.objects.get(slug=harder)
    )
    # Both exercises' pages change: a new catalog version, for ETags, caches and sync.
    for exercise in Exercise.objects.filter(slug__in=[milder, harder]):
        exercise.save(update_fields=["updated_at"])
        history.record(exercise, user=None, comment="Given its option by the seed command.")
