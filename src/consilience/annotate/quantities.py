"""Quantities: numbers with scale words, currencies, units and qualifiers, normalised.

"200,000 million dollars" and "US $ 200 billion" both become ``amount=2e11,
currency="USD"``; "(S $ 267.5 billion)" right after a figure becomes a
conversion of that figure (``conversion_of``), not a figure of its own.
"""

from __future__ import annotations

import re

from ..model import Quantity, Sentence, sentence_index

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12, "a dozen": 12,
}  # fmt: skip
_SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "mln": 1e6, "billion": 1e9, "bn": 1e9,
    "b": 1e9, "bln": 1e9, "trillion": 1e12, "tn": 1e12, "t": 1e12, "dozen": 12, "hundred": 100,
}  # fmt: skip
_PREFIX_CURRENCIES = {
    "us$": "USD", "u.s.$": "USD", "$us": "USD", "$": "USD", "s$": "SGD", "hk$": "HKD", "a$": "AUD", "au$": "AUD", "c$": "CAD",
    "ca$": "CAD", "nz$": "NZD", "nt$": "TWD", "r$": "BRL", "€": "EUR", "e": "EUR", "£": "GBP", "¥": "JPY",
    "₹": "INR", "₽": "RUB", "rmb": "CNY", "euro": "EUR", "usd": "USD", "eur": "EUR", "gbp": "GBP", "cny": "CNY",
}  # fmt: skip
_SUFFIX_CURRENCIES = {
    "us dollars": "USD", "u.s. dollars": "USD", "dollars": "USD", "dollar": "USD", "euros": "EUR", "euro": "EUR",
    "pounds sterling": "GBP", "pounds": "GBP", "pound": "GBP", "sterling": "GBP", "yuan": "CNY", "renminbi": "CNY",
    "roubles": "RUB", "rubles": "RUB", "rouble": "RUB", "ruble": "RUB", "yen": "JPY", "rupees": "INR",
    "singapore dollars": "SGD", "hong kong dollars": "HKD", "australian dollars": "AUD", "canadian dollars": "CAD",
}  # fmt: skip
_UNITS = {
    "percent": ("percent", 1.0), "per cent": ("percent", 1.0), "%": ("percent", 1.0),
    "percentage points": ("percentage point", 1.0), "km": ("km", 1.0), "kilometres": ("km", 1.0),
    "kilometers": ("km", 1.0), "nautical miles": ("km", 1.852), "miles": ("km", 1.609344), "mile": ("km", 1.609344),
    "metres": ("m", 1.0), "yards": ("m", 0.9144),
    "meters": ("m", 1.0), "feet": ("m", 0.3048), "ft": ("m", 0.3048), "kg": ("kg", 1.0), "kilograms": ("kg", 1.0),
    "tonnes": ("t", 1.0), "tons": ("t", 1.0), "degrees": ("degree", 1.0), "hours": ("hour", 1.0),
    "days": ("day", 1.0), "nights": ("night", 1.0), "weeks": ("week", 1.0), "months": ("month", 1.0), "years": ("year", 1.0),
    "magnitude": ("magnitude", 1.0), "on the richter scale": ("magnitude", 1.0),
}  # fmt: skip
# units in the singular, read only after a hyphen: "a 12-year sentence", "a 30-mile chase" ("a 12-year-old" is an age)
_HYPHEN_UNITS = {
    "year": ("year", 1.0), "month": ("month", 1.0), "week": ("week", 1.0), "day": ("day", 1.0),
    "hour": ("hour", 1.0), "night": ("night", 1.0), "mile": ("km", 1.609344), "kilometre": ("km", 1.0),
    "kilometer": ("km", 1.0), "metre": ("m", 1.0), "meter": ("m", 1.0), "foot": ("m", 0.3048),
}  # fmt: skip
_QUALIFIERS = [
    (re.compile(r"(more than|over|above|upwards of|in excess of|(?:topp|pass|surpass|exceed)(?:ed|es|s)|tops)\s+$",
                re.I), "more-than"),
    (re.compile(r"(at least|no fewer than|no less than|a minimum of)\s+$", re.I), "at-least"),
    (re.compile(r"(less than|fewer than|under|below)\s+$", re.I), "less-than"),
    (re.compile(r"(up to|at most|no more than|a maximum of)\s+$", re.I), "at-most"),
    (re.compile(r"(nearly|almost|about|around|some|roughly|approximately|an estimated|estimated|close to)\s+$", re.I), "approx"),
]  # fmt: skip

