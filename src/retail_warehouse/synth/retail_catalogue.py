"""The gift retailer's world: product catalogue, non-product codes and countries.

Products are organised in design ranges ("RED RETROSPOT", "VINTAGE CHRISTMAS"): a range is
a product group, and baskets draw mostly from one group, which gives the data its product
affinities. Stock codes look like the UCI ones: five digits, colour variants with a letter
suffix ('85123A'); descriptions are upper case and about a fifth end with a space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .randomness import STREAM_CATALOGUE, cdf, rng_for

COLOURS = ("RED", "PINK", "BLUE", "GREEN", "IVORY", "BLACK", "WHITE", "PURPLE", "ORANGE", "YELLOW")
PATTERNS = (
    "RETROSPOT",
    "POLKADOT",
    "PAISLEY",
    "SPOTTY",
    "STRIPE",
    "FLORAL",
    "HEART",
    "GINGHAM",
    "TOILE",
    "VINTAGE DOILY",
    "SKULL",
    "BIRD",
    "DAISY",
    "ROSE",
    "STAR",
)
NAMED_RANGES = (
    "PANTRY",
    "BABUSHKA",
    "SPACEBOY",
    "DOLLY GIRL",
    "WOODLAND",
    "REGENCY",
    "JAM MAKING",
    "FRENCH BLUE",
    "SWEETHEART",
    "ROSE COTTAGE",
    "ENGLISH ROSE",
    "VINTAGE LEAF",
    "UNION JACK",
    "SCANDINAVIAN",
    "FAIRY CAKE",
    "HANGING HEART",
    "BIRDHOUSE",
    "CIRCUS PARADE",
    "LOVE BIRD",
    "PARISIENNE",
    "ALPHABET",
    "GARDEN",
    "SEASIDE",
    "BAROQUE",
    "ZINC",
    "WICKER",
    "GLASS",
)
# Ranges whose sales peak before Christmas.
CHRISTMAS_RANGES = (
    "VINTAGE CHRISTMAS",
    "CHRISTMAS TREE",
    "SNOWFLAKE",
    "REINDEER",
    "CHRISTMAS STAR",
    "ANGEL",
    "ADVENT",
    "GINGERBREAD",
)
ITEMS = (
    "LUNCH BAG",
    "JUMBO BAG",
    "JUMBO SHOPPER",
    "TEA TOWEL",
    "MUG",
    "CAKE TIN",
    "CAKE STAND",
    "NAPKINS",
    "PAPER PLATES",
    "PAPER CUPS",
    "CHILDRENS APRON",
    "APRON",
    "OVEN GLOVE",
    "T-LIGHT HOLDER",
    "HOT WATER BOTTLE",
    "WATER BOTTLE",
    "DOORMAT",
    "CUSHION COVER",
    "PURSE",
    "NOTEBOOK",
    "GIFT WRAP",
    "WRAPPING PAPER",
    "BUNTING",
    "GARLAND",
    "CANDLE",
    "LANTERN",
    "COAT HANGER",
    "PHOTO FRAME",
    "STORAGE JAR",
    "BISCUIT TIN",
    "HAND WARMER",
    "STICKER SHEET",
    "LUNCH BOX",
    "CHILDRENS CUTLERY",
    "PLASTERS IN TIN",
    "TISSUES",
    "SPICE TINS",
    "DOOR STOP",
    "WALL CLOCK",
    "ALARM CLOCK",
    "MIRROR",
    "KEY FOB",
    "BIRTHDAY CARD",
    "GREETING CARD",
    "RIBBONS",
    "TRINKET BOX",
    "JEWELLERY BOX",
    "PEG BAG",
    "SHOPPING BAG",
    "PARASOL",
    "UMBRELLA",
    "EGG CUP",
    "TEAPOT",
    "SUGAR BOWL",
    "MILK JUG",
    "BOWL",
    "PLATE",
    "BEAKER",
    "BAKING SET",
    "CAKE CASES",
    "CARD WALLET",
    "HAIR CLIP",
    "CHARLOTTE BAG",
    "DRAWER KNOB",
    "SIGN",
    "HOOK",
    "TUMBLER",
    "PICNIC BASKET",
    "BEDSIDE LAMP",
    "DECORATION",
)
SIZE_WORDS = ("SMALL", "LARGE", "MINI", "JUMBO")
PRICE_POINTS = (
    0.19,
    0.21,
    0.29,
    0.39,
    0.42,
    0.55,
    0.65,
    0.72,
    0.79,
    0.83,
    0.85,
    1.25,
    1.45,
    1.65,
    1.69,
    1.85,
    2.08,
    2.1,
    2.46,
    2.55,
    2.95,
    3.25,
    3.39,
    3.75,
    4.25,
    4.95,
    5.95,
    6.75,
    7.95,
    8.5,
    9.95,
    12.75,
    14.95,
    16.95,
    19.95,
    24.95,
    39.95,
)
PACK_SIZES = np.array([1, 2, 3, 4, 6, 8, 10, 12, 24, 25, 36, 48])
PACK_WEIGHTS = np.array([25, 15, 5, 8, 20, 5, 4, 12, 4, 1, 0.5, 0.5])
# Notes that the warehouse wrote on stock write-offs instead of a product description.
WRITE_OFF_NOTES = (
    "check",
    "damaged",
    "damages",
    "?",
    "??",
    "sold as set on dotcom",
    "thrown away",
    "Unsaleable, destroyed.",
    "wet damaged",
    "missing",
    "mouldy, thrown away.",
    "ebay",
    "lost",
)
GROUP_BASKET_SHARE = 0.75  # share of a basket's lines drawn from the invoice's product group


@dataclass(frozen=True)
class ServiceCode:
    """A non-product StockCode and how it appears in the data."""

    code: str
    description: str
    rate: float  # lines per line of the file
    placement: str  # foreign | carriage | anonymous | any | cancel (a one-line C invoice)
    price_median: float  # lognormal median, or the fixed price when price_sigma == 0
    price_sigma: float
    identified: bool = True  # for 'cancel' placement: does the C invoice have a customer


SERVICE_CODES = (
    ServiceCode("POST", "POSTAGE", 0.00232, "foreign", 18.0, 0.35),
    ServiceCode("DOT", "DOTCOM POSTAGE", 0.00131, "anonymous", 150.0, 0.9),
    ServiceCode("M", "Manual", 0.00106, "any", 2.5, 1.3),
    ServiceCode("C2", "CARRIAGE", 0.00027, "carriage", 50.0, 0.0),
    ServiceCode("D", "Discount", 0.000142, "cancel", 20.0, 1.0),
    ServiceCode("S", "SAMPLES", 0.000116, "cancel", 30.0, 1.0, identified=False),
    ServiceCode("BANK CHARGES", "Bank Charges", 0.000068, "any", 15.0, 0.0),
    ServiceCode("AMAZONFEE", "AMAZON FEE", 0.000063, "cancel", 2000.0, 1.0, identified=False),
    ServiceCode("CRUK", "CRUK Commission", 0.00003, "cancel", 30.0, 0.8),
    ServiceCode("PADS", "PADS TO MATCH ALL CUSHIONS", 0.000007, "any", 0.001, 0.0),
    *(
        ServiceCode(
            f"gift_0001_{value}",
            f"Dotcomgiftshop Gift Voucher £{value}.00",
            0.0000126,
            "anonymous",
            round(value / 1.175, 2),
            0.0,
        )
        for value in (10, 20, 30, 40, 50)
    ),
    *(
        ServiceCode(code, description, 0.00002, "anonymous", price, 0.2)
        for code, description, price in (
            ("DCGS0003", "BOXED GLASS ASHTRAY", 2.51),
            ("DCGS0069", "OOH LA LA DOGS COLLAR", 15.79),
            ("DCGSSBOY", "BOYS PARTY BAG", 3.29),
            ("DCGSSGIRL", "GIRLS PARTY BAG", 3.29),
        )
    ),
)
BAD_DEBT_CODE = ServiceCode("B", "Adjust bad debt", 0.0, "event", 11000.0, 0.3)

UNITED_KINGDOM = "United Kingdom"
# Countries with their share of identified customers; the odd spellings are the real ones.
COUNTRY_SHARES = (
    (UNITED_KINGDOM, 90.0),
    ("Germany", 1.75),
    ("France", 1.58),
    ("EIRE", 1.5),
    ("Spain", 0.47),
    ("Netherlands", 0.44),
    ("Belgium", 0.38),
    ("Switzerland", 0.37),
    ("Portugal", 0.28),
    ("Australia", 0.23),
    ("Norway", 0.2),
    ("Italy", 0.15),
    ("Channel Islands", 0.14),
    ("Finland", 0.13),
    ("Cyprus", 0.11),
    ("Sweden", 0.085),
    ("Unspecified", 0.08),
    ("Austria", 0.074),
    ("Denmark", 0.07),
    ("Japan", 0.067),
    ("Poland", 0.063),
    ("Israel", 0.055),
    ("USA", 0.054),
    ("Hong Kong", 0.054),
    ("Singapore", 0.042),
    ("Iceland", 0.034),
    ("Canada", 0.028),
    ("Greece", 0.027),
    ("Malta", 0.023),
    ("United Arab Emirates", 0.013),
    ("European Community", 0.011),
    ("RSA", 0.011),
    ("Lebanon", 0.008),
    ("Lithuania", 0.0065),
    ("Brazil", 0.006),
    ("Czech Republic", 0.0055),
    ("Bahrain", 0.0035),
    ("Saudi Arabia", 0.0018),
)
COUNTRIES = tuple(name for name, _ in COUNTRY_SHARES)
# Values that only the real data spells this way; each gets at least one customer.
ODD_COUNTRIES = ("EIRE", "RSA", "Unspecified", "European Community", "Channel Islands")
CARRIAGE_COUNTRIES = ("EIRE", "Channel Islands")
# Countries of invoices without a customer (dotcom orders, almost all British).
ANONYMOUS_COUNTRY_SHARES = (
    (UNITED_KINGDOM, 98.5),
    ("EIRE", 0.5),
    ("Unspecified", 0.4),
    ("Hong Kong", 0.3),
    ("France", 0.2),
    ("Switzerland", 0.1),
)


@dataclass(frozen=True)
class Catalogue:
    """Products (indices 0..n_products-1, sorted by group) followed by the service codes."""

    stock_codes: list[str]
    descriptions: list[str]  # the description vocabulary; index 0 is '' (missing)
    product_description: np.ndarray  # code index -> description index
    alternate_description: np.ndarray  # product -> another spelling, or -1
    base_price: np.ndarray  # product -> GBP
    pack: np.ndarray  # product -> usual pack size
    group_start: np.ndarray  # products of group g are group_start[g]:group_start[g+1]
    group_month_cdf: np.ndarray  # (12, n_groups + 1): seasonal popularity of groups per month
    popularity_cdf: np.ndarray  # (n_products + 1): cumulative popularity in product order
    service_index: dict[str, int]  # code -> code index
    write_off_notes: np.ndarray  # description indices of the write-off notes
    edge_whitespace: np.ndarray  # description index -> has leading/trailing spaces

    @property
    def n_products(self) -> int:
        return len(self.base_price)

    @property
    def n_groups(self) -> int:
        return len(self.group_start) - 1

    def draw_in_groups(self, rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
        """One product per entry, by popularity, from the given group (-1 = whole catalogue)."""
        start = np.where(groups >= 0, self.group_start[np.maximum(groups, 0)], 0)
        stop = np.where(groups >= 0, self.group_start[np.maximum(groups, 0) + 1], self.n_products)
        low, high = self.popularity_cdf[start], self.popularity_cdf[stop]
        u = low + rng.random(len(groups)) * (high - low)
        product = np.searchsorted(self.popularity_cdf, u, side="right") - 1
        return np.clip(product, start, stop - 1)

    def draw_groups(self, rng: np.random.Generator, months: np.ndarray) -> np.ndarray:
        """A product group per entry, by the group's popularity in that calendar month."""
        cdf = self.group_month_cdf[months - 1]
        u = rng.random(len(months))[:, None]
        return (cdf[:, 1:] <= u).sum(axis=1)

    def csv_vocabularies(self) -> tuple[pa.Array, pa.Array]:
        """(stock codes, descriptions) as Arrow arrays; '' descriptions are null (empty field)."""
        descriptions = pa.array([text or None for text in self.descriptions], pa.string())
        return pa.array(self.stock_codes, pa.string()), descriptions

    def xlsx_vocabularies(self) -> tuple[np.ndarray, np.ndarray]:
        """(stock code cells, description cells): all-digit codes are numbers, '' is an empty cell."""
        codes = np.array([int(code) if code.isdigit() else code for code in self.stock_codes], dtype=object)
        descriptions = np.array([text or None for text in self.descriptions], dtype=object)
        return codes, descriptions


