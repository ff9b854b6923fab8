"""Places people ask the last question of ("what about London?", "germany
specifically", "and the netherlands or switzerland?").

After an answer on pay or the job market, a follow-up that names a place and
nothing else asks the same question there. The knowledge names few places,
so the engine cannot tell "london" from "football" by its words; this list
can (`Engine.follow_up_tokens`). Countries, regions and the cities people
most often ask about for tech jobs, lower case, one or two words.
"""

from __future__ import annotations

_ONE_WORD = """
    afghanistan albania algeria argentina armenia australia austria azerbaijan bahrain bangladesh belarus belgium
    bolivia bosnia botswana brazil bulgaria cambodia cameroon canada chile china colombia croatia cuba cyprus czechia
    denmark ecuador egypt estonia ethiopia finland france georgia germany ghana greece guatemala honduras hungary
    iceland india indonesia iran iraq ireland israel italy jamaica japan jordan kazakhstan kenya kosovo kuwait latvia
    lebanon lithuania luxembourg malaysia malta mexico moldova mongolia montenegro morocco mozambique myanmar namibia
    nepal netherlands nigeria norway oman pakistan panama paraguay peru philippines poland portugal qatar romania
    russia rwanda senegal serbia singapore slovakia slovenia spain sweden switzerland taiwan tanzania thailand tunisia
    turkey uganda ukraine uruguay uzbekistan venezuela vietnam zambia zimbabwe
    holland britain england scotland wales uk usa america eu uae ksa
    europe asia africa oceania scandinavia nordics benelux dach latam emea apac mena
    amsterdam athens atlanta austin bangalore bengaluru barcelona beijing berlin bogota boston brussels bucharest
    budapest cairo chennai chicago copenhagen dallas delhi denver dubai dublin edinburgh frankfurt geneva hamburg
    helsinki houston hyderabad istanbul jakarta johannesburg karachi kyiv kiev lagos lahore lisbon london madrid
    manchester manila melbourne miami milan montreal moscow mumbai munich nairobi noida oslo paris prague pune
    rotterdam seattle seoul shanghai shenzhen stockholm sydney taipei tallinn tokyo toronto vancouver vienna warsaw
    zurich gurgaon gurugram krakow porto valencia lyon cambridge oxford bristol leeds glasgow belfast cork ottawa
    calgary waterloo montevideo lima santiago
    """
_TWO_WORDS = """
    united states|united kingdom|new zealand|south africa|south korea|saudi arabia|hong kong|sri lanka|costa rica
    new york|san francisco|bay area|silicon valley|los angeles|san diego|san jose|tel aviv|mexico city|sao paulo
    buenos aires|kuala lumpur|cape town|ho chi|abu dhabi|rio de|north america|south america|latin america
    central europe|eastern europe|western europe|southern europe|northern europe|east coast|west coast
    middle east|southeast asia|east asia|south asia|the states|the us|the uk|the eu|the netherlands
    """

PLACES = frozenset(_ONE_WORD.split())
PLACE_PAIRS = frozenset(tuple(p.split()) for p in _TWO_WORDS.replace("\n", "|").split("|") if p.strip())


def place_words(words: list[str]) -> set[int]:
    """The positions in `words` (lower case) of the words that name a place."""
    out: set[int] = set()
    for i, w in enumerate(words):
        if w in PLACES:
            out.add(i)
        if i + 1 < len(words) and (w, words[i + 1]) in PLACE_PAIRS:
            out.update((i, i + 1))
    return out
