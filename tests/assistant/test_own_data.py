"""The planner on warehouses unlike the demo: each class of wrong answer it used to give
confidently is now answered right or refused with what was not understood."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from parley.assistant.compiler import compile_query
from parley.assistant.executor import DuckDBWarehouse
from parley.assistant.planner import BuiltinPlanner, CannotAnswer, Plan
from parley.assistant.planning.implied import event_dates
from parley.assistant.query import SemanticQuery
from tests.assistant import own_data

NOW = datetime(2024, 11, 27, 12, 0, 0)  # a Wednesday


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BuiltinPlanner, Any]]:
    path = tmp_path_factory.mktemp("own") / "own.duckdb"
    own_data.build(path)
    planner, warehouse = own_data.planner(path)
    yield planner, warehouse
    warehouse.close()


def ask(
    own: tuple[BuiltinPlanner, Any], prompt: str, previous: SemanticQuery | None = None
) -> Plan:
    outcome = own[0].plan(prompt, previous=previous, now=NOW)
    assert isinstance(outcome, Plan), outcome
    return outcome


def refused(own: tuple[BuiltinPlanner, Any], prompt: str) -> CannotAnswer:
    outcome = own[0].plan(prompt, now=NOW)
    assert isinstance(outcome, CannotAnswer), outcome
    return outcome


def rows(own: tuple[BuiltinPlanner, Any], query: SemanticQuery) -> list[list[Any]]:
    warehouse: DuckDBWarehouse = own[1]
    return warehouse.execute(compile_query(query, own[0].model, "duckdb")).rows


# 1. A value named by part of its name, or misspelt.


@pytest.mark.parametrize(
    ("prompt", "field", "value"),
    [
        ("Shipments to Springfield", "shipments.destination", "Springfield Regional Intl"),
        ("shipments to springfeld", "shipments.destination", "Springfield Regional Intl"),
        ("Lead time for Acme", "suppliers.name", "Acme Industries Inc."),
        ("lead time of Initeck", "suppliers.name", "Initech Ltd"),
        ("average rent in Bostn", "rentals.city", "Boston"),
    ],
)
def test_a_value_by_part_of_its_name_or_misspelt(
    own: tuple[BuiltinPlanner, Any], prompt: str, field: str, value: str
) -> None:
    plan = ask(own, prompt)
    assert plan.query.filters == {field: value}
    assert value in plan.reading and "I read" in plan.reading


def test_a_plain_word_is_not_read_as_part_of_a_value(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "average rent of new listings")  # a city is "New Haven"
    assert plan.query.filters == {}
    assert "Not used: 'new'" in plan.reading
    assert ask(own, "Average rent in New").query.filters == {"rentals.city": "New Haven"}


def test_a_value_of_a_large_dimension_is_looked_up_in_the_warehouse(
    own: tuple[BuiltinPlanner, Any],
) -> None:
    index = own[0].values
    assert index is not None and "orders.customer" in index.unindexed
    plan = ask(own, "Sales from Zephyr")
    assert plan.query.filters == {"orders.customer": "Zephyr Holdings Ltd"}
    assert rows(own, plan.query)[0][0] > 0


def test_an_unknown_name_is_refused_with_what_was_not_found(
    own: tuple[BuiltinPlanner, Any],
) -> None:
    outcome = refused(own, "Shipments to Gotham")
    assert outcome.reason == "not_understood"
    assert [(u.text, u.kind) for u in outcome.unclear] == [("Gotham", "value")]
    assert "I could not find 'Gotham'" in outcome.message


def test_several_matching_values_ask_which(own: tuple[BuiltinPlanner, Any]) -> None:
    outcome = refused(own, "Shipments via Fastline")
    assert outcome.reason == "ambiguous"
    assert outcome.unclear[0].candidates == (
        "Fastline Express (carrier)",
        "Fastline Freight (carrier)",
    )
    assert "matches more than one value" in outcome.message


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("Sales by customer 01", "01"),  # part of a name, a limit or a threshold: not known
        ("shipments with a delay over 3", "over 3"),
        ("suppliers with a lead time longer than 5", "longer than 5"),
        ("shipments not by Fastline Express", "not"),
        ("average rent higher than Boston", "higher than"),
    ],
)
def test_a_word_that_would_narrow_the_question_is_not_dropped(
    own: tuple[BuiltinPlanner, Any], prompt: str, word: str
) -> None:
    outcome = refused(own, prompt)
    assert (word, "condition") in [(u.text, u.kind) for u in outcome.unclear]
    assert "leaving it out would change the answer" in outcome.message


def test_a_rank_with_nothing_to_list_is_refused(own: tuple[BuiltinPlanner, Any]) -> None:
    # Nothing to list three of: refused as a ranking it cannot apply, not answered as a
    # total of all shipments.
    outcome = refused(own, "top 3 shipments")
    assert any(u.text.startswith("3") for u in outcome.unclear), outcome.unclear


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("share of listings in Boston", "share"),  # a count where a share was asked for
        ("percentage of listings by city", "percentage"),
        ("median rent by city", "median"),  # no measure is a median
    ],
)
def test_a_kind_of_number_no_measure_gives_is_refused(
    own: tuple[BuiltinPlanner, Any], prompt: str, word: str
) -> None:
    outcome = refused(own, prompt)
    assert (word, "condition") in [(u.text, u.kind) for u in outcome.unclear]


def test_a_kind_of_number_the_measure_gives_is_answered(own: tuple[BuiltinPlanner, Any]) -> None:
    # "mean" is the rent measure's own aggregate, though no word of it says so; for a
    # count it is not.
    plan = ask(own, "mean rent by city")
    assert plan.query.fields == ["rentals.city", "rentals.average_rent"]
    assert ("mean", "condition") in [
        (u.text, u.kind) for u in refused(own, "mean listings").unclear
    ]


def test_a_number_naming_what_is_counted_is_reported(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "How many 24 shipments in March 2024?")
    assert "Not used: '24'" in plan.reading
    assert refused(own, "How many shipments over 24 in March 2024?").unclear[0].text == "over 24"


def test_an_applied_negation_is_not_reported_as_unused(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "shipments except Fastline Express")
    assert plan.query.filters == {"shipments.carrier": {"not": "Fastline Express"}}
    assert "Not used" not in plan.reading


# 2. Superlatives whose direction depends on the measure; N kept in every phrasing.


def test_worst_lead_time_is_the_longest_and_keeps_n(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "Which 3 suppliers had the worst lead time?")
    assert plan.query.limit == 3
    assert plan.query.sorts[0].column_name == "suppliers.lead_time"
    assert plan.query.sorts[0].sort_descending is True
    names = [r[0] for r in rows(own, plan.query)]
    assert names == ["Umbrella Supplies", "Initech Ltd", "Globex Corporation"]


@pytest.mark.parametrize(
    ("prompt", "descending"),
    [
        ("best 2 suppliers by lead time", False),
        ("the 2 fastest suppliers by lead time", False),
        ("slowest suppliers by lead time", True),
        ("cheapest suppliers by unit cost", False),
        ("most expensive suppliers by unit cost", True),
        ("worst suppliers by on-time rate", False),  # `better: higher` in the model
        ("best suppliers by on-time rate", True),
    ],
)
def test_direction_of_superlatives(
    own: tuple[BuiltinPlanner, Any], prompt: str, descending: bool
) -> None:
    assert ask(own, prompt).query.sorts[0].sort_descending is descending


# 3. Periods.


def test_first_week_of_a_month(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "shipments in the first week of March 2024")
    assert plan.query.filters == {"shipments.shipped_on": {"gte": "2024-03-01", "lt": "2024-03-08"}}
    assert "1 Mar 2024 to 7 Mar 2024" in plan.reading
    assert rows(own, plan.query) == [[7]]


def test_a_period_that_cannot_be_read_is_refused(own: tuple[BuiltinPlanner, Any]) -> None:
    outcome = refused(own, "shipments in the first fortnight of March 2024")
    assert outcome.unclear[0].kind == "period"


@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("shipments last winter 2023", "winter"),
        ("shipments on weekends in 2024", "weekends"),
        ("shipments on Saturdays in 2024", "saturdays"),
        ("shipments in the evening last month", "evening"),
        ("shipments over the holidays", "holidays"),
        ("shipments this winter", "winter"),
    ],
)
def test_a_time_word_left_unread_is_refused_not_dropped(
    own: tuple[BuiltinPlanner, Any], prompt: str, word: str
) -> None:
    # Answering without it would answer for all time (or the whole year).
    outcome = refused(own, prompt)
    assert [(u.text, u.kind) for u in outcome.unclear] == [(word, "period")]


def test_a_season_is_read_and_said_to_be_meteorological(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "shipments last summer")
    assert plan.query.filters == {"shipments.shipped_on": {"gte": "2024-06-01", "lt": "2024-09-01"}}
    assert "1 Jun 2024 to 31 Aug 2024" in plan.reading
    assert "meteorological season of the Northern Hemisphere (June to August)" in plan.reading


def test_the_past_n_days_say_today_is_left_out(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "shipments in the past 30 days")
    assert plan.query.filters == {"shipments.shipped_on": {"gte": "2024-10-28", "lt": "2024-11-27"}}
    assert "the 30 whole days before today (today left out)" in plan.reading


# 4. One measure when one is asked.


def test_how_many_orders_were_refunded_is_one_column(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "How many orders were refunded?")
    assert len(plan.query.fields) == 1
    assert rows(own, plan.query) == [[200]]


# 5. A follow-up naming a value by part of its name.


def test_follow_up_only_with_part_of_a_name(own: tuple[BuiltinPlanner, Any]) -> None:
    first = ask(own, "Lead time by supplier").query
    only = ask(own, "only Acme", first).query
    assert only.filters == {"suppliers.name": "Acme Industries Inc."}
    assert only.fields == first.fields
    outcome = own[0].plan("only Gotham", previous=first, now=NOW)
    assert isinstance(outcome, CannotAnswer) and outcome.unclear[0].text == "Gotham"


# 6. Empty values out of rankings.


def test_top_products_leave_out_the_empty_product(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "Top 10 products by sales")
    assert plan.query.filters == {"orders.product": {"is_null": False}}
    assert all(r[0] is not None for r in rows(own, plan.query))
    with_empty = ask(own, "Top 10 products by sales including unknown")
    assert "orders.product" not in with_empty.query.filters


# 7. Time kept as a number.


def test_a_fiscal_year_number_filters_and_groups(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "headcount in 2019")
    assert plan.query.filters == {"staff.fiscal_year": 2019}
    assert rows(own, plan.query) == [[2 * (3 * (10 + 2019 % 7) + 0 + 1 + 2)]]
    grouped = ask(own, "attrition in Ireland by year")
    assert grouped.query.fields == ["staff.fiscal_year", "staff.attrition"]
    assert grouped.query.filters == {"staff.country": "Ireland"}
    assert len(rows(own, grouped.query)) == 9
    spanned = ask(own, "headcount from 2016 to 2018")
    assert spanned.query.filters == {"staff.fiscal_year": {"gte": 2016, "lte": 2018}}
    assert isinstance(own[0].plan("headcount last week", now=NOW), CannotAnswer)


# 8. Several values of one dimension.


def test_two_values_of_one_dimension_give_a_row_each(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "Average rent for Denver and Boston")
    assert plan.query.fields == ["rentals.city", "rentals.average_rent"]
    assert plan.query.filters == {"rentals.city": ["Denver", "Boston"]}
    assert sorted(r[0] for r in rows(own, plan.query)) == ["Boston", "Denver"]


# Descriptions, read-back, and words not used.


def test_unused_words_are_reported(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "average rent by city please kindly")
    assert "Not used: 'kindly'" in plan.reading


def test_the_model_can_declare_time_on_a_number(tmp_path: Path) -> None:
    from parley.assistant.semantic_model import ModelError, parse_model

    with pytest.raises(ModelError, match="only a number dimension takes time"):
        parse_model(
            "views:\n  v:\n    table: t\n    dimensions:\n      d: {type: string, time: year}\n"
        )


def test_a_word_of_a_field_description_names_it(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "average rent by flat")  # city: "The city where the flat is let."
    assert plan.query.fields == ["rentals.city", "rentals.average_rent"]
    assert "'flat' as city" in plan.reading


def test_a_state_that_matches_nothing_is_refused(own: tuple[BuiltinPlanner, Any]) -> None:
    outcome = refused(own, "How many shipments were late?")
    assert [(u.text, u.kind) for u in outcome.unclear] == [("late", "value")]


def test_a_verb_that_only_says_a_row_came_to_be_is_not_a_state(
    own: tuple[BuiltinPlanner, Any],
) -> None:
    plan = ask(own, "How many shipments were recorded in March 2024?")
    assert plan.query.filters == {"shipments.shipped_on": {"gte": "2024-03-01", "lt": "2024-04-01"}}
    assert "Not used: 'recorded'" in plan.reading
    # Said of nothing read, it stays a name to find.
    assert refused(own, "How many were recorded in March 2024?").unclear[0].text == "recorded"
    # A state stays a state: refused when no value matches it.
    assert refused(own, "How many orders were dispatched?").unclear[0].text == "dispatched"


@pytest.mark.parametrize("via", ["in through", "in via", "through"])
def test_a_cue_followed_by_a_preposition_passes_it_on(
    own: tuple[BuiltinPlanner, Any], via: str
) -> None:
    plan = ask(own, f"How many shipments came {via} Fastline Express?")
    assert plan.query.filters == {"shipments.carrier": "Fastline Express"}


def test_a_word_of_a_longer_field_name_names_the_field(own: tuple[BuiltinPlanner, Any]) -> None:
    # "shipped" after "were" looks like a state, but it is a word of `shipped_on`.
    plan = ask(own, "How many shipments were shipped in March 2024?")
    assert "'shipped' as shipped on" in plan.reading
    assert plan.query.filters == {"shipments.shipped_on": {"gte": "2024-03-01", "lt": "2024-04-01"}}


# What a question implies without naming it.


def test_fastest_and_cheapest_pick_a_time_and_a_money_measure(
    own: tuple[BuiltinPlanner, Any],
) -> None:
    fastest = ask(own, "Which supplier is the fastest?")
    assert fastest.query.fields == ["suppliers.name", "suppliers.lead_time"]
    assert fastest.query.sorts[0].sort_descending is False and fastest.query.limit == 1
    assert rows(own, fastest.query) == [["Acme Industries Inc.", 5.0]]
    cheapest = ask(own, "Which supplier is cheapest?")
    assert cheapest.query.fields == ["suppliers.name", "suppliers.unit_cost"]
    assert rows(own, cheapest.query) == [["Acme Industries Inc.", 10.0]]


def test_fastest_with_no_time_measure_is_refused(own: tuple[BuiltinPlanner, Any]) -> None:
    outcome = refused(own, "Which destination is the fastest?")
    assert [(u.text, u.kind) for u in outcome.unclear] == [("fastest", "field")]


def test_per_names_the_unit_of_a_comparison_not_a_measure(
    own: tuple[BuiltinPlanner, Any],
) -> None:
    plan = ask(own, "Which product is cheapest per order?")
    assert plan.query.fields == ["orders.product", "orders.average_price"]


def test_a_ranking_with_no_measure_counts_rows(own: tuple[BuiltinPlanner, Any]) -> None:
    # Rentals declare their average rent first; "top neighbourhoods" still counts listings.
    plan = ask(own, "Top 3 neighbourhoods")
    assert plan.query.fields == ["rentals.neighbourhood", "rentals.listings"]
    assert plan.query.limit == 3


def test_a_ranking_by_a_plain_number_is_by_its_measure(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "Top 3 products by amount")
    assert plan.query.fields == ["orders.product", "orders.total_amount"]
    assert plan.query.sorts[0].column_name == "orders.total_amount"


def test_a_period_after_an_event_is_about_that_event(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "How many orders were refunded in March 2024?")
    assert plan.query.filters == {
        "orders.status": "Refunded",
        "orders.refunded_on": {"gte": "2024-03-01", "lt": "2024-04-01"},
    }
    # Without a date of its own, the event falls back to asking which date is meant.
    found = event_dates(own[0].model, "orders.status", "cancelled", "orders cancelled in 2024")
    assert found == ([], ["orders.ordered_on", "orders.refunded_on"])
    assert event_dates(own[0].model, "orders.status", "refunded", "refunded orders") is None


def test_a_field_pinned_to_one_value_is_not_grouped(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "attrition by department in fiscal year 2019")
    assert plan.query.fields == ["staff.department", "staff.attrition"]
    assert plan.query.filters == {"staff.fiscal_year": 2019}


def test_a_phrase_only_partly_a_field_is_refused(own: tuple[BuiltinPlanner, Any]) -> None:
    outcome = refused(own, "Average fuel consumption by city")
    assert [(u.text, u.kind) for u in outcome.unclear] == [("Average fuel consumption", "field")]


def test_a_misspelling_guess_adds_no_second_measure(own: tuple[BuiltinPlanner, Any]) -> None:
    plan = ask(own, "How many listings did we rentt")
    assert plan.query.fields == ["rentals.listings"]
    assert "Not used: 'rentt'" in plan.reading
    # Joined to the measure named, a misspelt measure is a second one asked for.
    both = ask(own, "average rent and lisings")
    assert both.query.fields == ["rentals.average_rent", "rentals.listings"]


def test_a_topic_named_in_the_singular_is_picked() -> None:
    from parley.assistant.semantic_model import parse_model

    model = parse_model(
        """
