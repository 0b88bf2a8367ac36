"""The keyword categoriser on real product names from the Online Retail catalogue."""

from __future__ import annotations

import pytest

from server.importer.categories import CATEGORIES, OTHER, categorise, is_merchandise


@pytest.mark.parametrize(
    ("description", "category"),
    [
        ("WHITE HANGING HEART T-LIGHT HOLDER", "candles-lights"),
        ("WHITE METAL LANTERN", "candles-lights"),
        ("CHRISTMAS LIGHTS 10 VINTAGE BAUBLES", "candles-lights"),  # a candle or light first, a theme second
        ("JUMBO BAG RED RETROSPOT", "bags"),
        ("LUNCH BAG RED RETROSPOT", "bags"),
        ("50'S CHRISTMAS GIFT BAG LARGE", "cards-wrap"),
        ("PINK PAISLEY ROSE GIFT WRAP", "cards-wrap"),
        ("SET 10 CHRISTMAS CARDS HOHOHO 16956", "cards-wrap"),
        ("PLAYING CARDS KEEP CALM & CARRY ON", "toys"),
        ("REGENCY CAKESTAND 3 TIER", "kitchen"),
        ("SET OF 4 DIAMOND NAPKIN RINGS", "kitchen"),
        ("RED RETROSPOT MUG", "kitchen"),
        ("PAPER CHAIN KIT 50'S CHRISTMAS", "christmas"),
        ("WOODEN ADVENT CALENDAR RED", "christmas"),
        ("ASSORTED COLOUR BIRD ORNAMENT", "home-decor"),
        ("HOME SWEET HOME METAL SIGN", "home-decor"),
        ("GREEN GIANT GARDEN THERMOMETER", "garden"),
        ("SPACEBOY MINI BACKPACK", "bags"),
        ("MINI JIGSAW DOLLY GIRL", "toys"),
        ("PACK OF 72 RETROSPOT CAKE CASES", "party"),
        ("SMALL PURPLE BABUSHKA NOTEBOOK", "stationery"),
        ("GLASS BEAD HOOP EARRINGS BLACK", "jewellery"),
        ('LETTER "Z" BLING KEY RING', "accessories"),
        ("EASTER BUNNY WITH BASKET ON BACK", "easter"),
        ("WATERMELON BATH SPONGE", "bath-beauty"),
        ("SET 7 BABUSHKA NESTING BOXES", "storage"),
        ("RED SHARK HELICOPTER", "toys"),
        ("white hanging heart t-light holder", "candles-lights"),  # case does not matter
        ("LEDGER OF THE SEA", OTHER),  # "LED" only as a whole word
        ("", OTHER),
    ],
)
def test_categorise(description: str, category: str) -> None:
    assert categorise(description) == category
    assert category in CATEGORIES


@pytest.mark.parametrize(
    "sku",
    [
        "POST",
        "DOT",
        "D",
        "M",
        "m",
        "C2",
        "BANK CHARGES",
        "AMAZONFEE",
        "CRUK",
        "PADS",
        "S",
        "B",
        "gift_0001_40",
    ],
)
def test_non_merchandise_codes(sku: str) -> None:
    assert not is_merchandise(sku)


@pytest.mark.parametrize("sku", ["85123A", "22423", "DCGS0076", "DCGSSBOY", "47566B"])
def test_merchandise_codes(sku: str) -> None:
    assert is_merchandise(sku)