# "20,000", and "20, 000" as tokenised text writes it
_NUM = r"\d{1,3}(?:,\s?\d{3}(?!\d))+(?:\.\d+)?|\d+(?:\.\d+)?"
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS_WORDS = "one|two|three|four|five|six|seven|eight|nine"
_WORD_NUM = rf"(?:{_TENS})[\s-]+(?:{_UNITS_WORDS})|" + "|".join(
    sorted((re.escape(w) for w in _NUMBER_WORDS), key=len, reverse=True)
)
_CUR_PREFIX = (
    r"(?<![A-Za-z])(?:(?:US|U\.S\.|S|HK|NZ|NT)\s?\$|(?:A|AU|C|CA|R)\$)|\$\s?US(?=\s?\d)|\$|€|£|¥|₹|₽|\b(?:USD|EUR|GBP|CNY|RMB)\s?|\be(?=\d)|"
    r"\beuro\s?(?=\d)"
)
_SCALE = r"thousand|million|billion|trillion|mln|bln|mn|bn|tn|dozen|hundred|[kmbt](?![a-z])"
_SUFFIX = "|".join(sorted((re.escape(w) for w in [*_SUFFIX_CURRENCIES, *_UNITS]), key=len, reverse=True))
_QUANTITY = re.compile(
    rf"(?P<cur>{_CUR_PREFIX})?\s?(?P<num>{_NUM}|\b(?:{_WORD_NUM})\b)"
    rf"(?:\s?-?\s?(?P<scale>{_SCALE})\b)?(?:\s?-?\s?(?P<suffix>{_SUFFIX})(?![a-z])"
    rf"|\s?-\s?(?P<hyphen_unit>{'|'.join(_HYPHEN_UNITS)})(?![a-z])(?!\s?-\s?old\b))?",
    re.I,
)
_QUAKE_AFTER = re.compile(r"^[\s-]*(?:[a-z]+\s+)?(?:earthquake|quake|tremor|temblor|aftershock)s?\b", re.I)
_MAGNITUDE_BEFORE = re.compile(r"magnitude(?: of)?[\s-]*$", re.I)
_MONTHS = r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?"
_DATE_BEFORE = re.compile(rf"\b({_MONTHS})\.?\s*$", re.I)
_DATE_AFTER = re.compile(
    rf"^(st|nd|rd|th)?\s*(of\s+)?({_MONTHS})\b|^(st|nd|rd|th)\b|^:\d\d|^\s*(a\.m\.|p\.m\.|am\b|pm\b|gmt\b)", re.I
)
_VAGUE_BEFORE = re.compile(r"\b(?:several|a few|few|some|many|multiple|various)\s+$", re.I)
_COUNT_NOUN = re.compile(r"^\s+([a-z]+)(?:\s+([a-z]{3,}))?\b")
_RANGE_AFTER = re.compile(rf"^\s*(?:or|to|-|–)\s*(?:\d|(?:{'|'.join(_NUMBER_WORDS)})\b)", re.I)
_STOP_NOUNS = {"and", "the", "of", "to", "in", "on", "or", "for", "with", "from", "at", "by", "as", "that", "is", "was",
               "were", "are", "have", "has", "had", "a", "an", "per"}  # fmt: skip


_KG_PER_POUND = 0.45359237
_WEIGHT_HEDGES = (
    r"in\s+at|about|approximately|around|nearly|almost|some|roughly|over|more\s+than|less\s+than|under|at\s+least|just"
)
_HEIGHT_BEFORE = re.compile(r"\b(?:foot|feet|inch(?:es)?|tall)(?:\s?-\s?\d{1,2})?\s?,\s*$", re.I)
_WEIGHT_BEFORE = re.compile(rf"\bweigh(?:s|ed|ing|t)?\b(?:\s+(?:{_WEIGHT_HEDGES}))*\s*$", re.I)


def _is_weight(before: str, written: str) -> bool:
    """Pounds as a weight: after "weigh(ing)" or a height ("5-foot-8, 135 pounds"), or as an adjective ("a 200-pound
    man")."""
    return bool(
        _WEIGHT_BEFORE.search(before) or _HEIGHT_BEFORE.search(before) or re.search(r"\d\s?-\s?pound$", written, re.I)
    )


