"""Fact-level comparison: normalisation, slots, labels, regressions and the gold-set evaluation.

Sentences are quoted from the development datasets (ECB+, BASIL) in ../shared/datasets.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from consilience.annotate import annotate_articles
from consilience.annotate.quantities import extract_quantities
from consilience.annotate.slots import assign_slots
from consilience.cli import EXIT_INPUT, main
from consilience.compare import compare_story
from consilience.evaluate.comparison import DRAWN_LABELS, ITEM_TYPES
from consilience.model import Article, FactStatus, Quantity, Sentence, Story, StoryComparison

from .conftest import DATASETS, REPO

GOLD = REPO / "eval" / "comparison-gold.json"


def _figures(text: str) -> list[Quantity]:
    sentences = [Sentence(0, 0, len(text), text)]
    quantities = extract_quantities(text, sentences)
    assign_slots(text, quantities, sentences=sentences)
    return [q for q in quantities if q.conversion_of is None]


def _compare(*texts: str, published: list[dt.datetime] | None = None) -> StoryComparison:
    articles = [
        Article(id=f"a{n}", text=text, published=published[n] if published else None) for n, text in enumerate(texts)
    ]
    annotate_articles(articles)
    return compare_story(Story(id="s", articles=[a.id for a in articles]), articles)


def _by_status(result: StoryComparison, status: FactStatus) -> list[str]:
    return [f"{f.slot}: {f.conflict}" for f in result.facts if f.status == status]


# normalisation


@pytest.mark.parametrize(
    ("text", "amount", "measure"),
    [
        ("another 20, 000 people marched through the city center", 20000, "count"),  # tokenised thousands
        ('"Twenty-three personnel (12 Somali and 11 Yemeni) surrendered on boarding', 23, "count"),
        ("a euro110 billion ($141 billion) loan package", 1.1e11, "money:EUR"),
        ("Robbers in drag steal e80 million from Paris diamond store", 8e7, "money:EUR"),
        ("Iran's state television says a magnitude-5.2 quake has injured three people", 5.2, "magnitude"),
        ("Earlier on Sunday a 5.6 quake jolted the island", 5.6, "magnitude"),
        ("chased him for 30 miles", 30 * 1.609344, "km"),
        ("Gigante was serving a 12 - year sentence for a racketeering conspiracy conviction", 12, "year"),
        ("led police on a 20-mile chase", 20 * 1.609344, "km"),
        # drawn pairs: a man's weight was corroborated as "£200"
        ("Described as weighing approximately 200 pounds, Lyons warned", 200 * 0.45359237, "kg"),
        ("Comeaux, a 200 - pound black male, was serving a life sentence", 200 * 0.45359237, "kg"),
        ("a 6-foot man", 6 * 0.3048, "m"),
        # ...and a tokenised height and weight was "8, 135 pounds", £8,135
        ("Deputies said that Orozco is 5 - foot - 8, 135 pounds, with tattoos", 135 * 0.45359237, "kg"),
        ("The thieves took 200 pounds from the till", 200, "money:GBP"),
    ],
)
def test_quantities_normalised(text: str, amount: float, measure: str) -> None:
    first = _figures(text)[0]
    assert first.amount == pytest.approx(amount)
    assert first.measure == measure


def test_a_bracketed_dollar_figure_converts_a_figure_whose_currency_sign_was_lost() -> None:
    text = "since agreeing a ? 110 - billion ($143 - billion) EU and IMF debt bailout"
    quantities = extract_quantities(text, [Sentence(0, 0, len(text), text)])
    assert [q.conversion_of for q in quantities] == [None, 0]


def test_ranges_model_names_and_tickers_are_not_figures() -> None:
    assert [(q.amount, q.qualifier) for q in _figures("Three or four robbers burst into the store")] == [
        (4.0, "approx")
    ]
    assert _figures("seized seven AK-47 assault rifles") == []
    # ECB+: "AK 47", cable systems "SMW4" and "SEA-ME-WE 4" name things, they do not count them
    assert [q.text for q in _figures("nabbed 26 Somali pirates with six AK 47 rifles, 12 magazines")] == ["26", "12"]
    assert _figures("The cable system that was cut is known as SMW4 cable") == []
    assert _figures("Priority will be to recover the SEA-ME-WE 4 cable") == []
    # ...but a headline in capitals keeps its figures
    assert [q.amount for q in _figures("BROOKLYN MOTHER OF 12 KILLED IN GANG SHOOTING")] == [12]
    # scores as ECB+'s tokenised text writes them were "2 run", "0 lead" and "8 record" corroborated across reports
    assert _figures("to fuel a 15 - 2 run that turned a 47 - 44 Creighton lead") == []
    assert _figures("The Chargers reached the playoffs with an 8 - 8 record.") == []


def test_vague_hundreds_are_not_figures_and_dozens_multiply() -> None:
    """Regression (ECB+): "several hundred protesters" was read as exactly 100 and set against 10,000."""
    assert _figures("Several hundred protesters set up burning barricades and attacked police") == []
    assert [q.amount for q in _figures("some 420 passengers and crew")] == [420]
    # BASIL: "two dozen protesters" is 24, not "two" of something and a dozen
    assert [q.amount for q in _figures("two dozen protesters gathered in a parking lot")] == [24]


def test_allsides_headline_figures() -> None:
    """Regressions from AllSides stories: a disease's name, "topped", "$3.5T" and a change are read right."""
    assert [q.amount for q in _figures("more than 417,000 people have died from Covid-19 in the United States")] == [
        417000
    ]
    (topped,) = _figures("The U.S. death toll topped 183,000.")
    assert topped.qualifier == "more-than"
    (budget,) = _figures("Democrats' next political high-wire act: Selling their $3.5T budget deal.")
    assert (budget.amount, budget.currency) == (3.5e12, "USD")
    (change,) = _figures("China economy shrinks for first time as Wuhan Covid-19 death toll is increased by 1,300.")
    assert change.part
    # "magnitude-5.2" names no model: it stays a magnitude
    assert [q.amount for q in _figures("a magnitude-5.2 quake has injured three people")] == [5.2, 3]


