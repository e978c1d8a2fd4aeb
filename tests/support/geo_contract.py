"""The contract every GeoProvider meets, checked the same way for each: its own examples, a stated
source and data date, and any address or text answered with a country code, None, or Invalid —
never another exception. A test module subclasses GeoProviderContract as `TestContract`."""

from __future__ import annotations

from typing import ClassVar

import pycountry
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseweave.attribution.geo import GeoExample, GeoProvider
from caseweave.errors import Invalid

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.differing_executors,
        HealthCheck.function_scoped_fixture,
    ],
)


class GeoProviderContract:
    provider_class: ClassVar[type[GeoProvider]]

    @pytest.fixture
    def provider(self) -> GeoProvider:
        raise NotImplementedError

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "example" in metafunc.fixturenames:
            examples = self.provider_class.examples()
            metafunc.parametrize("example", examples, ids=[e.address or "empty" for e in examples])

    def test_examples_cover_the_contract(self) -> None:
        examples = self.provider_class.examples()
        assert sum(1 for e in examples if e.country) >= 3
        assert sum(1 for e in examples if not e.country and not e.invalid) >= 1
        assert sum(1 for e in examples if e.invalid) >= 2

    def test_example(self, provider: GeoProvider, example: GeoExample) -> None:
        if example.invalid:
            with pytest.raises(Invalid):
                provider.lookup(example.address)
            return
        assert provider.lookup(example.address).country == example.country

    def test_every_answer_states_the_provider_and_its_data_date(self, provider: GeoProvider) -> None:
        assert provider.data_date is not None
        line = provider.stated()
        assert provider.name in line and provider.data_date.isoformat() in line and provider.source in line

    @FUZZ
    @given(address=st.ip_addresses())
    def test_any_address_gets_a_country_or_none(self, provider: GeoProvider, address: object) -> None:
        answer = provider.lookup(str(address))
        assert answer.country is None or pycountry.countries.get(alpha_2=answer.country) is not None

    @FUZZ
    @given(text=st.text(max_size=60))
    def test_any_text_is_an_answer_or_invalid(self, provider: GeoProvider, text: str) -> None:
        try:
            answer = provider.lookup(text)
        except Invalid:
            return
        assert answer.country is None or len(answer.country) == 2
