from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from consilience.clean import apply_edits, clean_text


def test_removes_comment_form_debris_and_records_why() -> None:
    raw = "Lavrov stressed that Moscow and Beijing are ready.\n\n\nPlease enter your comment!\nPlease enter your name here"
    result = clean_text(raw)
    assert result.text == "Lavrov stressed that Moscow and Beijing are ready."
    assert any("comment form" in e.reason for e in result.edits)


def test_splits_glued_sentences_but_not_initials_or_domains() -> None:
    assert clean_text("accused by Europe and the United States.In this context, Wang went.").text == (
        "accused by Europe and the United States. In this context, Wang went."
    )
    assert clean_text("He moved to the U.S.The end.").text == "He moved to the U.S.The end."
    assert clean_text("Visit example.Com today.").text == "Visit example.Com today."


def test_repairs_spaced_compounds_and_repeated_parts() -> None:
    text = clean_text("Sino -Russian ties and third -party pressure on China -Russia -Russia -Russia relations.").text
    assert text == "Sino-Russian ties and third-party pressure on China-Russia relations."


def test_keeps_reduplicated_place_names() -> None:
    assert clean_text("They flew to Bora-Bora and Baden-Baden.").text == "They flew to Bora-Bora and Baden-Baden."


def test_drops_trailing_full_stop_artifact_word() -> None:
    raw = "and expand comprehensive pragmatic cooperation.Essence\n\nNext paragraph."
    assert clean_text(raw).text == "and expand comprehensive pragmatic cooperation.\n\nNext paragraph."


def test_removes_stray_full_stop_inside_sentence() -> None:
    raw = "head of the Office of the Foreign Affairs Commission. of the Central Committee, reviewed Sputnik."
    assert "Commission of the Central" in clean_text(raw).text


def test_removes_repeated_paragraph_keeps_first() -> None:
    para = "The quake struck the island at 5:11 p.m. local time."
    result = clean_text(f"{para}\n\nOther news.\n\n{para}")
    assert result.text == f"{para}\n\nOther news."
    assert any("repeated paragraph" in e.reason for e in result.edits)


def test_fixes_mojibake() -> None:
    assert clean_text("The minister said â€œyesâ€\x9d to the plan.").text == "The minister said “yes” to the plan."


def test_keeps_real_sentences_that_mention_cookies_or_sharing() -> None:
    text = "Regulators said the site shared data with advertisers and used cookies without consent, the report found."
    assert clean_text(text).text == text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .,\n-ESPlease enter your comment!“”\"'é\r\t")), max_size=200))
def test_cleaning_never_raises_and_edits_account_for_every_change(raw: str) -> None:
    result = clean_text(raw)
    assert apply_edits(raw, result.edits) == result.text
    spans = sorted((e.start, e.end) for e in result.edits)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start  # edits never overlap
    for edit in result.edits:
        assert raw[edit.start : edit.end] == edit.removed
        assert edit.reason


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_cleaning_arbitrary_unicode(raw: str) -> None:
    result = clean_text(raw)
    assert apply_edits(raw, result.edits) == result.text