def test_an_approximate_round_figure_admits_a_tenth_either_side() -> None:
    """Regression (AllSides): "about 200,000 arrests" and "over 212,000" are one figure, rounded."""
    result = _compare(
        "Border patrol agents apprehended over 212,000 migrants in July, Mayorkas announced Thursday.",
        "The Border Patrol made about 200,000 arrests at the southern border in July.",
    )
    assert _by_status(result, FactStatus.CONFLICT) == []


def test_the_second_figure_of_a_comparison_counts_the_same_thing() -> None:
    """Regression (BASIL): "six arrests Wednesday, compared to 47 the previous night" gives both nights' arrests,
    so this source does not contradict another's 47 arrests overnight."""
    six, forty_seven = _figures("Johnson said there were six arrests Wednesday, compared to 47 the previous night.")
    assert (six.slot, forty_seven.slot) == ("arrested", "arrested")
    result = _compare(
        "Johnson said there were six arrests Wednesday, compared to 47 the previous night.",
        "Still, the police did make 47 arrests overnight.",
    )
    assert _by_status(result, FactStatus.CONFLICT) == []


# slots


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("killing at least seven people and injuring 40, 15 of them on Qeshm.", [("killed", False), ("injured", False),
                                                                               (None, True)]),
        ("Quake hits island off south Iran, five hurt : media.", [("injured", False)]),
        ("Riots left three bank workers dead and engulfed the streets", [("killed", False)]),
        ("A Michigan man shot to death one person and injured two others Monday", [("killed", False),
                                                                                  ("injured", False)]),
        ("Police said two women and one man died at a branch of the bank", [("women", True), ("killed", True)]),
        ("The Indian navy captured 23 pirates who threatened a merchant vessel", [("arrested", False)]),
        ("Esther Williams, Olympic swimmer turned actress and pinup girl, dies at 91.", [("age", False)]),
        ("Vincent Gigante, who died yesterday in federal prison at 77, was the boss", [("age", False)]),
        ("said 61 - year - old Anargyros Bizianis", [("age", False)]),
        ("Report : Red Sox offer Teixeira $200 million.", [("offer", False)]),
        ("Qeshm, located 1, 150 kilometers (700 miles) southeast of Tehran", [("distance", False)]),
        ("Both are charged with murder, with Lopez standing accused of letting off 13 shots in Horton's death.",
         [("shot", False)]),
        ("Brooklyn Mother of 13 Zurana Horton shot and killed in a gang shooting", [("children", False)]),
        ("some 420 passengers and crew", [("passengers and crew", False)]),
        # ECB+ audit of corroborated facts: an apposition between the count and its predicate; a count of one and an
        # irregular plural count the noun after them ("threw" and "emptied" were counted)
        ("Police said at least three people, a man and two women, were killed in the fire - bomb attack.",
         [("killed", False), ("women", True)]),
        ("During the unrest, one protester threw a petrol bomb.", [("protester", False)]),
        ("In December 2008, three men emptied almost all of the stock of gems", [("men", False)]),
        ("Ty Lawson posted 16 points and eight assists in the win.", [("point", True), ("assist", True)]),
    ],
)  # fmt: skip
def test_slots(text: str, expected: list[tuple[str, bool]]) -> None:
    assert [(q.slot, q.part) for q in _figures(text)] == expected