views:
  stock:
    table: stock
    measures: {n: {type: count, label: Count}}
  licences:
    table: licences
    measures: {n: {type: count, label: Count}}
topics:
  stock: {base_view: stock}
  licences: {base_view: licences}
"""
    )
    planner = BuiltinPlanner(model)
    assert planner.pick_topic("Count per licence") == "licences"
    assert planner.pick_topic("Count of licences") == "licences"
    assert planner.pick_topic("Count") == "stock"


CLAIMS = """
views:
  people:
    table: people
    dimensions:
      id: {type: number, primary_key: true, index_values: false}
      name: {type: string, label: Person, synonyms: [people]}
    measures: {n: {type: count, label: People}}
  claims:
    table: claims
    dimensions:
      person_id: {type: number, index_values: false}
    measures:
      average_days_to_pay: {type: average, sql: days, label: Average days to pay}
topics:
  people: {base_view: people}
  claims:
    base_view: claims
    joins:
      people: {relationship: many_to_one, foreign_key: claims.person_id, primary_key: people.id}
"""


def test_a_short_word_of_a_field_name_in_another_topic_is_read_there() -> None:
    from parley.assistant.semantic_model import parse_model

    planner = BuiltinPlanner(parse_model(CLAIMS))
    # "people" points at the people topic, which cannot read "pay"; claims can.
    assert planner.pick_topic("Which 3 people take the longest to pay?") == "people"
    assert planner.pick_topic("the longest to pay") == "claims"  # a word of a field name
    plan = planner.plan("Which 3 people take the longest to pay?", now=NOW)
    assert isinstance(plan, Plan), plan
    assert plan.topic == "claims"
    assert plan.query.fields == ["people.name", "claims.average_days_to_pay"]
    assert plan.query.sorts[0].sort_descending is True and plan.query.limit == 3
    # A topic asked for explicitly is kept, and refuses what it cannot read.
    kept = planner.plan("Which 3 people take the longest to pay?", topic="people", now=NOW)
    assert isinstance(kept, CannotAnswer)


RIDES = """
views:
  stations:
    table: stations
    dimensions:
      id: {type: number, primary_key: true, index_values: false}
      name: {type: string, label: Station, synonyms: [stations]}
    measures: {station_count: {type: count, label: Stations}}
  rides:
    table: rides
    dimensions:
      station_id: {type: number, index_values: false}
      duration: {type: number, label: Duration, index_values: false}
    measures:
      ride_count: {type: count, label: Rides}
      total_minutes: {type: sum, sql: duration, label: Ride minutes}
topics:
  stations: {base_view: stations}
  rides:
    base_view: rides
    joins:
      stations: {relationship: many_to_one, foreign_key: rides.station_id, primary_key: stations.id}
"""


def test_a_topic_that_leaves_fewer_words_unused_answers() -> None:
    from parley.assistant.semantic_model import parse_model

    planner = BuiltinPlanner(parse_model(RIDES))
    prompt = "Which 5 stations had the most minutes?"
    # "stations" points at the stations topic, which would drop "minutes" and the rank.
    assert planner.pick_topic(prompt) == "stations"
    plan = planner.plan(prompt, now=NOW)
    assert isinstance(plan, Plan), plan
    assert plan.topic == "rides"
    assert plan.query.fields == ["stations.name", "rides.total_minutes"]
    assert plan.query.limit == 5


def test_a_rank_with_nothing_to_rank_is_refused() -> None:
    from parley.assistant.semantic_model import parse_model

    planner = BuiltinPlanner(parse_model(RIDES))
    outcome = planner.plan("ride minutes with the most", now=NOW)
    assert isinstance(outcome, CannotAnswer), outcome
    # Refused as a ranking with nothing to list, not answered as the total.
    assert [u.text for u in outcome.unclear] == ["most"]