def build_catalogue(seed: int) -> Catalogue:
    """The same catalogue for Online Retail I and II (one retailer, one product range)."""
    rng = rng_for(seed, STREAM_CATALOGUE)
    names: list[str] = []
    groups: list[int] = []
    items: list[int] = []
    codes: list[str] = []
    group_is_christmas: list[bool] = []
    used_numbers = iter(rng.permutation(np.arange(10_002, 90_215)))
    for group, (range_name, coloured, christmas) in enumerate(_design_ranges(rng)):
        group_is_christmas.append(christmas)
        n_items = int(rng.integers(12, 30))
        for item in rng.choice(len(ITEMS), size=n_items, replace=False):
            base = int(next(used_numbers))
            for variant, description in _variants(rng, range_name, ITEMS[item], coloured):
                names.append(description)
                groups.append(group)
                items.append(item)
                codes.append(f"{base}{variant}")
    n_products = len(names)
    group_array = np.array(groups)

    trailing_space = rng.random(n_products) < 0.21
    names = [name + " " if pad else name for name, pad in zip(names, trailing_space)]
    alternates = [f"{name.rstrip()} DESIGN" for name in names]
    has_alternate = rng.random(n_products) < 0.03

    service = (*SERVICE_CODES, BAD_DEBT_CODE)
    descriptions = ["", *names, *alternates, *(s.description for s in service), *WRITE_OFF_NOTES]
    first_alternate = 1 + n_products
    first_service = first_alternate + n_products
    first_note = first_service + len(service)

    popularity = rng.lognormal(0.0, 1.1, n_products)
    season = _group_seasonality(np.array(group_is_christmas))
    group_popularity = np.bincount(group_array, weights=popularity)
    return Catalogue(
        stock_codes=[*codes, *(s.code for s in service)],
        descriptions=descriptions,
        product_description=np.concatenate([np.arange(1, 1 + n_products), first_service + np.arange(len(service))]),
        alternate_description=np.where(has_alternate, first_alternate + np.arange(n_products), -1),
        base_price=_prices(rng, np.array(items)),
        pack=rng.choice(PACK_SIZES, size=len(ITEMS), p=PACK_WEIGHTS / PACK_WEIGHTS.sum())[items],
        group_start=np.searchsorted(group_array, np.arange(group_array.max() + 2)),
        group_month_cdf=np.stack([cdf(group_popularity * season[m]) for m in range(12)]),
        popularity_cdf=cdf(popularity),
        service_index={s.code: n_products + i for i, s in enumerate(service)},
        write_off_notes=first_note + np.arange(len(WRITE_OFF_NOTES)),
        edge_whitespace=np.array([text != text.strip() for text in descriptions]),
    )