def test_a_hyphenated_age_stays_an_age() -> None:
    (age,) = _figures("Police allege a 61-year-old man opened fire at a Vancouver office Christmas party.")
    assert (age.amount, age.unit, age.slot) == (61, None, "age")


@pytest.mark.parametrize(
    ("text", "slot", "hedged"),
    [
        # regressions from ECB+ stories outside the gold set, each once a false conflict
        ("Brian Nichols was saved from a death sentence by three jurors who were determined", "juror", False),
        ("Mr. Milliote said prosecutors believe Mr. Gomes intended to kill one other person last night", "killed",
         True),
        ("Earlier this year, Amy Bishop, a former instructor and researcher at the University of Alabama's "
         "Huntsville campus, allegedly shot and killed three colleagues", "killed", True),
        ("The sentence ends more than three years of efforts to bring Mr. Nichols to justice", None, False),
        ("Nichols, who also received an additional sentence of 485 years, offered a show of remorse", "sentence",
         False),
        ("Protesters were told to gather in one place.", "place", True),
        ("screened for traumatic brain injuries following the attacks on two bases in Iraq", "base", False),
    ],
)  # fmt: skip
def test_what_a_figure_counts_and_whether_it_is_stated_as_done(text: str, slot: str | None, hedged: bool) -> None:
    (figure,) = _figures(text)
    assert (figure.slot, figure.hedged) == (slot, hedged)


def test_hedged_and_past_figures_are_marked() -> None:
    feared = _figures("it is feared that three crew members lost their lives under questionable circumstances")
    assert feared[0].slot == "killed" and feared[0].hedged
    prior = _figures('"Gray has four prior arrests, including charges of grand larceny')
    assert prior[0].hedged


# labels, on sentences of one ECB+ story each


@pytest.fixture(scope="module")
def quake() -> StoryComparison:
    return _compare(
        "A 5.6 magnitude earthquake hit an island off Iran's southern coast on Sunday, injuring five people and "
        "damaging buildings, Iranian media said.",
        "According to the student ISNA news agency, the quake on the outskirts of Dargahan, a small town on the "
        "island, injured two people. A strong 5.6 -magnitude earthquake jolted part of Qeshm island on Sunday.",
    )


def test_conflict_shows_every_source_value(quake: StoryComparison) -> None:
    conflicts = [f for f in quake.facts if f.status == FactStatus.CONFLICT]
    assert [f.slot for f in conflicts] == ["injured"]
    values = {(m.article, m.value["amount"]) for m in conflicts[0].mentions if m.value}
    assert values == {("a0", 5.0), ("a1", 2.0)}
    assert "five in a0" in (conflicts[0].conflict or "") and "two in a1" in (conflicts[0].conflict or "")


def test_corroborated_magnitude_across_wordings(quake: StoryComparison) -> None:
    magnitude = [f for f in quake.facts if f.slot == "magnitude"]
    assert [f.status for f in magnitude] == [FactStatus.CORROBORATED]
    assert set(magnitude[0].articles) == {"a0", "a1"}


def test_a_corroborated_sentence_that_gives_a_disputed_figure_says_so(quake: StoryComparison) -> None:
    """The magnitude is corroborated in a sentence whose toll ("injuring five") is in conflict (two elsewhere)."""
    (conflict,) = [f for f in quake.facts if f.status == FactStatus.CONFLICT]
    (magnitude,) = [f for f in quake.facts if f.slot == "magnitude"]
    assert magnitude.status == FactStatus.CORROBORATED and magnitude.disputed_by == [conflict.id]
    (line,) = [line for line in quake.brief if line.facts == [magnitude.id]]
    assert line.text.endswith("[the figures differ: injured]")
    assert all(not f.disputed_by for f in quake.facts if not ({(m.article, m.sentence) for m in f.mentions}
               & {(m.article, m.sentence) for m in conflict.mentions}))  # fmt: skip


def test_killed_and_injured_are_different_slots() -> None:
    result = _compare(
        "A Michigan man shot to death one person and injured two others Monday at the accounting firm.",
        "Gunman kills 1, wounds 2 at accounting office. An accounting firm employee shot and killed a woman and "
        "wounded two men Monday.",
    )
    assert _by_status(result, FactStatus.CONFLICT) == []
    assert {f.slot for f in result.facts if f.status == FactStatus.CORROBORATED} >= {"killed", "injured"}


