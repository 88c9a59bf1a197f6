"""Screening's per-word memories stay bounded, and numbers never push the words out."""

from __future__ import annotations

from moderation.crisis import crisis_phrasebook, mentions_crisis
from moderation.memo import NUMBERED_LIMIT, WORDS_LIMIT, Memo
from moderation.textnorm import fold


def test_tokens_with_digits_have_a_small_memory_of_their_own() -> None:
    memo: Memo[int] = Memo()
    memo.put("sponsor", 1)
    for n in range(3 * NUMBERED_LIMIT):
        memo.put(f"k{n}", n)
    assert len(memo) <= 1 + NUMBERED_LIMIT
    assert memo.get("sponsor") == 1
    assert memo.words == {"sponsor": 1}
    assert memo.get(f"k{3 * NUMBERED_LIMIT - 1}") == 3 * NUMBERED_LIMIT - 1


def test_the_words_memory_starts_again_past_its_limit() -> None:
    memo: Memo[int] = Memo()
    for n in range(WORDS_LIMIT + 5):
        memo.put("w" + chr(0x4E00 + n % 20_000) + chr(0x4E00 + n // 20_000), n)
    assert len(memo) <= WORDS_LIMIT


def test_messages_full_of_counters_keep_the_memories_bounded_and_still_match() -> None:
    book = crisis_phrasebook()
    for n in range(3 * NUMBERED_LIMIT):
        assert not mentions_crisis(fold(f"day {n} of staying sober, code x{n:x}7 ok"))
    assert len(book.slang.pieces) <= WORDS_LIMIT + NUMBERED_LIMIT
    assert len(book.slang.pieces) - len(book.slang.pieces.words) <= NUMBERED_LIMIT
    # Remembered numbers must not change an answer: the same phrase, before and after.
    assert mentions_crisis(fold("day 45 and i want to kill myself tonight"))
    assert mentions_crisis(fold("day 45 and i want to kill myself tonight"))
    assert mentions_crisis(fold("i want to k1ll myself"))
