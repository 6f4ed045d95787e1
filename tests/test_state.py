"""ViewState <-> URL: exact round trip, forgiving reads, canonical writes, hostile input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.schema import AREAS, EVENT_TYPES, REGIONS, ROUTES
from lib.state import Context, ViewState

CTX = Context("2010-01", "2024-12", ("law-30339", "law-30339-protocol", "air-bridge-halt"))
MONTHS = [f"{y}-{m:02d}" for y in range(2010, 2025) for m in range(1, 13)]
PLACES = sorted(set(AREAS) | set(REGIONS))


def sorted_tuple(values):
    return st.lists(st.sampled_from(values), unique=True, max_size=6).map(lambda v: tuple(sorted(v)))


@st.composite
def view_states(draw):
    start = draw(st.sampled_from(MONTHS[:-1]))
    end = draw(st.one_of(st.none(), st.sampled_from([m for m in MONTHS[:-1] if m >= start])))
    month = draw(
        st.one_of(st.none(), st.sampled_from([m for m in MONTHS if start <= m <= (end or MONTHS[-1])]))
    )
    return ViewState(
        start=start,
        end=end,
        month=month,
        areas=draw(sorted_tuple(PLACES)),
        types=draw(sorted_tuple(EVENT_TYPES)),
        routes=draw(sorted_tuple(ROUTES)),
        data=draw(st.sampled_from(["all", "reported", "simulated"])),
        metric=draw(st.sampled_from(EVENT_TYPES)),
        by=draw(st.sampled_from(["area", "region"])),
        policy=draw(st.sampled_from(CTX.policies)),
        window=draw(st.integers(3, 120)),
        treated=draw(sorted_tuple(AREAS)),
        control=draw(sorted_tuple(AREAS)),
        layer=draw(st.sampled_from(["points", "hex"])),
        basemap=draw(st.sampled_from(["carto", "none"])),
        colour=draw(st.sampled_from(["event_type", "route"])),
        page=draw(st.integers(1, 500)),
        shade=draw(st.sampled_from(["events", "destroyed", "coca", "change"])),
        split=draw(st.booleans()),
        lang=draw(st.sampled_from([None, "en", "es"])),
        present=draw(st.booleans()),
    )


@settings(max_examples=300, deadline=None)
@given(view_states())
def test_round_trip_is_exact(state):
    parsed, problems = ViewState.from_query(state.to_query(), CTX)
    assert problems == []
    assert parsed == state
    assert parsed.to_query() == state.to_query()


def test_defaults_are_omitted():
    assert ViewState().to_query() == {}


def test_forgiving_read_and_canonical_write():
    state, problems = ViewState.from_query({"areas": "vraem, HUANUCO ,huánuco", "types": "SEIZURE"}, CTX)
    assert problems == []
    assert state.to_query() == {"areas": "Huánuco,VRAEM", "types": "seizure"}


def test_repeated_parameters_are_read_as_a_list():
    state, problems = ViewState.from_query({"routes": ["river", "air"]}, CTX)
    assert (state.routes, problems) == (("air", "river"), [])


@pytest.mark.parametrize(
    ("params", "param", "code", "field", "value"),
    [
        ({"start": "2014-13"}, "start", "bad_month", "start", "2010-01"),
        ({"end": "2031-01"}, "end", "after_data", "end", None),
        ({"areas": "Atlantis"}, "areas", "unknown_value", "areas", ()),
        ({"areas": "VRAEM,Atlantis"}, "areas", "unknown_value", "areas", ("VRAEM",)),
        ({"areas": ",".join(["VRAEM"] * 100)}, "areas", "too_many", "areas", ()),
        ({"areas": ",".join(["VRAEM"] * 10_000)}, "areas", "too_long", "areas", ()),
        ({"types": "1; DROP TABLE events"}, "types", "unknown_value", "types", ()),
        ({"data": "<script>alert(1)</script>"}, "data", "unknown_value", "data", "all"),
        ({"window": "abc"}, "window", "bad_number", "window", 24),
        ({"window": "1000"}, "window", "out_of_range", "window", 120),
        ({"policy": "law-99999"}, "policy", "unknown_value", "policy", "law-30339"),
        ({"page": "-3"}, "page", "out_of_range", "page", 1),
        ({"start": "2020-01", "end": "2015-01"}, "start", "swapped", "start", "2015-01"),
        ({"present": "maybe"}, "present", "unknown_value", "present", False),
        ({"lang": "fr"}, "lang", "unknown_value", "lang", None),
        ({"areas": "x" * 5000}, "areas", "too_long", "areas", ()),
    ],
)
def test_rejected_values_give_a_problem_and_a_default(params, param, code, field, value):
    state, problems = ViewState.from_query(params, CTX)
    assert [(p.param, p.code) for p in problems] == [(param, code)]
    assert getattr(state, field) == value


def test_end_at_the_last_month_is_written_as_latest():
    state, _ = ViewState.from_query({"end": "2024-12"}, CTX)
    assert state.end is None and state.to_query() == {}


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "start",
                "end",
                "areas",
                "types",
                "routes",
                "data",
                "metric",
                "by",
                "policy",
                "window",
                "treated",
                "control",
                "layer",
                "month",
                "page",
                "lang",
                "present",
                "zzz",
            ]
        ),
        st.text(max_size=80),
    )
)
def test_any_query_parses_without_raising_and_canonicalises(params):
    state, problems = ViewState.from_query(params, CTX)
    again, more = ViewState.from_query(state.to_query(), CTX)
    assert again == state and more == []
    assert all(p.param in params for p in problems)
