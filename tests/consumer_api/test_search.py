"""Search: accent-, case- and tashkeel-insensitive, every word must match, ranked."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.consumer_api.catalogue import AppClient, pid
from tsh_db.engine import get_engine
from tsh_db.search import normalize

LISTING = "/api/consumer/products"
ARABIC_FAN = "مِرْوَحَة سقف أبيض"


def found(client: AppClient, search: str, **params: object) -> list[str]:
    response = client.get(LISTING, params={"search": search, "per_page": 100, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return [i["name"] for i in body["items"]]


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Café Crème", "cafe creme"),
        ("ÉCOLE  Été\t", "ecole ete"),
        ("مُحَمَّد", "محمد"),  # tashkeel
        ("أحمد إبراهيم آمنة", "احمد ابراهيم امنه"),  # hamza and madda on alef, taa marbuta
        ("مؤسسة شاطئ", "موسسه شاطي"),  # hamza on waw and yaa
        ("مصطفى ٱلكتاب", "مصطفي الكتاب"),  # alef maksura, alef wasla
        ("كـــتاب ک ی", "كتاب ك ي"),  # tatweel, Persian kaf and yeh
        ("١٢٣ ۴۵", "123 45"),  # Arabic-Indic and Persian digits
        ("TSH-01_x 100%", "tsh-01_x 100%"),  # punctuation is searched as typed
    ],
)
def test_normalize(raw: str, normalised: str) -> None:
    assert normalize(raw) == normalised


@pytest.mark.parametrize("search", ["creme", "CRÈME", "café crème", "cafe", "MUG café", "tsh-mug"])
def test_accents_case_and_word_order_do_not_matter(client: AppClient, search: str) -> None:
    assert found(client, search) == ["Café Crème Mug"]


@pytest.mark.parametrize("search", ["مروحه", "مَرْوَحَة", "مروحة سقف", "ابيض", "أبيض مروحة", "سقف"])
def test_arabic_names_with_or_without_tashkeel(client: AppClient, search: str) -> None:
    assert found(client, search) == [ARABIC_FAN]


def test_every_word_must_match(client: AppClient) -> None:
    assert found(client, "usb cable") == ["USB Cable Reel", "Cable_2m USB"]
    assert found(client, "usb cable lamp") == []


def test_results_are_ranked_then_by_name(client: AppClient) -> None:
    # starts the name, then starts a word, then inside a word
    assert found(client, "cable") == ["Cable_2m USB", "USB Cable Reel", "Supercable Hub"]
    assert found(client, "cable", sort="price_desc") == [
        "Supercable Hub", "USB Cable Reel", "Cable_2m USB",
    ]  # fmt: skip


def test_ranked_results_page_by_cursor_in_the_same_order(client: AppClient) -> None:
    names, params = [], {"search": "cable", "per_page": 1}
    while True:
        body = client.get(LISTING, params=params).json()
        assert body["total"] == 3
        names += [i["name"] for i in body["items"]]
        if body["next_cursor"] is None:
            break
        params = {"search": "cable", "per_page": 1, "cursor": body["next_cursor"]}
    assert names == found(client, "cable")


def test_hidden_products_are_not_found_by_any_spelling(client: AppClient) -> None:
    assert found(client, "hidden") == []
    assert found(client, "HIDDEN BASE PRICE") == []


def test_search_uses_the_trigram_index_on_postgresql(pg_url: str) -> None:
    with get_engine(pg_url).connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'"))
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = conn.execute(
            text("EXPLAIN SELECT product_zoho_id FROM consumer_catalog "
                 "WHERE search_text LIKE '%fan%' AND search_text LIKE '%ceil%'")
        ).scalars().all()  # fmt: skip
    assert any("ix_consumer_catalog_search" in line for line in plan), plan


def test_a_search_matching_nothing_is_an_empty_page(client: AppClient) -> None:
    body = client.get(LISTING, params={"search": "zz-no-match"}).json()
    assert (body["items"], body["total"], body["next_cursor"]) == ([], 0, None)


def test_search_by_sku_fragment_keeps_its_punctuation(client: AppClient) -> None:
    assert found(client, "tsh-heat") == ["Edge Stock Heater"]
    assert pid(3) in client.get(LISTING, params={"search": "TSH-HEAT-10"}).text