def test_parts_of_a_list_are_not_a_different_toll() -> None:
    """Regression: "two women and one man died" was read as one killed against three."""
    result = _compare(
        "A firebomb attack on a bank in Greece killed at least three people today. Police said two women and one "
        "man died at a branch of the Marfin bank.",
        "Riots over harsh new austerity measures left three bank workers dead on Wednesday.",
    )
    assert _by_status(result, FactStatus.CONFLICT) == []


def test_conversions_at_different_rates_are_not_a_conflict() -> None:
    result = _compare(
        "The strike was the first major test since agreeing a ? 110 - billion ($143 - billion) EU and IMF debt "
        "bailout at the weekend.",
        "The strike was the first major test since agreeing a ? 110 billion ($158 billion) EU and IMF debt bailout "
        "over the weekend.",
    )
    assert _by_status(result, FactStatus.CONFLICT) == []


def test_rounding_is_not_a_conflict() -> None:
    result = _compare(
        "Trump is also expected to approve Congress’ spending bill, which grants him $1.375 billion for the wall.",
        "Trump said Friday he signs a funding package that includes just $1.4 billion for border security.",
    )
    assert _by_status(result, FactStatus.CONFLICT) == []


def test_two_open_bounds_neither_contradict_nor_corroborate_a_figure() -> None:
    offers = _compare(
        "The deal is said to be for eight years and could be worth up to $180 million to the first baseman.",
        "The Angels are reportedly offering the first baseman eight years and at least $160 million.",
    )
    assert [
        f for f in offers.facts if f.slot
    ] == []  # "up to 180" and "at least 160" overlap: no conflict, and no one figure stated twice
    stated = _compare(
        "The deal is said to be worth up to $180 million to the first baseman over eight years.",
        "The first baseman signed an eight-year deal worth $175 million, the team said.",
    )
    assert [(f.slot, f.status) for f in stated.facts if f.slot] == [("offer (USD)", FactStatus.CORROBORATED)]


def test_one_as_a_pronoun_and_counts_of_different_things_corroborate_nothing() -> None:
    """ECB+ audit: "no one expected" and "if one occurred" were one corroborated figure, 1, and four people treated
    in hospital corroborated at least three killed."""
    pronouns = _compare(
        "No one expected this, at least not this soon, the coach said.",
        "No one expected the attack, police said.",
        "A strike, if one occurred, would be horrible.",
    )
    assert [f for f in pronouns.facts if f.kind == "quantity" or f.slot] == []
    tolls = _compare(
        "Four people - one with broken bones, 3 with breathing problems - are treated in nearby hospitals.",
        "Police said at least three people, a man and two women, were killed in the fire - bomb attack.",
    )
    assert [f for f in tolls.facts if f.status != FactStatus.SINGLE_SOURCE] == []


def test_sentences_counting_one_thing_differently_are_two_facts() -> None:
    """ECB+ audit: a round-up's "25 points and 16 rebounds" and another game's "22 points and nine rebounds" were one
    corroborated fact; the same counts, or two people's ages, keep sentences together."""
    games = _compare(
        "Louisville's Earl Clark finished his team's victory with 25 points and 16 rebounds, both career highs.",
        "Earl Clark finished with 22 points and nine rebounds as Louisville beat South Florida.",
    )
    assert [(f.status, len(f.articles)) for f in games.facts] == [(FactStatus.SINGLE_SOURCE, 1)] * 2
    same = _compare(
        "Ty Lawson added 16 points for the Tar Heels, and Danny Green had 14.",
        "Danny Green scored 14 points, while Ty Lawson posted 16 points and eight assists in the win.",
    )
    assert [(f.status, len(f.articles)) for f in same.facts] == [(FactStatus.CORROBORATED, 2)]
    ages = _compare(
        "Police say Vishwanand Subryan, 23, struck Raj Chohan with his car as she walked to the temple.",
        "Raj Chohan, 59, was struck by a car driven by Vishwanand Subryan as she walked to the temple, police say.",
    )
    assert [(f.status, len(f.articles)) for f in ages.facts] == [(FactStatus.CORROBORATED, 2)]
    # a toll's part of a list counts a subset: "killed two women and a man" is no "2 killed" against three
    toll = _compare(
        "Three bank workers died after demonstrators hurled a petrol bomb into the Marfin bank branch in Athens.",
        "A petrol bomb hurled into an Athens branch of the Marfin bank killed two women and a man.",
    )
    assert [(f.status, len(f.articles)) for f in toll.facts] == [(FactStatus.CORROBORATED, 2)]


