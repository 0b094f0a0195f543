"""Which stored values a phrase names when it could name several: a group named by a
shared synonym, a category word that is one value's name and part of others', and one
value held by a table joined twice."""

from __future__ import annotations

from datetime import datetime

import pytest

from parley.assistant.planner import BuiltinPlanner, CannotAnswer, Plan
from parley.assistant.planning.value_choice import root
from parley.assistant.semantic_model import parse_model
from parley.assistant.value_index import ValueIndex

NOW = datetime(2025, 6, 18, 12, 0, 0)

MODEL = """
views:
  tickets:
    table: tickets
    dimensions:
      id: {type: number, primary_key: true, index_values: false}
      kind:
        type: string
        label: Ticket kind
        value_synonyms:
          Leak - Roof: [water damage]
          Leak - Pipe: [water damage]
          Outage: [power]
      team: {type: string}
      opened_on: {type: date, timeframes: [date, month, year]}
      pickup_id: {type: number, index_values: false}
      dropoff_id: {type: number, index_values: false}
    measures:
      tickets: {type: count, label: Tickets}
  pickup_site:
    table: sites
    description: The site a load is brought to for collection.
    dimensions:
      id: {type: number, primary_key: true, index_values: false}
      district: {type: string, label: Pickup district}
    measures: {}
  dropoff_site:
    table: sites
    description: Where the load was delivered.
    dimensions:
      id: {type: number, primary_key: true, index_values: false}
      district: {type: string, label: Dropoff district}
      crew: {type: string, label: Delivery crew}
    measures: {}
topics:
  tickets:
    base_view: tickets
    joins:
      pickup_site: {foreign_key: tickets.pickup_id, primary_key: pickup_site.id}
      dropoff_site: {foreign_key: tickets.dropoff_id, primary_key: dropoff_site.id}
"""

VALUES = {
    "tickets.kind": [
        "Damp",
        "Leak",
        "Leak - Pipe",
        "Leak - Roof",
        "Outage",
        "Pest Bird Control",
        "Pest Control",
    ],
    "tickets.team": ["North", "South"],
    "pickup_site.district": ["Harbour", "Old Town", "Uptown"],
    "dropoff_site.district": ["Harbour", "Old Town", "Uptown"],
    "dropoff_site.crew": ["East", "North"],
}


@pytest.fixture(scope="module")
def planner() -> BuiltinPlanner:
    model = parse_model(MODEL)
    return BuiltinPlanner(model, ValueIndex(model, VALUES))


def ask(planner: BuiltinPlanner, prompt: str) -> Plan:
    outcome = planner.plan(prompt, now=NOW)
    assert isinstance(outcome, Plan), outcome
    return outcome


def asked(planner: BuiltinPlanner, prompt: str) -> CannotAnswer:
    outcome = planner.plan(prompt, now=NOW)
    assert isinstance(outcome, CannotAnswer), outcome
    assert outcome.reason == "ambiguous", outcome
    return outcome


def test_a_synonym_shared_by_several_values_names_them_all(planner: BuiltinPlanner) -> None:
    plan = ask(planner, "How many water damage tickets?")
    assert plan.query.filters == {"tickets.kind": ["Leak - Pipe", "Leak - Roof"]}
    # One number for the group, not a row per value.
    assert plan.query.fields == ["tickets.tickets"]


def test_a_synonym_of_one_value_still_names_that_value(planner: BuiltinPlanner) -> None:
    assert ask(planner, "tickets about power").query.filters == {"tickets.kind": "Outage"}


def test_a_category_word_that_is_also_part_of_other_values_asks_which(
    planner: BuiltinPlanner,
) -> None:
    refusal = asked(planner, "how many leak tickets this year")
    unclear = refusal.unclear[0]
    assert unclear.text == "leak"
    assert set(unclear.candidates) == {
        "Leak (ticket kind)",
        "Leak - Pipe (ticket kind)",
        "Leak - Roof (ticket kind)",
    }


def test_a_value_whose_name_is_in_no_other_value_is_used(planner: BuiltinPlanner) -> None:
    assert ask(planner, "how many damp tickets").query.filters == {"tickets.kind": "Damp"}
    # "Pest Bird Control" holds both words, but not together: not a kind of pest control.
    assert ask(planner, "tickets for pest control").query.filters == {
        "tickets.kind": "Pest Control"
    }


def test_a_value_written_with_its_capitals_is_that_value(planner: BuiltinPlanner) -> None:
    assert ask(planner, "How many Leak tickets?").query.filters == {"tickets.kind": "Leak"}


def test_a_value_synonym_equal_to_the_value_settles_it() -> None:
    settled = MODEL.replace("Outage: [power]", "Outage: [power]\n          Leak: [leak]")
    model = parse_model(settled)
    planner = BuiltinPlanner(model, ValueIndex(model, VALUES))
    assert ask(planner, "how many leak tickets").query.filters == {"tickets.kind": "Leak"}


def test_a_value_in_two_roles_with_nothing_to_choose_asks_which(
    planner: BuiltinPlanner,
) -> None:
    refusal = asked(planner, "how many tickets in Harbour")
    assert set(refusal.unclear[0].candidates) == {
        "Harbour (pickup district)",
        "Harbour (dropoff district)",
    }