def extract_quantities(text: str, sentences: list[Sentence]) -> list[Quantity]:
    """Every quantity in ``text`` with its sentence index, normalised amount, unit and currency."""
    found: list[Quantity] = []
    for match in _QUANTITY.finditer(text):
        quantity = _to_quantity(text, match, sentences)
        if quantity is None:
            continue
        if found and _is_conversion(text, found[-1], quantity):
            quantity.conversion_of = len(found) - 1
        found.append(quantity)
    return found


def _to_quantity(text: str, match: re.Match[str], sentences: list[Sentence]) -> Quantity | None:
    raw_number = match.group("num")
    currency_prefix = (match.group("cur") or "").replace(" ", "").lower()
    scale_word = (match.group("scale") or "").lower()
    suffix = (match.group("suffix") or "").lower()
    hyphen_unit = (match.group("hyphen_unit") or "").lower()
    is_word = not raw_number[0].isdigit()
    amount = _word_amount(raw_number) if is_word else float(re.sub(r"[,\s]", "", raw_number))
    start, end = match.start(), match.end()
    while start < end and text[start].isspace():
        start += 1
    before = text[max(0, start - 40) : start]
    after = text[end : end + 40]
    if not is_word and re.search(r"(?:foot|feet)\s?-\s?$", before) and (inches := re.match(r"\d{1,2},\s", raw_number)):
        # "5 - foot - 8, 135 pounds" as tokenised text writes a height and a weight: not 8,135 of anything
        weight = _QUANTITY.match(text, match.start("num") + inches.end())
        return _to_quantity(text, weight, sentences) if weight else None
    plain = not (currency_prefix or scale_word or suffix or hyphen_unit)
    if hyphen_unit and re.fullmatch(r"1[5-9]\d\d|20\d\d", raw_number):
        return None  # "the 2010-year budget" names a year
    if not is_word and not currency_prefix and _is_model_name(before):
        return None  # a model name: "AK-47", "AK 47", "F-16", "SEA-ME-WE 4", "SMW4"
    if is_word and raw_number.lower() in ("hundred", "dozen") and _VAGUE_BEFORE.search(before):
        return None  # "several hundred protesters", "a few dozen": no figure to compare
    if not is_word and re.search(r"\d\s?:\s?$", before):
        return None  # the minutes of a clock time
    if plain and not is_word:
        if re.fullmatch(r"1[5-9]\d\d|20\d\d", raw_number) or _DATE_BEFORE.search(before) or _DATE_AFTER.search(after):
            return None  # a year, a day of a month, an ordinal or a clock time: the date stage owns it
        if re.search(r"(\d[-–/.]\s?|\d\s[-–]\s|:)$", before) or re.match(r"^\s?[-–:/]\s?\d", after):
            return None  # a score, a range end or a time ("15-2 run", and "15 - 2 run" as tokenised text has it)
    if scale_word in ("m", "b", "k", "t") and not currency_prefix:
        return None  # "5 m" is metres more often than millions without a currency
    if scale_word:
        amount *= _SCALES[scale_word]
    currency = _PREFIX_CURRENCIES.get(currency_prefix) if currency_prefix else None
    unit: str | None = None
    if suffix in ("pound", "pounds") and not currency_prefix and not scale_word and _is_weight(before, match.group(0)):
        unit, currency = "kg", None  # "weighing 200 pounds", "a 200-pound man": a weight, not sterling
        amount *= _KG_PER_POUND
    elif suffix in _SUFFIX_CURRENCIES:
        currency = currency or _SUFFIX_CURRENCIES[suffix]
        if currency_prefix == "$" and suffix != "dollars":
            currency = _SUFFIX_CURRENCIES[suffix]
    elif suffix in _UNITS:
        unit, factor = _UNITS[suffix]
        amount *= factor
    elif hyphen_unit:
        unit, factor = _HYPHEN_UNITS[hyphen_unit]
        amount *= factor
    if unit is None and currency is None:
        if (
            _MAGNITUDE_BEFORE.search(before)
            or re.match(r"^[\s-]*magnitude", after, re.I)
            or (amount < 10 and "." in raw_number and _QUAKE_AFTER.match(after))
        ):
            unit = "magnitude"
        else:
            noun = _counted_noun(after, singular=amount == 1)
            if noun:
                unit = noun
            elif is_word and not re.match(r"^\s*-\s*years?\s*-\s*old\b", after, re.I):
                return None  # "one" without a counted noun is rarely a figure (but "sixty-year-old" is an age)
    if is_word and re.search(r"\b(the|these|those|both|all)\s+$", before, re.I):
        return None  # "the two countries" refers back, it does not count
    if _RANGE_AFTER.match(after):
        return None  # "three or four robbers", "10 to 12": the upper end is read with the noun, as approximate
    qualifier = "exact"
    if re.search(
        r"\d\s*(?:or|to|-|–)\s*$|\b(?:one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:or|to)\s+$", before, re.I
    ):
        qualifier = "approx"
    for pattern, name in _QUALIFIERS:
        if pattern.search(before):
            qualifier = name
            break
    sentence = sentence_index(sentences, start)
    return Quantity(
        text=text[start:end],
        start=start,
        end=end,
        sentence=sentence,
        amount=amount,
        unit=unit,
        currency=currency,
        qualifier=qualifier,  # type: ignore[arg-type]
    )