def test_sentences_giving_different_shares_are_two_facts() -> None:
    """Drawn pairs: "stocks plunged 5.4 per cent" and "closed down 3.9 percent" were one corroborated fact."""
    stocks = _compare(
        "But markets reacted to the violence with alarm as Greek stocks plunged 5.4 per cent.",
        "But markets reacted with alarm as Greek stocks closed down 3.9 percent.",
    )
    assert [(f.status, len(f.articles)) for f in stocks.facts] == [(FactStatus.SINGLE_SOURCE, 1)] * 2
    same = _compare(
        "But markets reacted to the violence with alarm as Greek stocks plunged 3.9 per cent.",
        "But markets reacted with alarm as Greek stocks closed down 3.9 percent.",
    )
    assert [(f.status, len(f.articles)) for f in same.facts if not f.slot] == [(FactStatus.CORROBORATED, 2)]


def test_a_count_said_of_a_person_is_corroborated_by_the_same_persons() -> None:
    """ECB+ audit: "17 points" of three players in a round-up were one corroborated figure."""
    players = _compare(
        "Earl Clark actually had 17 points in the first eight minutes of the game.",
        "Tyler Smith added 17 points for the Vols before a knee injury late in overtime.",
        "Oliver McNally had 17 points for the Crimson, who recorded their first win over a ranked team.",
    )
    assert [f for f in players.facts if f.slot] == []
    one = _compare(
        "Ty Lawson added 16 points for the Tar Heels in the win.",
        "Point guard Ty Lawson also chipped in 16 points, though coach Roy Williams looked frustrated.",
    )
    assert [(f.slot, f.status, len(f.articles)) for f in one.facts if f.slot] == [("point", FactStatus.CORROBORATED, 2)]


def test_ages_of_different_people_are_not_a_conflict_but_one_persons_are() -> None:
    apart = _compare(
        "Police allege Eric Allen Kirkpatrick, 61, opened fire at a Vancouver office Christmas party Friday.",
        "Those who knew Benjamin David Banky, 40, were still in shock after he was gunned down at his office.",
    )
    assert _by_status(apart, FactStatus.CONFLICT) == []
    same = _compare(
        "Sixty-year-old Sharron Diane Crawford Smith is now accused of murdering two women at a Staunton ice cream "
        "store in 1967.",
        "Staunton Police Chief Jim Williams announced 61-year-old Sharron Diane Crawford Smith was arrested Friday.",
    )
    assert [f.slot for f in same.facts if f.status == FactStatus.CONFLICT] == ["age"]


def test_a_coarse_figure_does_not_chain_two_different_ones() -> None:
    """Regression: "a magnitude 6 quake" joined 5.9 and 6.1 into one corroborated value."""
    result = _compare(
        "The 6.1 - magnitude quake struck Qeshm island, home to 120, 000 people, state media said.",
        "The 5.9 - magnitude quake struck Qeshm island, home to 120, 000 people, state media said. A magnitude 6 "
        "quake can cause severe damage.",
    )
    assert [f.slot for f in result.facts if f.status == FactStatus.CONFLICT] == ["magnitude"]


def test_a_rising_toll_in_later_reports_is_an_update() -> None:
    result = _compare(
        "An earthquake hit southern Iran on Sunday. The governor told the AFP news agency three people were killed "
        "in the quake.",
        "An earthquake hit southern Iran on Sunday. Ten people were killed in the quake, officials said.",
        published=[dt.datetime(2005, 11, 27, 12), dt.datetime(2005, 11, 28, 9)],
    )
    updated = [f for f in result.facts if f.status == FactStatus.UPDATED]
    assert [f.slot for f in updated] == ["killed"]
    assert [u["amount"] for u in updated[0].updates] == [3.0, 10.0]
    assert _by_status(result, FactStatus.CONFLICT) == []
    assert any("updated" in line.text for line in result.brief)


def test_the_same_different_tolls_at_one_time_are_a_conflict() -> None:
    result = _compare(
        "Police said 12 people were injured in the riots.",
        "Police said 18 people had been injured in the violence.",
        published=[dt.datetime(2010, 5, 5), dt.datetime(2010, 5, 5)],
    )
    assert [f.slot for f in result.facts if f.status == FactStatus.CONFLICT] == ["injured"]


# the gold set and its evaluation


def _dataset_rows() -> dict[str, dict[str, str]]:
    rows = {}
    for name in ("ecbplus-dev.jsonl", "basil-dev.jsonl"):
        path = DATASETS / name
        if not path.exists():
            pytest.skip(f"{path} not found (datasets live in ../shared, outside the repository)")
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            rows[record["id"]] = record
    return rows


