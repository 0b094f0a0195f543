"""Turning prompts and model phrases into comparable tokens.

Prompts and the model's names, synonyms and values go through the same steps
(lowercase, `&` → "and", apostrophes dropped, a light plural stemmer), so "Men's",
"mens" and "men s" meet, and "categories" matches "category".
"""

from __future__ import annotations

import re

BLOCK = "|"  # stands where a time phrase or ranking was cut out, so phrases never span it
_TOKEN = re.compile(r"[a-z0-9]+|\|")
_KEEP_S = ("ss", "us", "is", "ous")


def stem(word: str) -> str:
    """A deliberately small plural stemmer: precise enough for field and value names."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(_KEEP_S):
        return word[:-1]
    return word


def lower_text(text: str) -> str:
    """The prompt as the time and ranking rules read it."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("&", " and ")
    return re.sub(r"(\w)'(\w)", r"\1\2", text)


def raw_tokens(text: str) -> list[str]:
    return _TOKEN.findall(lower_text(text).replace("'", ""))


def tokens(text: str) -> list[str]:
    return [stem(t) for t in raw_tokens(text)]


def phrase(text: str) -> tuple[str, ...]:
    return tuple(tokens(text))


STOP_WORDS = frozenset(
    tokens(
        """a an the of in on at to for from by with and or but is are was were be been being
        do does did have has had what which who whom whose when where why how show me give
        get tell list display find our we us my i you your their its it this that these those
        there here please can could would should will shall may might much many number total
        all any each every per some ok okay now also then so as than vs versus over across
        between during since until till about into out up down just only please see look
        want need know like data report chart table breakdown break split group grouped
        let lets compared compare versus amount value values figure figures overall overview
        generated generate made make placed place bought buy come came did done having get
        got sum count counts many much top bottom best worst most least highest lowest
        biggest largest smallest fewest more less high low big small rank ranked ranking sort
        sorted order ordered descending ascending asc desc first last next latest recent
        current previous prior past day days week weeks month months quarter quarters year
        years today yesterday date time trend trends over time monthly weekly daily yearly
        quarterly annual annually"""
    )
) | {BLOCK}
