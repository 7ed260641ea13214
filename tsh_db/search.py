"""Search text of the consumer catalogue: one normalisation for what is stored and what is asked.

The pipelines store `normalize(name + " " + sku)` in `consumer_catalog.search_text`, and the
consumer API normalises the query with the same function, so matching is a plain substring
test on both dialects (a trigram GIN index serves it on PostgreSQL). Normalising in Python,
not SQL, keeps the one definition: PostgreSQL and SQLite have no common Unicode folding.

- case: lowercased;
- accents: NFKD, then every nonspacing mark (Unicode category Mn) is dropped, which removes
  Latin diacritics, Arabic tashkeel (fatha, damma, kasra, shadda, sukun, tanween, superscript
  alef) and the hamza carried by alef, waw and yaa (أ إ آ → ا, ؤ → و, ئ → ي);
- Arabic letter forms a shopper types interchangeably: alef wasla → alef, alef maksura and
  Persian yeh → yaa, taa marbuta → haa, Persian kaf → kaf; tatweel (ـ) is dropped;
- Arabic-Indic and Persian digits → 0-9; runs of whitespace → one space.
Punctuation is kept: SKUs like `TSH-01` and names like `100% Cotton` are searched literally.
"""

from __future__ import annotations

import unicodedata

_FORMS = {
    "\u0671": "\u0627",  # ٱ alef wasla → ا
    "\u0649": "\u064a",  # ى alef maksura → ي
    "\u06cc": "\u064a",  # ی Persian yeh → ي
    "\u0629": "\u0647",  # ة taa marbuta → ه
    "\u06a9": "\u0643",  # ک Persian kaf → ك
    "\u0640": None,  # ـ tatweel
}
_FORMS.update({chr(0x0660 + d): str(d) for d in range(10)})  # Arabic-Indic digits
_FORMS.update({chr(0x06F0 + d): str(d) for d in range(10)})  # Persian digits
FORMS = str.maketrans(_FORMS)
LIKE_ESCAPE = "\\"


def normalize(text: str) -> str:
    """Lowercase, accent- and tashkeel-free, Arabic forms unified, whitespace collapsed."""
    if text.isascii():  # most names: nothing to decompose (a rebuild normalises every one)
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(bare.translate(FORMS).lower().split())


def search_text(name: str, sku: str | None) -> str:
    """What `consumer_catalog.search_text` holds for a product: its name, then its SKU."""
    return normalize(f"{name} {sku or ''}")


def search_terms(query: str) -> list[str]:
    """The words of a query, normalised; every one must occur in a product's search text."""
    return normalize(query).split()


def escape_like(text: str) -> str:
    """Make user text match literally inside a LIKE pattern (used with ESCAPE '\\')."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