def _is_model_name(before: str) -> bool:
    """The number ends a name: glued to letters ("SMW4"), to a capitalised word and a hyphen ("Covid-19", "F-16";
    not "magnitude-5.2"), after capitals and a hyphen ("AK - 47"), or after a short capitalised code and a space
    ("AK 47"), unless the whole context is in capitals (a headline's "OF 12")."""
    if re.search(r"[A-Za-z]$|\b[A-Z][A-Za-z]*-$|\b[A-Z]{1,4}\s?-\s?$", before):
        return True
    code = re.search(r"\b[A-Z]{1,3}\s$", before)
    return code is not None and any(c.islower() for c in before[max(0, code.start() - 20) : code.start()])


# plurals without an s: "three men emptied" counts men (a second word is kept only after a singular noun, "bank workers")
# ("police", "staff" or "crew" are left out: "police officers", "crew members")
_IRREGULAR_PLURALS = frozenset({"people", "men", "women", "children", "personnel", "feet", "cattle", "sheep", "deer"})


def _counted_noun(after: str, singular: bool = False) -> str | None:
    """The noun a bare number counts: "four robbers burst" -> robbers, "three bank workers" -> workers.

    A count of one (``singular``) counts the singular noun right after it: "one protester threw", not "threw".
    """
    match = _COUNT_NOUN.match(after.lower())
    if not match:
        return None
    first, second = match.group(1), match.group(2)
    if (singular and len(first) >= 3 and first not in _STOP_NOUNS) or first in _IRREGULAR_PLURALS:
        return first
    joined = re.match(r"^\s+([a-z]{3,})\s+and\s+([a-z]{3,})\b", after.lower())
    if joined and first.endswith("s") and joined.group(2) not in _STOP_NOUNS and joined.group(2) not in _NUMBER_WORDS:
        return f"{joined.group(1)} and {joined.group(2)}"  # "420 passengers and crew" is not "246 passengers"
    if len(first) >= 3 and first.endswith("s") and first not in _STOP_NOUNS:
        return first
    if second and second not in _STOP_NOUNS and first not in _STOP_NOUNS:
        return second
    if len(first) >= 3 and first not in _STOP_NOUNS:
        return first
    return None


def _word_amount(words: str) -> float:
    """ "twenty-three" -> 23.0, "dozen" -> 12.0."""
    parts = re.split(r"[\s-]+", words.lower())
    if len(parts) == 2 and parts[0] in _NUMBER_WORDS and parts[1] in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[parts[0]] + _NUMBER_WORDS[parts[1]])
    return float(_NUMBER_WORDS[" ".join(parts)])


def _is_conversion(text: str, previous: Quantity, current: Quantity) -> bool:
    """ "X (Y)" or "X, or Y," with both in money or both in one unit family: Y restates X."""
    between = text[previous.end : current.start]
    if not re.fullmatch(r"\s*(\(|,?\s*or\s+|/\s*|,\s*about\s+|\[)\s*", between):
        return False
    if between.strip().startswith("(") and current.currency and previous.currency is None and previous.amount >= 1e6:
        return True  # "110 billion ($143 billion)": the first currency sign was lost, the bracket converts it
    both_money = previous.currency is not None and current.currency is not None
    if both_money and between.strip().startswith("(") and previous.amount != current.amount:
        return True  # "$US1 million ($1.52 million)": a bracketed restatement in another dollar
    return (both_money and previous.currency != current.currency) or (
        previous.unit is not None and previous.unit == current.unit and previous.currency is None
    )