def _design_ranges(rng: np.random.Generator) -> list[tuple[str, bool, bool]]:
    """About 145 (name, is coloured, is Christmas) ranges."""
    combos = [f"{colour} {pattern}" for colour in COLOURS for pattern in PATTERNS]
    picked = rng.choice(combos, size=110, replace=False)
    ranges = [(str(name), True, False) for name in picked]
    ranges += [(name, False, False) for name in NAMED_RANGES]
    ranges += [(name, False, True) for name in CHRISTMAS_RANGES]
    return ranges


def _variants(rng: np.random.Generator, range_name: str, item: str, coloured: bool) -> list[tuple[str, str]]:
    """(code suffix, description) of one catalogue item; some come in colour variants ('84029E')."""
    if not coloured and rng.random() < 0.3:
        colours = rng.choice(COLOURS, size=int(rng.integers(2, 5)), replace=False)
        return [(chr(ord("A") + i), f"{colour} {range_name} {item}") for i, colour in enumerate(colours)]
    template = rng.integers(5)
    if template == 0:
        return [("", f"{item} {range_name}")]
    if template == 1:
        return [("", f"SET OF {rng.choice([3, 4, 6])} {range_name} {item}")]
    if template == 2:
        return [("", f"{rng.choice(SIZE_WORDS)} {range_name} {item}")]
    return [("", f"{range_name} {item}")]


def _group_seasonality(christmas: np.ndarray) -> np.ndarray:
    """(12, n_groups) multipliers: Christmas ranges sell from September to December."""
    christmas_by_month = np.array([0.15, 0.1, 0.1, 0.1, 0.15, 0.2, 0.4, 0.8, 2.5, 4.0, 4.5, 2.5])
    return np.where(christmas[None, :], christmas_by_month[:, None], 1.0)


def _prices(rng: np.random.Generator, items: np.ndarray) -> np.ndarray:
    """A price point per product, near its item type's level (mugs cost alike in every range)."""
    prices = np.array(PRICE_POINTS)
    weights = 1.0 / (0.6 + prices) ** 1.2
    item_level = rng.choice(len(prices), size=len(ITEMS), p=weights / weights.sum())
    level = item_level[items] + rng.integers(-2, 3, size=len(items))
    return prices[np.clip(level, 0, len(prices) - 1)]
