"""A synthetic SaaS business: plans, customer accounts, subscriptions and monthly invoices.

Accounts sign up over the four years before the as-of date, subscribe to a plan with a
number of seats, may change plan, and may churn. Every subscription is invoiced monthly;
most invoices are paid, some late, a few are still open or void. Every random choice comes
from one `random.Random(seed)` with integer arithmetic, so the same seed and as-of date
give the same rows on any machine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from parley.datasets.tables import Progress, Row, money, write_warehouse

SCHEMA: dict[str, str] = {
    "plans": """
        id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, price_per_seat DECIMAL(10,2) NOT NULL,
        billing VARCHAR NOT NULL""",
    "accounts": """
        id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, country VARCHAR NOT NULL,
        industry VARCHAR, company_size VARCHAR NOT NULL, signup_date DATE NOT NULL,
        status VARCHAR NOT NULL, churn_date DATE, plan_id INTEGER, seats INTEGER NOT NULL""",
    "subscriptions": """
        id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, plan_id INTEGER NOT NULL,
        start_date DATE NOT NULL, end_date DATE, seats INTEGER NOT NULL,
        mrr DECIMAL(10,2) NOT NULL, status VARCHAR NOT NULL, cancel_reason VARCHAR""",
    "invoices": """
        id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, subscription_id INTEGER NOT NULL,
        invoice_date DATE NOT NULL, amount DECIMAL(10,2) NOT NULL, status VARCHAR NOT NULL,
        paid_date DATE, days_to_pay INTEGER""",
}

# (name, price per seat in cents, billing)
PLANS = (
    ("Starter", 1200, "Monthly"),
    ("Team", 2500, "Monthly"),
    ("Business", 4500, "Annual"),
    ("Enterprise", 8000, "Annual"),
)
PLAN_WEIGHTS = (40, 30, 20, 10)
SEATS = {"1-10": (1, 10), "11-50": (5, 40), "51-200": (20, 120), "201-1000": (50, 400)}
SIZE_WEIGHTS = (40, 30, 20, 10)

# Named accounts whose first word no other account shares ("revenue from Acme").
ANCHORS = (
    ("Acme Industries Inc.", "United States", "Manufacturing", "201-1000"),
    ("Globex Corporation", "United States", "Energy", "201-1000"),
    ("Initech Software Ltd", "United Kingdom", "Software", "51-200"),
    ("Umbrella Health Group", "Germany", "Healthcare", "201-1000"),
    ("Hooli Cloud Services", "United States", "Software", "51-200"),
    ("Vandelay Imports LLC", "United States", "Retail", "11-50"),
    ("Stark Robotics GmbH", "Germany", "Manufacturing", "51-200"),
    ("Wonka Foods PLC", "United Kingdom", "Retail", "201-1000"),
    ("Tyrell Biotech Corp.", "Canada", "Healthcare", "51-200"),
    ("Cyberdyne Systems Inc.", "United States", "Software", "201-1000"),
    ("Pemberton Financial Partners", "Australia", "Financial Services", "11-50"),
    ("Soylent Nutrition Co.", "Brazil", "Retail", "11-50"),
)
FIRST_WORDS = [
    "Apex",
    "Arbor",
    "Aurora",
    "Beacon",
    "Bluebird",
    "Brightline",
    "Cascade",
    "Cedar",
    "Cobalt",
    "Copperleaf",
    "Crescent",
    "Delta",
    "Ember",
    "Evergreen",
    "Falcon",
    "Fjord",
    "Foxglove",
    "Granite",
    "Harbor",
    "Helix",
    "Horizon",
    "Ironwood",
    "Juniper",
    "Keystone",
    "Lantern",
    "Lumen",
    "Maple",
    "Meridian",
    "Monarch",
    "Nimbus",
    "Northstar",
    "Oakmont",
    "Orbit",
    "Pinnacle",
    "Prairie",
    "Quarry",
    "Redwood",
    "Sable",
    "Sierra",
    "Silverline",
    "Summit",
    "Tidewater",
    "Trillium",
    "Upland",
    "Vertex",
    "Willow",
    "Zenith",
]
SECOND_WORDS = [
    "Analytics",
    "Foods",
    "Energy",
    "Media",
    "Logistics",
    "Labs",
    "Health",
    "Systems",
    "Partners",
    "Robotics",
    "Software",
    "Capital",
    "Design",
    "Retail",
    "Networks",
    "Consulting",
]
LEGAL = ("Inc.", "Ltd", "LLC", "GmbH", "Corp.", "Group", "PLC", "Co.")
INDUSTRIES = {
    "Analytics": "Software",
    "Foods": "Retail",
    "Energy": "Energy",
    "Media": "Media",
    "Logistics": "Transportation",
    "Labs": "Healthcare",
    "Health": "Healthcare",
    "Systems": "Software",
    "Partners": "Financial Services",
    "Robotics": "Manufacturing",
    "Software": "Software",
    "Capital": "Financial Services",
    "Design": "Media",
    "Retail": "Retail",
    "Networks": "Software",
    "Consulting": "Professional Services",
}
COUNTRIES = {
    "United States": 35,
    "United Kingdom": 12,
    "Germany": 10,
    "Canada": 8,
    "France": 8,
    "Australia": 6,
    "Netherlands": 5,
    "Brazil": 5,
    "India": 6,
    "Japan": 5,
}
CANCEL_REASONS = {
    "Too expensive": 35,
    "Missing features": 25,
    "Switched to competitor": 20,
    "Company closed": 10,
}


@dataclass(frozen=True)
class SaasSize:
    accounts: int = 400


DEFAULT_SIZE = SaasSize()


def build_saas_warehouse(
    path: Path,
    as_of: date,
    seed: int = 42,
    progress: Progress | None = None,
    *,
    size: SaasSize = DEFAULT_SIZE,
) -> None:
    """Write the SaaS warehouse to `path`; nothing in it happens on or after `as_of`."""
    rng = random.Random(seed)
    plans = [(i, name, money(cents), billing) for i, (name, cents, billing) in enumerate(PLANS, 1)]
    accounts, subscriptions, invoices = _accounts(rng, size.accounts, as_of)
    write_warehouse(
        path,
        SCHEMA,
        {
            "plans": plans,
            "accounts": accounts,
            "subscriptions": subscriptions,
            "invoices": invoices,
        },
        progress,
    )


def _names(rng: random.Random, count: int) -> list[tuple[str, str, str | None, str]]:
    """(name, country, industry, company size) for `count` accounts, anchors first."""
    out: list[tuple[str, str, str | None, str]] = list(ANCHORS[:count])
    taken = {a[0] for a in out}
    while len(out) < count:
        second = rng.choice(SECOND_WORDS)
        name = f"{rng.choice(FIRST_WORDS)} {second} {rng.choice(LEGAL)}"
        if name in taken:
            continue
        taken.add(name)
        country = rng.choices(list(COUNTRIES), weights=list(COUNTRIES.values()))[0]
        # Some accounts never told us their industry.
        industry = None if rng.random() < 0.1 else INDUSTRIES[second]
        company_size = rng.choices(list(SEATS), weights=SIZE_WEIGHTS)[0]
        out.append((name, country, industry, company_size))
    # Anchors sign up at random moments too: shuffle them into the list.
    rng.shuffle(out)
    return out


def _accounts(
    rng: random.Random, count: int, as_of: date
) -> tuple[list[Row], list[Row], list[Row]]:
    first_day = as_of - timedelta(days=4 * 365)
    span = (as_of - first_day).days
    signups = sorted(rng.randrange(span) for _ in range(count))
    accounts: list[Row] = []
    subscriptions: list[Row] = []
    invoices: list[Row] = []
    for account_id, (offset, (name, country, industry, company_size)) in enumerate(
        zip(signups, _names(rng, count), strict=True), 1
    ):
        signup = first_day + timedelta(days=offset)
        low, high = SEATS[company_size]
        seats = rng.randint(low, high)
        plan = rng.choices(range(1, len(PLANS) + 1), weights=PLAN_WEIGHTS)[0]
        if company_size in ("201-1000",) and plan < 3:
            plan += 2
        # A 14-day trial first; an account still in trial has no subscription yet.
        start = signup + timedelta(days=14)
        if start >= as_of:
            accounts.append(
                (
                    account_id,
                    name,
                    country,
                    industry,
                    company_size,
                    signup,
                    "Trial",
                    None,
                    None,
                    seats,
                )
            )
            continue
        churn: date | None = None
        if rng.random() < 0.3:
            churn = start + timedelta(days=rng.randint(45, 900))
            if churn >= as_of:
                churn = None
        end_of_life = churn or as_of
        current_start = start
        while True:
            change = current_start + timedelta(days=rng.randint(120, 700))
            last = change >= end_of_life or rng.random() < 0.5
            sub_end = end_of_life if last else change
            price = PLANS[plan - 1][1]
            discount = rng.choice((100, 100, 100, 90, 80))
            mrr_cents = seats * price * discount // 100
            if last and churn is not None:
                status = "Cancelled"
                # Not every churned customer says why.
                reason: str | None = (
                    None
                    if rng.random() < 0.2
                    else rng.choices(list(CANCEL_REASONS), weights=list(CANCEL_REASONS.values()))[0]
                )
            elif last:
                status, reason = "Active", None
            else:
                status, reason = "Changed", None
            sub_id = len(subscriptions) + 1
            subscriptions.append(
                (
                    sub_id,
                    account_id,
                    plan,
                    current_start,
                    None if status == "Active" else sub_end,
                    seats,
                    money(mrr_cents),
                    status,
                    reason,
                )
            )
            invoices.extend(
                _invoices(
                    rng, len(invoices), account_id, sub_id, current_start, sub_end, mrr_cents, as_of
                )
            )
            if last:
                break
            current_start = sub_end
            if rng.random() < 0.7:
                plan = min(plan + 1, len(PLANS))
                seats += rng.randint(1, max(1, seats // 2))
            else:
                plan = max(plan - 1, 1)
                seats = max(1, seats - rng.randint(1, max(1, seats // 3)))
        accounts.append(
            (
                account_id,
                name,
                country,
                industry,
                company_size,
                signup,
                "Churned" if churn else "Active",
                churn,
                plan,
                seats,
            )
        )
    return accounts, subscriptions, invoices


def _invoices(
    rng: random.Random,
    issued: int,
    account_id: int,
    sub_id: int,
    start: date,
    end: date,
    mrr_cents: int,
    as_of: date,
) -> list[Row]:
    rows: list[Row] = []
    month = 0
    while True:
        day = _add_months(start, month)
        if day >= end or day >= as_of:
            return rows
        month += 1
        roll = rng.random()
        if roll < 0.02:
            status, paid = "Void", None
        else:
            wait = rng.choice((0, 1, 2, 3, 5, 7, 10, 14, 21, 30, 45))
            paid = day + timedelta(days=wait)
            status = "Paid"
            if paid >= as_of:
                status, paid = ("Overdue" if (as_of - day).days > 30 else "Open"), None
        rows.append(
            (
                issued + len(rows) + 1,
                account_id,
                sub_id,
                day,
                money(mrr_cents),
                status,
                paid,
                (paid - day).days if paid else None,
            )
        )


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    return date(day.year + year, month + 1, min(day.day, 28))
