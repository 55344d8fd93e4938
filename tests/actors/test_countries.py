"""Country codes come from a maintained list, and the model holds to it: the admin
cannot store a country that does not exist, and a data set names the bad field."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from actors.models import Actor
from statements.curation.datasets import DatasetError, import_dataset

pytestmark = pytest.mark.django_db


def admin_form(data):
    request = RequestFactory().get("/admin/actors/actor/add/")
    request.user = get_user_model().objects.create_superuser("root", "r@example.org", "pw")
    form_class = admin.site._registry[Actor].get_form(request)
    return form_class(data={"name": "Ruritania", "slug": "ruritania", "kind": "state",
                            "is_active": "on", **data})


def test_the_admin_form_refuses_a_country_that_does_not_exist():
    form = admin_form({"country": "XX"})
    assert not form.is_valid()
    assert "“XX” is not an ISO 3166 alpha-2 country code" in form.errors["country"][0]


@pytest.mark.parametrize("code", ["RU", "VE", "XK", ""])
def test_assigned_codes_kosovo_and_empty_are_accepted(code):
    form = admin_form({"country": code})
    assert "country" not in form.errors, form.errors


def test_a_data_set_rejects_an_unknown_country_with_the_fields_path():
    with pytest.raises(DatasetError) as raised:
        import_dataset({"actors": [
            {"slug": "russia", "name": "Russia", "kind": "state", "country": "RU"},
            {"slug": "ruritania", "name": "Ruritania", "kind": "state", "country": "RR"}]})
    assert [str(e) for e in raised.value.errors] == [
        'actors[1].country: "RR" is not an ISO 3166 alpha-2 country code (two uppercase '
        'letters such as "RU"), or empty']
    assert not Actor.objects.exists()
