"""What a new password must be: 12 to 256 characters and not common or easy to guess."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseweave.auth.passwords import MAX_PASSWORD_LENGTH, check_new_password, hash_password, verify_password
from caseweave.errors import Invalid

# Random (from a fixed seed) and never repeating itself: strong at any length from 12 on.
STRONG = "".join(
    random.Random(17).choices(string.ascii_letters + string.digits + "#!$&*@%", k=MAX_PASSWORD_LENGTH)
)


@given(length=st.integers(0, 11))
def test_shorter_than_twelve_is_refused(length: int) -> None:
    with pytest.raises(Invalid, match="shorter than 12") as refused:
        check_new_password(STRONG[:length], 12)
    assert refused.value.field == "password"


@settings(deadline=None)  # a shared machine: judging and allocating take what they take
@given(length=st.integers(MAX_PASSWORD_LENGTH + 1, 10_000_000))
def test_longer_than_the_maximum_is_refused_before_it_is_hashed(length: int) -> None:
    with pytest.raises(Invalid, match="longer than 256"):
        hash_password("x" * length, 12)


@settings(deadline=None)
@given(length=st.integers(12, MAX_PASSWORD_LENGTH))
def test_strong_passwords_of_any_allowed_length_are_accepted(length: int) -> None:
    check_new_password(STRONG[:length], 12)


@pytest.mark.parametrize(
    "password",
    [
        "password1234",  # a top-ten password with digits appended
        "qwertyuiopasdf",  # a keyboard walk
        "1qaz2wsx3edc",  # in the list of passwords most common in breaches
        "iloveyou12345",
        "aaaaaaaaaaaaaaaa",
        "football12345",
        "Password1234!",
    ],
)
def test_common_and_easily_guessed_passwords_are_refused(password: str) -> None:
    with pytest.raises(Invalid, match="too common or too easy to guess") as refused:
        check_new_password(password, 12)
    assert refused.value.hint, "the refusal says how to do better"


def test_a_password_built_from_the_username_is_refused() -> None:
    check_new_password("analyst.home.2024", 12)
    with pytest.raises(Invalid, match="too common"):
        check_new_password("analyst.home.2024", 12, context=("analyst.home",))


def test_a_hash_verifies_only_its_own_password() -> None:
    stored = hash_password("correct horse battery staple", 12)
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "correct horse battery stapl")
    assert not verify_password(None, "correct horse battery staple"), "no account: always false"
