"""The search's embedded fallback finds inflected forms by the same normaliser (issue 10)."""

import re

import pytest

from actors.models import Actor
from tests import factories as f
from tests.scenarios import search_said as said

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.mark.parametrize(
    ("stored", "query"),
    [("Тегеран заявил о готовности", "в Тегеране"), ("Лавров сказал журналистам", "Лаврову"),
     ("Переговоры в Кишинёве", "Кишинёв")],
)
def test_a_query_in_any_form_finds_every_form(client, stored, query):
    mfa = f.actor("russian-mfa", name="Russian Foreign Ministry", kind=Actor.Kind.INSTITUTION)
    statement = said(mfa, stored, language="ru")
    said(mfa, "Другая новость", language="ru")
    html = client.get("/statements/", {"q": query}).content.decode()
    assert [int(pk) for pk in re.findall(r'data-statement="(\d+)"', html)] == [statement.pk]
