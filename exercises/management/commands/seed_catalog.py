import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q

from exercises import services
from exercises.models import (
    Equipment,
    Exercise,
    ExerciseProgression,
    Muscle,
    Routine,
    SeedRecord,
)

SEED_FILE = Path(__file__).resolve().parents[2] / "seed" / "catalog.json"


def apply_once(key: str, *, taken: bool, create: Callable[[], Any]) -> bool:
    """Load one seed item unless it was loaded before or its place is already taken.

    Either way the item is recorded, so a later run never brings back what a trainer renamed
    or deleted, and never overwrites what a trainer wrote first.
    """
    _, first_time = SeedRecord.objects.get_or_create(key=key)
    if not first_time or taken:
        return False
    create()
    return True


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
        seed = json.loads(file.read_text(encoding="utf-8"))
        added = {"muscles": 0, "equipment": 0, "exercises": 0, "progressions": 0, "routines": 0}
        for model, section in ((Muscle, "muscles"), (Equipment, "equipment")):
            for item in seed[section]:
                added[section] += apply_once(
                    f"{section}:{item['slug']}",
                    taken=_taken(model, item),
                    create=partial(model.objects.create, **item),
                )
        for item in seed["exercises"]:
            added["exercises"] += apply_once(
                f"exercises:{item['slug']}",
                taken=_taken(Exercise, item),
                create=partial(_create_exercise, item),
            )
        for link in seed.get("progressions", []):
            ends = Exercise.objects.filter(slug__in=[link["milder"], link["harder"]])
            added["progressions"] += apply_once(
                f"progressions:{link['milder']}>{link['harder']}",
                taken=ends.count() != 2,  # A trainer removed or renamed one end.
                create=partial(_link, link["milder"], link["harder"]),
            )
        for routine in seed.get("routines", []):
            added["routines"] += apply_once(
                f"routines:{routine['key']}",
                taken=Routine.objects.filter(owner__isnull=True, name=routine["name"]).exists(),
                create=partial(_create_routine, routine),
            )
        self.stdout.write(
            "Seed catalog: added "
            + ", ".join(f"{count} {section}" for section, count in added.items())
            + "; everything else was loaded before and is left as it is."
        )


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
    fields = {k: routine[k] for k in ("name", "goal", "description")}
    # Published only when every exercise it needs is there and published.
    complete = len(items) == len(routine["items"]) and all(i["exercise"].published for i in items)
    services.routine_create(owner=None, data={**fields, "published": complete, "items": items})


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
    services.exercise_create(data=_exercise_data(item))


def _link(milder: str, harder: str) -> None:
    ExerciseProgression.objects.get_or_create(
        milder=Exercise.objects.get(slug=milder), harder=Exercise.objects.get(slug=harder)
    )
    # Both exercises' pages change: a new catalog version, for ETags, caches and sync.
    for exercise in Exercise.objects.filter(slug__in=[milder, harder]):
        exercise.save(update_fields=["updated_at"])
