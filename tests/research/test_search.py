"""Statement search on PostgreSQL: inflection in both languages, names in every language,
filters and their combinations, snippets, pagination, exports and query counts."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest

from actors.models import Actor, ActorGroup, Alias
from statements.models import EventLink, Statement
from statements.research import search as search_module
from tests import factories as f
from tests.factories import utc
from tests.scenarios import search_said as said
from tests.scenarios import text_of as visible_text

pytestmark = pytest.mark.django_db

URL = "/statements/"
T0 = utc(2026, 1, 3, 6)
Kind = Actor.Kind


def found(client, **params) -> list[int]:
    response = client.get(URL, params)
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'<li class="hit" data-statement="(\d+)"',
                                          response.content.decode())]


def text_of(response) -> str:
    return visible_text(response.content.decode())


@pytest.fixture
def world():
    """Russia with its Foreign Ministry and spokeswoman; Maduro known by his names in
    both languages; statements in English and Russian, one of them without a language."""
    russia = f.actor("russia", kind=Kind.STATE, country="RU")
    mfa = f.actor("russian-mfa", name="Russian Foreign Ministry", kind=Kind.INSTITUTION,
                  parent=russia)
    zakharova = f.actor("maria-zakharova", name="Maria Zakharova", parent=mfa)
    state_dept = f.actor("us-state-department", name="State Department",
                         kind=Kind.INSTITUTION, country="US")
    maduro = f.actor("nicolas-maduro", name="Nicolás Maduro")
    for text, lang in [("Maduro", "en"), ("Nicolas Maduro", "en"), ("Мадуро", "ru"),
                       ("Николас Мадуро", "ru")]:
        Alias.objects.create(actor=maduro, text=text, lang=lang)
    group = ActorGroup.objects.create(slug="russia-and-allies", name="Russia and allies")
    group.members.set([russia])
    feeds = {"mid-ru": f.source(mfa, title="МИД России", language="ru"),
             "mid-en": f.source(mfa, title="MFA of Russia", language="en"),
             "state": f.source(state_dept, title="State Department", language="en")}
    s = {
        "ru_sanctions": said(mfa, "Заявление МИД России", "Новые санкции против Венесуэлы "
                             "недопустимы.", language="ru", source=feeds["mid-ru"],
                             when=utc(2026, 1, 3, 11)),
        "ru_maduro": said(zakharova, "Брифинг М.В.Захаровой", "Задержание Николаса Мадуро — "
                          "акт вооружённой агрессии.", language="ru", source=feeds["mid-ru"],
                          when=utc(2026, 1, 4, 9)),
        "en_maduro": said(mfa, "Statement on the capture of Maduro", "The so-called arrest is "
                          "an act of armed aggression.", source=feeds["mid-en"],
                          when=utc(2026, 1, 3, 12)),
        "en_sanctioned": said(state_dept, "Treasury sanctions officials", "The United States "
                              "sanctioned five officials of the former regime.",
                              source=feeds["state"], when=utc(2026, 1, 5, 15)),
        "body_only": said(state_dept, "Press briefing", "Questions on Venezuela and on "
                          "sanctions relief.", source=feeds["state"], when=utc(2019, 1, 24)),
        # No language given: guessed from its letters (Cyrillic → Russian).
        "no_language": said(mfa, "Комментарий", "Санкционное давление на Каракас усиливается.",
                            language="", source=feeds["mid-ru"], when=utc(2026, 1, 6, 8)),
    }
    event = f.event(slug="maduro-capture-2026", title="US forces capture Maduro",
                    occurred_at=T0, expected=[russia])
    f.link(event, s["ru_maduro"], stance="condemns", intensity=2)
    f.link(event, s["en_maduro"], stance="condemns", intensity=2, status="confirmed")
    f.link(event, s["ru_sanctions"], stance="concern", intensity=1)
    f.link(event, s["en_sanctioned"], stance="supports", intensity=1,
           status=EventLink.Status.REJECTED)
    other = f.event(slug="venezuela-crisis-2019", title="Venezuelan crisis",
                    occurred_at=utc(2019, 1, 23, 16))
    f.link(other, s["body_only"], stance="condemns", intensity=1)
    return {"actors": {"russia": russia, "mfa": mfa, "zakharova": zakharova,
                       "state": state_dept, "maduro": maduro},
            "group": group, "feeds": feeds, "s": s, "event": event, "other": other}


def ids(world, *keys):
    return {world["s"][k].pk for k in keys}


# --- words in two languages -------------------------------------------------------------


def test_an_inflected_russian_word_finds_its_other_forms(client, world):
    assert set(found(client, q="санкций")) >= ids(world, "ru_sanctions")
    assert set(found(client, q="Венесуэла")) == ids(world, "ru_sanctions")
    # "агрессии" (genitive) finds "агрессии"/"агрессия" in any case ending.
    assert set(found(client, q="агрессия")) == ids(world, "ru_maduro")


def test_an_inflected_english_word_finds_its_other_forms(client, world):
    assert set(found(client, q="sanctioning")) == ids(world, "en_sanctioned", "body_only")
    assert set(found(client, q="captured")) == ids(world, "en_maduro")


def test_a_statement_without_a_language_is_indexed_by_its_letters(client, world):
    # "санкционное давление": the Russian stemmer, chosen from the Cyrillic letters.
    assert set(found(client, q="давлением")) == ids(world, "no_language")


def test_a_name_is_searched_in_every_language_it_is_known_by(client, world):
    both = ids(world, "ru_maduro", "en_maduro")
    assert set(found(client, q="Maduro")) == both
    assert set(found(client, q="Мадуро")) == both
    assert set(found(client, q="Мадуро", names="typed")) == ids(world, "ru_maduro")
    page = text_of(client.get(URL, {"q": "Maduro"}))
    assert "“Maduro” (Nicolás Maduro) also as Nicolas Maduro , Мадуро , Николас Мадуро" in page
    assert "Search only as typed" in page


def test_web_search_syntax_is_honoured_as_typed(client, world):
    assert set(found(client, q='"armed aggression"')) == ids(world, "en_maduro")
    assert set(found(client, q="sanctions -Venezuela")) == ids(world, "en_sanctioned")
    assert set(found(client, q="Treasury or Каракас")) == ids(world, "en_sanctioned",
                                                             "no_language")


def test_a_word_in_the_title_ranks_above_the_same_word_in_the_body(client, world):
    order = found(client, q="sanctions")
    assert order.index(world["s"]["en_sanctioned"].pk) < order.index(world["s"]["body_only"].pk)


def test_snippets_mark_the_hits_and_escape_the_text(client, world):
    said(world["actors"]["state"], "On <b>sanctions</b>",
         "Remarks <script>alert(1)</script> on sanctions against the regime.")
    html = client.get(URL, {"q": "sanctions"}).content.decode()
    assert "<mark>sanctions</mark>" in html or "<mark>Sanctions</mark>" in html
    assert "<script>alert(1)</script>" not in html
    assert "On &lt;b&gt;<mark>sanctions</mark>&lt;/b&gt;" in html


def test_the_vector_is_written_with_the_row(client, world):
    statement = world["s"]["body_only"]
    statement.title = "Remarks on Guaidó"
    statement.save(update_fields=["title"])
    assert set(found(client, q="Guaidó")) == {statement.pk}
    # A bulk insert, as the ingest pipeline does it, is searchable at once.
    Statement.objects.bulk_create([Statement(
        actor=world["actors"]["mfa"], attribution="feed_default", entry_id="bulk-1",
        title="О ситуации в Боливии", body_text="", language="ru", published_at=T0,
        content_hash="x" * 64)])
    assert len(found(client, q="Боливией")) == 1


# --- filters ---------------------------------------------------------------------------


def test_an_actor_filter_takes_in_its_members(client, world):
    russia_side = ids(world, "ru_sanctions", "ru_maduro", "en_maduro", "no_language")
    assert set(found(client, actor="russia")) == russia_side
    assert set(found(client, actor="maria-zakharova")) == ids(world, "ru_maduro")
    assert set(found(client, group="russia-and-allies")) == russia_side


def test_source_language_and_dates_narrow_the_results(client, world):
    feeds = world["feeds"]
    assert set(found(client, source=feeds["mid-en"].pk)) == ids(world, "en_maduro")
    assert set(found(client, language="ru")) == ids(world, "ru_sanctions", "ru_maduro")
    assert set(found(client, **{"from": "2026-01-04", "to": "2026-01-05"})) == ids(
        world, "ru_maduro", "en_sanctioned")
    assert set(found(client, to="2019-12-31")) == ids(world, "body_only")


def test_event_and_stance_filters_read_one_link_and_leave_rejected_links_out(client, world):
    linked = ids(world, "ru_maduro", "en_maduro", "ru_sanctions")  # not the rejected one
    assert set(found(client, event="maduro-capture-2026")) == linked
    assert set(found(client, stance="condemns")) == ids(world, "ru_maduro", "en_maduro",
                                                        "body_only")
    # Condemning, and on this event: the 2019 condemnation is on another event.
    assert set(found(client, event="maduro-capture-2026", stance="condemns")) == ids(
        world, "ru_maduro", "en_maduro")
    assert found(client, event="maduro-capture-2026", stance="supports") == []


def test_filters_combine_with_words(client, world):
    assert set(found(client, q="Maduro", actor="russia", language="ru")) == ids(world,
                                                                               "ru_maduro")
    assert set(found(client, q="Maduro", **{"from": "2026-01-04"})) == ids(world, "ru_maduro")
    assert set(found(client, q="aggression", event="maduro-capture-2026",
                     stance="condemns", group="russia-and-allies")) == ids(world, "en_maduro")
    assert found(client, q="Maduro", source=world["feeds"]["state"].pk) == []


def test_results_are_newest_first_without_words_and_can_be_sorted(client, world):
    newest = found(client)
    dates = [Statement.objects.get(pk=pk).published_at for pk in newest]
    assert dates == sorted(dates, reverse=True)
    oldest = found(client, sort="oldest")
    assert oldest == list(reversed(newest))


def test_bad_input_gets_a_message_and_the_valid_part_still_applies(client, world):
    response = client.get(URL, {"q": "Maduro", "actor": "nobody", "from": "2026-13-45",
                                "stance": "furious", "page": "x"})
    assert response.status_code == 200
    text = text_of(response)
    assert "Some of the search was not understood and is left out" in text
    assert "There is no actor “nobody”." in text
    assert "“From” must be a date (YYYY-MM-DD)." in text
    assert "“furious” is not a stance" in text
    assert set(found(client, q="Maduro", actor="nobody")) == ids(world, "ru_maduro",
                                                                 "en_maduro")


def test_dates_in_the_wrong_order_are_explained(client, world):
    text = text_of(client.get(URL, {"from": "2026-02-01", "to": "2026-01-01"}))
    assert "“To” comes before “From”: swap the dates." in text


def test_an_export_with_a_bad_filter_is_refused_rather_than_unfiltered(client, world):
    response = client.get(URL, {"q": "Maduro", "language": "xx", "format": "csv"})
    assert response.status_code == 400
    assert "is not a language" in response.content.decode()
    response = client.get(URL, {"q": "Maduro", "event": "nope", "format": "json"})
    assert response.status_code == 400
    assert "There is no event “nope”." in response.json()["errors"]


# --- the page ----------------------------------------------------------------------------


def test_the_page_updates_with_htmx_as_the_user_types_and_keeps_a_shareable_url(client, world):
    html = client.get(URL, {"q": "Maduro"}).content.decode()
    assert 'hx-trigger="input changed delay:300ms, submit"' in html
    assert 'hx-get="/statements/"' in html and 'action="/statements/"' in html
    assert 'name="q"' in html and 'value="Maduro"' in html
    response = client.get(URL, {"q": "Maduro", "actor": "", "language": "ru", "sort": ""},
                          HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="results"')
    assert "<html" not in fragment
    assert response["HX-Push-Url"] == "/statements/?q=Maduro&language=ru"
    assert "HX-Request" in response["Vary"]


def test_results_are_paginated_and_the_pages_keep_the_filters(client, world):
    mfa = world["actors"]["mfa"]
    for n in range(25):
        said(mfa, f"Briefing number {n} on sanctions", when=utc(2025, 1, 1) + timedelta(days=n))
    first = found(client, q="briefing", actor="russian-mfa")
    assert len(first) == search_module.PAGE_SIZE
    html = client.get(URL, {"q": "briefing", "actor": "russian-mfa"}).content.decode()
    assert "Page 1 of 2" in html
    assert 'href="?q=briefing&amp;actor=russian-mfa&amp;page=2"' in html
    second = found(client, q="briefing", actor="russian-mfa", page=2)
    assert len(second) == 5 and not set(first) & set(second)
    assert found(client, q="briefing", actor="russian-mfa", page=99) == second  # the last one


@pytest.mark.parametrize("params", [{"q": "briefing"},
                                    {"q": "briefing sanctions", "group": "russia-and-allies",
                                     "language": "en", "from": "2020-01-01"},
                                    {"actor": "russia", "stance": "condemns"}])
def test_a_page_of_results_takes_the_same_queries_for_3_or_20_hits(
        client, world, django_assert_max_num_queries, params):
    mfa, event = world["actors"]["mfa"], world["event"]

    def add(n):
        for i in range(n):
            statement = said(mfa, f"Briefing {i} on sanctions", "Text of the briefing.")
            f.link(event, statement, stance="condemns", intensity=1)

    def count():
        with django_assert_max_num_queries(20) as queries:
            html = client.get(URL, params).content.decode()
        return len(queries.captured_queries), html.count('<li class="hit"')

    add(3)
    few, shown_few = count()
    add(30)
    many, shown_many = count()
    assert shown_few >= 3 and shown_many == search_module.PAGE_SIZE
    assert few == many


# --- exports -------------------------------------------------------------------------------


def _csv(body: str):
    header = [line for line in body.splitlines() if line.startswith("#")]
    rows = list(csv.DictReader(line for line in io.StringIO(body) if not line.startswith("#")))
    return header, rows


def test_the_csv_export_parses_back_and_says_what_produced_it(client, world):
    response = client.get(URL, {"q": "Maduro", "language": "ru", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    header, rows = _csv(body)
    assert "# query: q=Maduro&language=ru" in header
    assert any(line.startswith("# generated_at: ") and line.endswith("Z") for line in header)
    assert any("Мадуро" in line for line in header if line.startswith("# names widened"))
    assert [int(r["statement_id"]) for r in rows] == [world["s"]["ru_maduro"].pk]
    row = rows[0]
    assert row["url"].startswith("https://news.example/")
    assert row["source"] == "МИД России" and row["source_url"].startswith("https://")
    assert row["actor"] == "maria-zakharova" and row["language"] == "ru"
    assert row["events"] == "maduro-capture-2026:condemns:2"
    assert row["permalink"].endswith(f"/statements/{world['s']['ru_maduro'].pk}/")
    assert float(row["rank"]) > 0


def test_the_json_export_carries_its_query_in_a_meta_object(client, world):
    response = client.get(URL, {"actor": "russia", "format": "json"})
    data = json.loads(response.content)
    assert data["meta"]["query"] == {"actor": "russia"}
    assert data["meta"]["count"] == 4 and data["meta"]["truncated"] is False
    assert data["meta"]["generated_at"].endswith("Z")
    assert data["meta"]["url"].endswith("/statements/?actor=russia")
    assert {r["id"] for r in data["results"]} == ids(world, "ru_sanctions", "ru_maduro",
                                                     "en_maduro", "no_language")
    for row in data["results"]:
        assert row["url"] and row["source"]["url"] and row["permalink"]


def test_an_export_holds_every_match_not_just_one_page(client, world):
    mfa = world["actors"]["mfa"]
    for n in range(30):
        said(mfa, f"Note {n}")
    data = client.get(URL, {"actor": "russian-mfa", "format": "json"}).json()
    assert len(data["results"]) == 30 + 4


# --- the fallback, exercised on PostgreSQL too ------------------------------------------------


def test_the_word_stem_fallback_finds_inflected_words_without_full_text(
        client, world, monkeypatch):
    monkeypatch.setattr(search_module, "full_text_available", lambda: False)
    assert set(found(client, q="санкций")) >= ids(world, "ru_sanctions")
    assert set(found(client, q="Maduro")) == ids(world, "ru_maduro", "en_maduro")
    html = client.get(URL, {"q": "санкций"}).content.decode()
    assert "<mark>санкции</mark>" in html
    assert "Matched by word forms" in html


def test_events_the_words_name_are_offered_with_all_their_statements(client, world):
    world["event"].terms = {"en": ["Maduro", "Venezuela"], "ru": ["Мадуро"]}
    world["event"].save()
    html = client.get(URL, {"q": "Мадуро"}).content.decode()
    assert '<a href="?event=maduro-capture-2026">US forces capture Maduro</a>' in html
    # Linked statements that never name him are one click away.
    assert world["s"]["ru_sanctions"].pk in found(client, event="maduro-capture-2026")
    assert "?event=maduro-capture-2026" not in client.get(URL, {"q": "Treasury"}).content.decode()


# --- one normaliser: inflected forms find base forms and back (issue 10) --------------


@pytest.mark.parametrize(
    ("stored", "query"),
    [("Тегеран заявил о готовности", "в Тегеране"), ("Лавров сказал журналистам", "Лаврову"),
     ("Переговоры в Кишинёве", "Кишинёв"), ("Ситуация в Судане", "Судан")],
)
def test_a_query_in_any_form_finds_every_form(client, db, stored, query):
    mfa = f.actor("russian-mfa", name="Russian Foreign Ministry", kind=Kind.INSTITUTION)
    statement = said(mfa, stored, language="ru")
    said(mfa, "Другая новость", language="ru")
    assert found(client, q=query) == [statement.pk]
    html = client.get(URL, {"q": query}).content.decode()
    assert "<mark>" in html


def test_a_common_word_is_counted_up_to_a_bound_then_estimated_and_ranks_the_newest(
        client, monkeypatch):
    # At a million statements a common word matches hundreds of thousands: the page
    # must not count, rank or mark them all (make bench measures it).
    monkeypatch.setattr(search_module, "COUNT_EXACT_UP_TO", 10)
    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 5)
    mfa = f.actor("bounded-mfa", name="Bounded ministry", kind=Kind.INSTITUTION)
    made = [said(mfa, f"Sanctions statement {n}", "New sanctions were announced.",
                 when=T0 + timedelta(hours=n)) for n in range(14)]
    said(mfa, "Unrelated", "Trade and energy.", when=T0 + timedelta(hours=30))

    search = search_module.search_statements(
        filters=search_module.SearchFilters(q="sanctions"))
    page = search.page(1)

    assert page.paginator.estimated and page.paginator.count > 10
    newest_five = {s.pk for s in made[-5:]}
    assert {hit.statement.pk for hit in page.object_list} == newest_five
    assert page.paginator.num_pages == 1
    # Exports still rank every match.
    assert len(list(search.rows())) == 14
    response = client.get(URL, {"q": "sanctions"})
    assert "about " in text_of(response)


def test_a_count_within_the_bound_is_exact(monkeypatch):
    monkeypatch.setattr(search_module, "COUNT_EXACT_UP_TO", 10)
    mfa = f.actor("exact-mfa", name="Exact ministry", kind=Kind.INSTITUTION)
    for n in range(7):
        said(mfa, f"Sanctions statement {n}", "New sanctions.", when=T0 + timedelta(hours=n))

    page = search_module.search_statements(
        filters=search_module.SearchFilters(q="sanctions")).page(1)

    assert (page.paginator.count, page.paginator.estimated) == (7, False)
