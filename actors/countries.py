"""Country codes: ISO 3166-1 alpha-2 from a maintained list (django-countries' data).

One rule for the whole app: the Actor model validates with it (so the admin cannot
store a country that does not exist), and data sets and actor lists reject an
unknown code with the field's path.
"""

from django.core.exceptions import ValidationError
from django_countries.data import COUNTRIES

# The assigned codes, and XK (Kosovo): user-assigned in ISO 3166, but in general use
# (the EU, the World Bank and Wikidata use it).
COUNTRY_CODES = frozenset(COUNTRIES) | {"XK"}


def is_country_code(value: str) -> bool:
    return value in COUNTRY_CODES


def validate_country_code(value: str) -> None:
    """A model field validator: empty (an international body) or an assigned code."""
    if value and not is_country_code(value):
        raise ValidationError(
            "“%(value)s” is not an ISO 3166 alpha-2 country code (two uppercase letters "
            "such as “RU”); leave it empty for an international body.",
            code="invalid_country", params={"value": value})
