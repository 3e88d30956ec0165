import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from exercises import services
from exercises.models import Equipment, Exercise, ExerciseProgression, Muscle

SEED_FILE = Path(__file__).resolve().parents[2] / "seed" / "catalog.json"


class Command(BaseCommand):
    help = (
        "Load the seed catalog (the hip-flexor article's exercises). Adds only what is missing: "
        "rows that already exist, edited by a trainer or not, are left as they are."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--file", type=Path, default=SEED_FILE, help="Seed file (JSON).")

    @transaction.atomic
    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        seed = json.loads(file.read_text(encoding="utf-8"))
        muscles = self._create_missing(Muscle, seed["muscles"])
        equipment = self._create_missing(Equipment, seed["equipment"])

        created: set[str] = set()
        existing = set(Exercise.objects.values_list("slug", flat=True))
        for item in seed["exercises"]:
            if item["slug"] in existing:
                continue
            data = {k: v for k, v in item.items() if k not in {"muscles", "equipment"}}
            data["muscle_links"] = [
                {"muscle": Muscle.objects.get(slug=m["slug"]), "role": m["role"]}
                for m in item.get("muscles", [])
            ]
            data["equipment_links"] = [
                {"equipment": Equipment.objects.get(slug=e["slug"]), "optional": e["optional"]}
                for e in item.get("equipment", [])
            ]
            data.setdefault("published", True)
            services.exercise_create(data=data)
            created.add(item["slug"])

        links = 0
        for link in seed.get("progressions", []):
            # A link between two exercises that were already here is the trainer's call.
            if not created & {link["milder"], link["harder"]}:
                continue
            _, made = ExerciseProgression.objects.get_or_create(
                milder=Exercise.objects.get(slug=link["milder"]),
                harder=Exercise.objects.get(slug=link["harder"]),
            )
            links += made

        self.stdout.write(
            f"Seed catalog: added {len(created)} exercises, {muscles} muscles, "
            f"{equipment} equipment items and {links} progressions; "
            f"left {len(seed['exercises']) - len(created)} existing exercises untouched."
        )

    @staticmethod
    def _create_missing(model: type[Muscle] | type[Equipment], items: list[dict[str, Any]]) -> int:
        existing = set(model.objects.values_list("slug", flat=True))
        missing = [model(**item) for item in items if item["slug"] not in existing]
        model.objects.bulk_create(missing)
        return len(missing)