def test_one_reports_sentences_on_different_things_are_different_facts() -> None:
    """ECB+ topic 3: a report's conviction and shooting sentences, each matched in other reports, were one fact."""
    from consilience.evaluate.datasets import load_labelled

    path = DATASETS / "ecbplus-dev.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found (datasets live in ../shared, outside the repository)")
    dataset = load_labelled(path)
    articles = [a for a in dataset.articles if dataset.gold[a.id] == "ecb-3-ecb"]
    annotate_articles(articles)
    result = compare_story(Story(id="s", articles=[a.id for a in articles]), articles)
    by_id = {a.id: a for a in articles}
    convicted = by_id["ecb-3_1ecb"].sentences[7].text
    shooting = by_id["ecb-3_1ecb"].sentences[27].text
    assert convicted.startswith("Nichols, 37, was found guilty") and shooting.startswith("He burst into the courtroom")
    (fact,) = [f for f in result.facts  # the aligned sentences' fact (slot facts hold its figures: "37")
               if not f.slot and any(m.article == "ecb-3_1ecb" and m.sentence == 7 for m in f.mentions)]  # fmt: skip
    assert fact.status == FactStatus.CORROBORATED
    assert not any(m.article == "ecb-3_1ecb" and m.sentence == 27 for m in fact.mentions)


def test_gold_evidence_is_exact_text_of_its_story() -> None:
    rows = _dataset_rows()
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    assert len(gold["stories"]) >= 30
    for story in gold["stories"]:
        types = {item["type"] for item in story["items"]}
        assert types <= set(ITEM_TYPES)
        for item in story["items"]:
            assert len({m["article"] for m in item["mentions"]}) >= 2, item
            assert item["type"] != "drawn" or item["label"] in DRAWN_LABELS, item
            for mention in item["mentions"]:
                record = rows[mention["article"]]
                assert record["story"] == story["story"]
                assert mention["evidence"] in f"{record['title'] or ''}\n\n{record['text']}", mention


