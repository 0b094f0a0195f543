"""Ranking words on a model unlike the demo (a help desk and a ferry line): superlatives of
frequency, durations implied by "longest" or "how long", a measure whose own name holds
a ranking word, and rankings that cannot be applied."""

from __future__ import annotations

from datetime import datetime

import pytest

from parley.assistant.planner import BuiltinPlanner, CannotAnswer, Plan
from parley.assistant.semantic_model import SemanticModel, parse_model
from parley.assistant.value_index import ValueIndex

NOW = datetime(2025, 6, 11, 12, 0, 0)

DESK = """
name: desk
views:
  tickets:
    table: tickets
    dimensions:
      id: {type: number, primary_key: true, index_values: false}
      team: {type: string, label: Team, synonyms: [teams]}
      kind: {type: string, label: Ticket kind}
      opened_at: {type: timestamp, timeframes: [date, month, year]}
    measures:
      ticket_count: {type: count, label: Tickets, synonyms: [tickets, requests, cases]}
      total_hours:
        type: sum
        sql: hours_open
        label: Total hours open
        synonyms: [total time open]
        better: lower
      average_hours:
        type: average
        sql: hours_open
        label: Average time to resolve
        synonyms: [resolution time, time to resolve]
      longest_wait: {type: max, sql: hours_open, label: Longest wait}
      largest_refund: {type: max, sql: refund_amount, label: Largest refund}
      satisfaction: {type: average, sql: score, label: Satisfaction}
      teams_busy: {type: count_distinct, sql: team, label: Teams, synonyms: [teams]}
  agents:
    table: agents
    dimensions:
      id: {type: number, primary_key: true, index_values: false}
      office: {type: string, label: Office}
    measures:
      agent_count: {type: count, label: Agents, synonyms: [agents]}
topics:
  tickets: {base_view: tickets, default_time_field: tickets.opened_at}
  agents: {base_view: agents}
"""

# No time measure at all: a count and a distance.
FERRY = """
name: ferry
views:
  crossings:
    table: crossings
    dimensions:
      route: {type: string, label: Route, synonyms: [routes]}
      sailed_on: {type: date, timeframes: [date, month, year]}
    measures:
      crossing_count: {type: count, label: Crossings, synonyms: [crossings, sailings]}
      passengers: {type: sum, sql: passengers, label: Passengers}
topics:
  crossings: {base_view: crossings, default_time_field: crossings.sailed_on}
"""


def planner(text: str, values: dict[str, list[str]]) -> BuiltinPlanner:
    model: SemanticModel = parse_model(text)
    return BuiltinPlanner(model, ValueIndex(model, values))


@pytest.fixture(scope="module")
def desk() -> BuiltinPlanner:
    return planner(
        DESK,
        {
            "tickets.team": ["Billing", "Hardware", "Network"],
            "tickets.kind": ["Outage", "Password reset", "Refund"],
            "agents.office": ["Cork", "Lisbon"],
        },
    )


@pytest.fixture(scope="module")
def ferry() -> BuiltinPlanner:
    return planner(FERRY, {"crossings.route": ["North Sound", "Harbour Loop"]})


def ask(planner: BuiltinPlanner, prompt: str) -> Plan:
    outcome = planner.plan(prompt, now=NOW)
    assert isinstance(outcome, Plan), outcome
    return outcome


def refused(planner: BuiltinPlanner, prompt: str) -> CannotAnswer:
    outcome = planner.plan(prompt, now=NOW)
    assert isinstance(outcome, CannotAnswer), outcome
    return outcome


def refused_in(planner: BuiltinPlanner, prompt: str, topic: str) -> CannotAnswer:
    outcome = planner.plan(prompt, topic=topic, now=NOW)
    assert isinstance(outcome, CannotAnswer), outcome
    return outcome


def ranked(plan: Plan) -> tuple[list[str], str, bool, int | None]:
    query = plan.query
    assert len(query.sorts) == 1
    return query.fields, query.sorts[0].column_name, query.sorts[0].sort_descending, query.limit


# Superlatives of how often: the row count, in the direction the word says.


@pytest.mark.parametrize(
    ("prompt", "descending", "limit"),
    [
        ("Which team is the busiest?", True, 1),
        ("Which team is quietest?", False, 1),
        ("most common ticket kinds", True, 10),
        ("the 2 least common ticket kinds", False, 2),
        ("Which ticket kind is rarest?", False, 1),
        ("most popular ticket kinds", True, 10),
        ("least popular ticket kinds", False, 10),
        ("most frequent ticket kinds", True, 10),
    ],
)
def test_superlatives_of_frequency_rank_by_the_count(
    desk: BuiltinPlanner, prompt: str, descending: bool, limit: int
) -> None:
    fields, by, down, top = ranked(ask(desk, prompt))
    assert fields[-1] == "tickets.ticket_count" and by == "tickets.ticket_count"
    assert fields[0] in ("tickets.team", "tickets.kind")
    assert (down, top) == (descending, limit)


def test_a_measure_named_beside_a_frequency_superlative_is_ranked(desk: BuiltinPlanner) -> None:
    fields, by, down, _ = ranked(ask(desk, "busiest ticket kinds by total hours open"))
    assert by == "tickets.total_hours" and down is True
    assert fields == ["tickets.kind", "tickets.total_hours"]


