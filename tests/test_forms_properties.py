"""Properties of projection over generated data: it never invents a value, never drops a required mapped value,
and gives the same payload every time."""

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from forms_engine.projection import project
from forms_engine.spec import FieldSpec, FormSpec
from tests.forms_fixtures import REFERENCES, forms, issued, items

SCALARS = [key for key, item in items().items() if not item.is_compound]
TEXT = st.text(alphabet="东莞市华信电子ABC0123456789-", min_size=1, max_size=12)


@st.composite
def direct_forms(draw):
    """A form of `item` mappings over scalar items, some required, with data for a random subset of them."""
    keys = draw(st.lists(st.sampled_from(SCALARS), min_size=1, max_size=12, unique=True))
    required = draw(st.lists(st.booleans(), min_size=len(keys), max_size=len(keys)))
    fields = tuple(
        FieldSpec(name=f"字段{i}", transform="item", args={"item": key}, required=req)
        for i, (key, req) in enumerate(zip(keys, required, strict=True))
    )
    present = draw(st.lists(st.sampled_from(keys), unique=True))
    data = {key: draw(TEXT) for key in present}
    return FormSpec(department="NTAX", version=1, title="t", fields=fields), data


@settings(max_examples=200, deadline=None)
@given(direct_forms())
def test_projection_never_invents_and_never_drops(case):
    form, data = case

    result = project(data, form, items())

    for spec in form.fields:
        key = spec.args["item"]
        value = result.payload[spec.name]
        if key in data:
            assert value == data[key]  # delivered exactly as given
            assert spec.name not in result.errors
        else:
            assert value is None  # nothing made up
            assert (spec.name in result.errors) == spec.required


def _prune(data, drop):
    pruned = copy.deepcopy(data)
    for key in drop:
        pruned.pop(key, None)
    return pruned


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["electronics_trader", "restaurant_hotel"]),
    st.sampled_from(sorted(forms())),
    st.lists(st.sampled_from(sorted(items())), unique=True, max_size=8),
)
def test_shipped_forms_are_deterministic_and_only_use_given_data(sample, code, drop):
    data = _prune(issued(sample), drop)
    form = forms()[code]

    first = project(data, form, items(), REFERENCES)
    second = project(copy.deepcopy(data), form, items(), REFERENCES)

    assert first == second
    for spec in form.fields:
        if spec.transform == "item" and not spec.group:
            key = spec.args["item"]
            if "." not in key:
                assert first.payload[spec.name] == (data.get(key) if data.get(key) not in ("", None) else None)
