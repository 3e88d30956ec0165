"""An upload answers from the sets it just wrote by filling in the ORM's prefetch cache
(sessions.services._with_sets), which is private to Django: these fail when an upgrade
changes how Django keeps a prefetch, before any answer goes wrong."""

from datetime import UTC, datetime

import pytest
from django.db.models import prefetch_related_objects

from sessions import services
from sessions.models import WorkoutSession
from tests.factories import ExerciseFactory, UserFactory

pytestmark = pytest.mark.django_db


def _created():
    exercise = ExerciseFactory()
    data = {
        "started_at": datetime(2026, 11, 26, 7, 30, tzinfo=UTC),
        "sets": [{"exercise": exercise, "side": side, "reps": 10} for side in ("left", "right")],
    }
    return services.session_create(user=UserFactory(), data=data)


def test_djangos_own_prefetch_keeps_what_the_upload_fills_in():
    fresh = WorkoutSession.objects.get(pk=_created().pk)

    prefetch_related_objects([fresh], services.sets_prefetch())

    kept = fresh._prefetched_objects_cache["sets"]
    assert kept._prefetch_done is True
    assert isinstance(kept._result_cache, list)
    assert len(kept._result_cache) == 2


def test_an_uploaded_sessions_sets_are_read_without_a_query(django_assert_num_queries):
    session = _created()

    with django_assert_num_queries(0):
        sets = list(session.sets.all())
        slugs = {s.exercise.slug for s in sets}

    assert [s.side for s in sets] == ["left", "right"]
    assert len(slugs) == 1
    assert session.sets.all()._prefetch_done is True
