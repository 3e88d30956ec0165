"""StrictModelSerializer works its fields out of the model once per class, not per instance."""

import pytest
from rest_framework import serializers

import exercises.serializers
import hipflex_api.accounts.serializers
import sessions.serializers
from hipflex_api.fields import StrictModelSerializer
from sessions.serializers import SetLogSerializer, WorkoutSessionSerializer

MODULES = (exercises.serializers, hipflex_api.accounts.serializers, sessions.serializers)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


PROJECT_SERIALIZERS = sorted(
    {
        sub
        for sub in _subclasses(StrictModelSerializer)
        if sub.__module__.startswith(tuple(module.__name__ for module in MODULES))
    },
    key=lambda sub: sub.__qualname__,
)


def _described(fields):
    return {name: repr(field) for name, field in fields.items()}


def test_every_serializer_module_is_covered():
    assert {sub.__module__ for sub in PROJECT_SERIALIZERS} == {m.__name__ for m in MODULES}


@pytest.mark.django_db
@pytest.mark.parametrize("serializer_class", PROJECT_SERIALIZERS, ids=lambda c: c.__qualname__)
def test_fields_equal_those_drf_builds_for_each_instance(serializer_class):
    serializer_class().fields  # noqa: B018 - the first instance builds the class's fields
    from_template = serializer_class().get_fields()
    built_by_drf = serializers.ModelSerializer.get_fields(serializer_class())

    assert _described(from_template) == _described(built_by_drf)


def test_later_instances_build_nothing_from_the_model(monkeypatch):
    WorkoutSessionSerializer().fields  # noqa: B018
    calls = []
    original = serializers.ModelSerializer.build_field

    def counting(self, *args, **kwargs):
        calls.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(serializers.ModelSerializer, "build_field", counting)
    assert "started_at" in WorkoutSessionSerializer().fields
    assert calls == []


def test_each_instance_has_fields_of_its_own():
    first, second = WorkoutSessionSerializer(), WorkoutSessionSerializer(read_only=True)

    assert first.fields["started_at"] is not second.fields["started_at"]
    assert first.fields["sets"].parent is first
    assert second.fields["sets"].parent is second
    assert first.fields["sets"].child is not second.fields["sets"].child
    first.fields["notes"].max_length = 1
    assert WorkoutSessionSerializer().fields["notes"].max_length == 2000


def test_a_subclass_gets_its_own_fields_not_its_parents():
    SetLogSerializer().fields  # noqa: B018 - the parent's fields are worked out first

    class Annotated(SetLogSerializer):
        remark = serializers.CharField(required=False)

        class Meta(SetLogSerializer.Meta):
            fields = [*SetLogSerializer.Meta.fields, "remark"]

    assert "remark" in Annotated().fields
    assert "remark" not in SetLogSerializer().fields


@pytest.mark.parametrize("method", StrictModelSerializer._FIELD_BUILDERS)
def test_a_subclass_may_not_build_its_fields_per_instance(method):
    with pytest.raises(TypeError, match=f"overrides {method}"):
        type("PerRequest", (SetLogSerializer,), {method: lambda self, *args: {}})