@pytest.mark.parametrize(
    ("prompt", "field"),
    [
        ("tickets with a pickup in Uptown", "pickup_site.district"),
        ("tickets delivered to Uptown", "dropoff_site.district"),
        # "to" in the pickup site's description is grammar, not its role.
        ("tickets to Uptown", "dropoff_site.district"),
        ("tickets from Uptown", "pickup_site.district"),
        ("tickets out of Uptown", "pickup_site.district"),
        ("tickets leaving Uptown", "pickup_site.district"),
        ("tickets inbound to Uptown", "dropoff_site.district"),
    ],
)
def test_a_word_of_one_role_chooses_its_field(
    planner: BuiltinPlanner, prompt: str, field: str
) -> None:
    assert ask(planner, prompt).query.filters == {field: "Uptown"}


def test_from_one_value_to_another_filters_each_role(planner: BuiltinPlanner) -> None:
    plan = ask(planner, "How many tickets went from Old Town to Harbour?")
    assert plan.query.filters == {
        "pickup_site.district": "Old Town",
        "dropoff_site.district": "Harbour",
    }
    assert plan.query.fields == ["tickets.tickets"]


def test_root_drops_common_endings() -> None:
    assert {root(w) for w in ("end", "ended", "ending", "ends")} == {"end"}
    assert root("arrived") == root("arrive") == root("arriving")


def test_a_value_joined_to_another_takes_its_field(planner: BuiltinPlanner) -> None:
    plan = ask(planner, "tickets from Old Town or Harbour")
    assert plan.query.filters == {"pickup_site.district": ["Old Town", "Harbour"]}


def test_the_topics_own_field_comes_before_a_joined_one(planner: BuiltinPlanner) -> None:
    assert ask(planner, "tickets for North").query.filters == {"tickets.team": "North"}
    # A word of the joined field's label still chooses it.
    assert ask(planner, "tickets for the North crew").query.filters == {
        "dropoff_site.crew": "North"
    }


AGENCIES = """
views:
  requests:
    table: requests
    dimensions:
      id: {type: number, primary_key: true, index_values: false}
      agency: {type: string}
      office: {type: string, hidden: true}
      borough: {type: string}
    measures:
      requests: {type: count, label: Requests}
  agencies:
    table: agencies
    dimensions:
      agency: {type: string, primary_key: true}
      agency_name: {type: string, label: Agency, synonyms: [department]}
      office: {type: string, label: Head office}
    measures: {}
topics:
  requests:
    base_view: requests
    joins:
      agencies: {foreign_key: requests.agency, primary_key: agencies.agency}
"""


def test_a_label_beats_another_fields_bare_name() -> None:
    model = parse_model(AGENCIES)
    planner = BuiltinPlanner(model, ValueIndex(model, {"requests.borough": ["Bronx"]}))
    plan = ask(planner, "Which agency handled the most requests?")
    assert plan.query.fields == ["agencies.agency_name", "requests.requests"]
    # With no label or synonym on either side, the bare names compete as before.
    assert ask(planner, "requests by borough").query.fields[0] == "requests.borough"


def test_a_hidden_field_is_never_named_but_joins_still_work() -> None:
    model = parse_model(
        AGENCIES.replace("agency: {type: string}", "agency: {type: string, hidden: true}")
    )
    index = ValueIndex(model, {"agencies.office": ["Centre St"]})
    planner = BuiltinPlanner(model, index)
    # "office" names the joined field labelled for it, never the hidden one.
    plan = ask(planner, "requests by office")
    assert plan.query.fields == ["agencies.office", "requests.requests"]
    assert ("office",) in planner.vocabulary.phrases
    assert all(c.field != "requests.office" for c in planner.vocabulary.phrases[("office",)])
    assert ask(planner, "requests by agency").query.fields[0] == "agencies.agency_name"


RIDES = """
views:
  rides:
    table: rides
    dimensions:
      started_at: {type: timestamp, timeframes: [date, week, month, year]}
      weekday_name: {type: string, label: day of week}
      bike: {type: string, label: type of bike}
    measures:
      rides: {type: count, label: Rides}
topics:
  rides: {base_view: rides, default_time_field: rides.started_at}
"""


@pytest.mark.parametrize(
    "prompt",
    [
        "Which day of the week has the most rides?",
        "rides by day of week",
        "rides by day of the week",
    ],
)
def test_a_label_is_read_with_filler_inside_before_a_grain_word(prompt: str) -> None:
    planner = BuiltinPlanner(parse_model(RIDES))
    plan = ask(planner, prompt)
    assert plan.query.fields == ["rides.weekday_name", "rides.rides"]


def test_a_grain_word_alone_is_still_a_grain() -> None:
    planner = BuiltinPlanner(parse_model(RIDES))
    assert ask(planner, "rides per day").query.fields == ["rides.started_at[date]", "rides.rides"]
    assert ask(planner, "rides by type of the bike").query.fields == ["rides.bike", "rides.rides"]


def test_the_word_that_chose_a_role_is_not_reported_unused(planner: BuiltinPlanner) -> None:
    plan = ask(planner, "tickets delivering in Uptown")
    assert plan.query.filters == {"dropoff_site.district": "Uptown"}
    assert "delivering" not in plan.reading