def test_a_count_after_a_frequency_superlative_is_not_answered_as_a_total(
    desk: BuiltinPlanner,
) -> None:
    # "teams" is also a count here: with nothing else to list, a refusal, not one number.
    outcome = refused(desk, "most popular teams")
    assert outcome.unclear[0].text == "most popular"


def test_the_noun_after_a_ranked_measure_is_what_is_ranked(desk: BuiltinPlanner) -> None:
    # "teams" is a dimension and a count; after "highest satisfaction" it is the list.
    fields, by, down, top = ranked(ask(desk, "the highest satisfaction teams"))
    assert fields == ["tickets.team", "tickets.satisfaction"]
    assert (by, down, top) == ("tickets.satisfaction", True, 10)


# Durations implied: "longest", "shortest", "take the longest", "how long".


@pytest.mark.parametrize(
    ("prompt", "descending", "limit"),
    [
        ("Which 3 teams take the longest?", True, 3),
        ("Which team is the slowest?", True, 1),
        ("which teams are quickest", False, 10),
        ("Which ticket kind takes the shortest?", False, 1),
    ],
)
def test_a_duration_word_ranks_by_the_one_average_time(
    desk: BuiltinPlanner, prompt: str, descending: bool, limit: int
) -> None:
    plan = ask(desk, prompt)
    # Three measures hold a time; the average compares one team with another.
    fields, by, down, top = ranked(plan)
    assert by == "tickets.average_hours" and fields[-1] == "tickets.average_hours"
    assert (down, top) == (descending, limit)
    assert "take" not in plan.reading


def test_how_long_asks_for_the_duration(desk: BuiltinPlanner) -> None:
    plan = ask(desk, "How long does a Password reset take?")
    assert plan.query.fields == ["tickets.average_hours"]
    assert plan.query.filters == {"tickets.kind": "Password reset"}
    assert plan.query.sorts == []
    assert "Not used" not in plan.reading


def test_a_time_word_never_ranks_a_count_named_as_a_noun(desk: BuiltinPlanner) -> None:
    # "Outage tickets": "tickets" names the count, but only a time can be slow or long.
    for prompt in (
        "Which team is slowest on Outage tickets?",
        "Which 2 teams take the longest on Outage tickets?",
        "How long do Outage tickets take?",
    ):
        plan = ask(desk, prompt)
        assert "tickets.ticket_count" not in plan.query.fields, prompt
        assert plan.query.fields[-1] == "tickets.average_hours", prompt
        assert plan.query.filters.get("tickets.kind") == "Outage", prompt


def test_a_time_measure_named_is_kept(desk: BuiltinPlanner) -> None:
    _, by, down, _ = ranked(ask(desk, "Which team has the longest total hours open?"))
    assert by == "tickets.total_hours" and down is True


def test_a_time_word_with_no_time_measure_is_refused(ferry: BuiltinPlanner) -> None:
    for prompt in (
        "Which route takes the longest?",
        "Which route has the longest crossings?",
        "How long is the North Sound crossing?",
    ):
        outcome = refused(ferry, prompt)
        assert outcome.reason == "not_understood", prompt
        assert outcome.unclear[0].kind == "field", prompt


def test_longest_may_be_a_distance(ferry: BuiltinPlanner) -> None:
    model = parse_model(
        FERRY.replace(
            "passengers: {type: sum, sql: passengers, label: Passengers}",
            "distance: {type: average, sql: nautical_miles, label: Average distance}",
        )
    )
    plan = BuiltinPlanner(model, ValueIndex(model, {})).plan("Which route is the longest?", now=NOW)
    assert isinstance(plan, Plan), plan
    assert ranked(plan)[1:] == ("crossings.distance", True, 1)


# A measure whose own name holds a ranking word is that measure.


def test_a_measures_label_is_read_before_its_ranking_words(desk: BuiltinPlanner) -> None:
    plan = ask(desk, "What was the longest wait in 2024?")
    assert plan.query.fields == ["tickets.longest_wait"]
    assert plan.query.filters == {"tickets.opened_at": {"gte": "2024-01-01", "lt": "2025-01-01"}}
    assert plan.query.limit is None
    plan = ask(desk, "longest wait by team")
    assert plan.query.fields == ["tickets.team", "tickets.longest_wait"]
    # "Refund" is also a ticket kind: read as a ranking word, "largest" would leave a
    # count of refund tickets.
    plan = ask(desk, "What was the largest refund in 2024?")
    assert plan.query.fields == ["tickets.largest_refund"]
    assert "tickets.kind" not in plan.query.filters


# A ranking that cannot be applied is not dropped.


def test_a_ranking_with_nothing_to_list_is_refused(desk: BuiltinPlanner) -> None:
    outcome = refused(desk, "Which 5 had the most tickets in 2024?")
    assert outcome.reason == "not_understood"
    assert outcome.unclear[0].text == "5 … most"
    assert "Team" in outcome.unclear[0].candidates


def test_a_ranking_moves_to_the_topic_that_can_list(desk: BuiltinPlanner) -> None:
    # "agents" names the agents topic's count, but only tickets have a team to rank.
    plan = ask(desk, "Which 3 teams had the most agents?")
    assert plan.topic == "tickets"
    assert ranked(plan)[0][0] == "tickets.team" and plan.query.limit == 3
    # A topic given by the caller is kept: there the ranking is refused, not dropped.
    kept = refused_in(desk, "Which 3 teams had the most agents?", "agents")
    assert kept.unclear[0].text == "3 … most"
    outcome = refused(desk, "the most agents in Cork")
    assert outcome.unclear[0].text == "most"