def test_evaluate_comparison_on_two_gold_stories(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _dataset_rows()
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    subset = tmp_path / "gold.json"
    subset.write_text(
        json.dumps({"stories": [s for s in gold["stories"] if s["story"] in ("ecb-20-ecb", "ecb-18-ecb")]})
    )
    code = main(["evaluate", "comparison", str(subset), str(DATASETS / "ecbplus-dev.jsonl"), "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stories"] == 2
    assert report["conflicts"]["gold"] == 1 and report["conflicts"]["found"] == 1
    assert report["traps"]["false_conflicts"] == 0
    assert report["corroborations"]["recall"] >= 0.5


def test_evaluate_comparison_counts_sentences_on_different_things_given_as_one_fact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _dataset_rows()
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    (story,) = [s for s in gold["stories"] if s["story"] == "ecb-30-ecb"]
    apart = [i for i in story["items"] if i["type"] == "apart"]
    assert apart  # India's cable cut and "the second large-scale Internet outage in Egypt this year"
    subset = tmp_path / "gold.json"
    subset.write_text(json.dumps({"stories": [{"story": "ecb-30-ecb", "items": apart}]}))
    assert main(["evaluate", "comparison", str(subset), str(DATASETS / "ecbplus-dev.jsonl"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["apart"] == {"gold": len(apart), "joined": 0}
    together = {"type": "apart", "slot": "one fact, told as two", "mentions": [
        {"article": "ecb-30_4ecb", "evidence": "Yemen and Sudan were also having phone and Internet difficulties"},
        {"article": "ecb-30_10ecb", "evidence": "phone and internet difficults had spread to Yemen, Sudan"}]}  # fmt: skip
    subset.write_text(json.dumps({"stories": [{"story": "ecb-30-ecb", "items": [together]}]}))
    assert main(["evaluate", "comparison", str(subset), str(DATASETS / "ecbplus-dev.jsonl"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["apart"] == {"gold": 1, "joined": 1}  # the scorer sees a joined pair: one fact holds both
    assert report["apart_joined"] == ["ecb-30-ecb/apart/one fact, told as two"]


def test_evaluate_comparison_scores_drawn_pairs_as_corroboration_precision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _dataset_rows()
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    (story,) = [s for s in gold["stories"] if s["story"] == "ecb-14-ecb"]
    drawn = [i for i in story["items"] if i["type"] == "drawn"]
    assert {i["label"] for i in drawn} >= {"right"}
    quote = next(i for i in drawn if i["mentions"][0]["evidence"].startswith('"People are asked to avoid'))
    # the same store's two sentences, on different things, labelled wrong: no corroborated fact holds both
    apart = {"type": "drawn", "slot": "the statement, and the firefighters", "label": "wrong", "mentions": [
        {"article": "ecb-14_4ecb", "evidence": "A statement from Waitrose said damage to the building had been"},
        {"article": "ecb-14_1ecb", "evidence": "More than 50 firefighters tackled the blaze"}]}  # fmt: skip
    subset = tmp_path / "gold.json"
    subset.write_text(json.dumps({"stories": [{"story": "ecb-14-ecb", "items": [quote, apart]}]}))
    assert main(["evaluate", "comparison", str(subset), str(DATASETS / "ecbplus-dev.jsonl"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["drawn"]["gold"] == {"right": 1, "wrong": 1}
    assert report["drawn"]["joined"] == {"right": 1}
    assert report["drawn"]["precision"] == 1.0 and report["drawn"]["recall_right"] == 1.0
    assert report["drawn_wrong_joined"] == []
    # the same pair labelled wrong: it counts against precision, and --json names it
    quote["label"], quote["note"] = "wrong", "for the test"
    subset.write_text(json.dumps({"stories": [{"story": "ecb-14-ecb", "items": [quote]}]}))
    assert main(["evaluate", "comparison", str(subset), str(DATASETS / "ecbplus-dev.jsonl"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["drawn"]["precision"] == 0.0 and report["drawn"]["recall_right"] == 1.0
    assert report["drawn_wrong_joined"] == [f"ecb-14-ecb/drawn/{quote['slot']}: for the test"]
    apart["label"] = "maybe"
    subset.write_text(json.dumps({"stories": [{"story": "ecb-14-ecb", "items": [apart]}]}))
    assert main(["evaluate", "comparison", str(subset), str(DATASETS / "ecbplus-dev.jsonl")]) == EXIT_INPUT
    assert "label must be one of right, partly, wrong" in capsys.readouterr().err


def test_evaluate_comparison_refuses_a_broken_gold_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "gold.json"
    broken.write_text('{"stories": [{"story": "ecb-20-ecb", "items": [{"type": "contradiction", "mentions": []}]}]}')
    assert main(["evaluate", "comparison", str(broken), str(tmp_path / "none.jsonl")]) == EXIT_INPUT
    assert "type must be one of" in capsys.readouterr().err


def test_figures_of_another_month_are_another_slot() -> None:
    """Regression: earlier heists listed in a heist report ("In July ... £88m") clashed with its £1.7m."""
    result = _compare(
        "Jewellery and watches worth £1.7m have been stolen during a heist in an upmarket central Paris shop.",
        "They made off with 2m euros (£1.7m ; $2.6m) in gems and watches. In July, a masked jewel thief stole £88m "
        "worth of precious stones from the Carlton Hotel in Cannes.",
        published=[dt.datetime(2013, 9, 9), dt.datetime(2013, 9, 9)],
    )
    assert _by_status(result, FactStatus.CONFLICT) == []


def test_a_pronoun_sentence_keeps_the_time_of_the_sentence_before() -> None:
    """Regression: "It killed 612 people", about a 2003 quake, clashed with the day's toll."""
    result = _compare(
        "An earthquake killed 10 people on Qeshm island on Sunday, officials said.",
        "The quake killed 10 people on Qeshm island on Sunday. The last major quake in Iran struck Bam in December "
        "2003. It killed 612 people and injured more than 1, 400.",
        published=[dt.datetime(2005, 11, 27), dt.datetime(2005, 11, 27)],
    )
    assert _by_status(result, FactStatus.CONFLICT) == []


def test_a_source_giving_both_values_speaks_of_two_things() -> None:
    """Regression: an obituary's earlier sentence ("was sentenced to seven years") clashed with the 12 years
    other reports give, though the same obituary also says he was serving a 12-year sentence (imposed in 1997)."""
    twelve = "He was sentenced to 12 years in prison."
    both = _compare(
        twelve,
        "Gigante died while serving a 12 - year sentence imposed in 1997 after he was convicted of racketeering. "
        "Gigante, who listed his profession as the superintendent of a tenement on Bleecker Street, was sentenced "
        "to seven years in prison.",
        published=[dt.datetime(2005, 12, 19), dt.datetime(2005, 12, 19)],
    )
    assert _by_status(both, FactStatus.CONFLICT) == []
    one = _compare(
        twelve,
        "Gigante, who listed his profession as the superintendent of a tenement on Bleecker Street, was sentenced "
        "to seven years in prison.",
        published=[dt.datetime(2005, 12, 19), dt.datetime(2005, 12, 19)],
    )
    assert [f.slot for f in one.facts if f.status == FactStatus.CONFLICT] == ["sentence (year)"]


_CABLE_LEADS = [
    "Internet and telephone communications between Europe, the Middle East and Asia were severely disrupted Friday "
    "after three undersea cables were damaged in the Mediterranean.",
    "Parts of Asia, the Middle East, and Europe experienced Internet and telephone outages Friday when three "
    "undersea cables between Italy and Egypt in the Mediterranean Sea were damaged.",
    "Internet and telephone communications between the Middle East and Europe were disrupted after three submarine "
    "cables between Italy and Egypt in the Mediterranean Sea were damaged.",
    "Cable cut disrupts Internet. The ministry says three Internet cables were cut off the coast of Sicily on Friday "
    "morning.",
]
_TWO_CABLES = (
    "Millions of people across the Middle East and Asia have lost access to the internet after two undersea cables "
    "in the Mediterranean suffered severe damage."
)


def test_the_count_of_the_storys_subject_in_a_dissenting_lead_is_a_conflict() -> None:
    """Four leads count three cables, a fifth two: cables are what the story counts, and the fifth contradicts."""
    result = _compare(*_CABLE_LEADS, _TWO_CABLES)
    conflicts = [f for f in result.facts if f.status == FactStatus.CONFLICT]
    assert [f.slot for f in conflicts] == ["cable"]
    assert {m.value["text"] for m in conflicts[0].mentions if m.value} == {"three", "two"}


def test_counted_nouns_are_not_compared_without_a_lead_majority() -> None:
    """Too few leads counting the noun, or a lead count dated another month ("In January, five cables"):
    gathered, never set against each other."""
    few = _compare(*_CABLE_LEADS[:2], _TWO_CABLES)
    assert _by_status(few, FactStatus.CONFLICT) == []
    assert "cable" in {f.slot for f in few.facts if f.status == FactStatus.CORROBORATED}
    body = _compare(
        *_CABLE_LEADS,
        "Internet traffic was hampered on Friday. Engineers were sent out. In January, five cables in the Middle "
        "East and Europe were cut, causing Internet failures in the region.",
    )
    assert _by_status(body, FactStatus.CONFLICT) == []


def test_a_players_points_in_several_leads_are_not_a_conflict() -> None:
    """Leads that count one noun with values spread out (each player's points) count different things."""
    result = _compare(
        "Tyler Hansbrough scored 20 points to break North Carolina's career scoring record.",
        "Hansbrough scored 20 points last night to break the storied program's career scoring record.",
        "Hansbrough needed just nine points in the game to eclipse Phil Ford for the top spot.",
        "The 6-foot-9 senior needed nine points in the top-ranked Tar Heels' game against Evansville on Thursday.",
        "Jon Scheyer and Kyle Singler each logged 22 points, as the second-ranked Duke Blue Devils fended off a late "
        "Davidson rally.",
    )
    assert _by_status(result, FactStatus.CONFLICT) == []


_QUOTE = '"We appreciate your respect to her and her family\'s privacy at this time," '


def test_one_quote_given_to_two_named_people_is_a_conflict() -> None:
    result = _compare(
        "Tara Reid checked into rehab on Friday. " + _QUOTE + "Jack Ketsoyan said in a statement.",
        "Tara Reid checked into rehab on Friday. " + _QUOTE + "Michael Sands said in a statement.",
    )
    conflicts = [f.conflict for f in result.facts if f.status == FactStatus.CONFLICT]
    assert len(conflicts) == 1 and "attributes it to" in (conflicts[0] or "")


def test_a_speaker_guessed_from_a_pronoun_is_no_misattribution() -> None:
    """Regression (ECB+): "he said" after the actress's name was resolved to her, and set against her
    publicist, whom the other report names."""
    result = _compare(
        'Jack Ketsoyan said Friday that the "American Pie" star went to the Promises Treatment Center. '
        + _QUOTE
        + "Jack Ketsoyan said in a statement.",
        "The actress Tara Reid has checked into the Promises Treatment Centre, her publicist confirmed. "
        + _QUOTE
        + "he said.",
    )
    assert _by_status(result, FactStatus.CONFLICT) == []


def test_the_sentence_cache_hands_back_the_same_vectors_and_encodes_only_new_texts() -> None:
    from consilience.embed import CachedEmbedder, HashingEmbedder

    class Counting(HashingEmbedder):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[str] = []

        def encode(self, texts: list[str]) -> np.ndarray:
            self.seen += texts
            return super().encode(texts)

    inner = Counting()
    cached = CachedEmbedder(inner, size=2)
    texts = ["The quake hit Qeshm.", "Five were hurt.", "The quake hit Qeshm."]
    assert np.array_equal(cached.encode(texts), HashingEmbedder().encode(texts))
    assert inner.seen == ["The quake hit Qeshm.", "Five were hurt."]  # each distinct text once
    cached.encode(["Five were hurt.", "Ten died."])  # one new text; the oldest one is let go
    assert inner.seen[2:] == ["Ten died."] and list(cached._vectors) == ["Five were hurt.", "Ten died."]
    assert cached.encode([]).shape == (0, cached.dimension)
