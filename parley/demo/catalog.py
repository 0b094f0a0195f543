"""The demo shop's catalogue: categories (with price ranges), item kinds and brands."""

from typing import Final, NamedTuple


class Category(NamedTuple):
    name: str
    departments: tuple[str, ...]
    min_price: int  # whole dollars
    max_price: int
    kinds: tuple[str, ...]  # the noun at the end of a product name


CATEGORIES: Final[list[Category]] = [
    Category(
        "Accessories",
        ("Men", "Women"),
        8,
        80,
        ("Leather Belt", "Wool Scarf", "Beanie", "Baseball Cap", "Sunglasses", "Tote Bag"),
    ),
    Category(
        "Active",
        ("Men", "Women"),
        15,
        95,
        ("Running Tee", "Training Shorts", "Track Jacket", "Sports Bra", "Yoga Pants"),
    ),
    Category(
        "Dresses",
        ("Women",),
        25,
        180,
        ("Wrap Dress", "Maxi Dress", "Shift Dress", "Midi Dress", "Slip Dress"),
    ),
    Category(
        "Fashion Hoodies & Sweatshirts",
        ("Men", "Women"),
        20,
        110,
        ("Pullover Hoodie", "Zip Hoodie", "Crewneck Sweatshirt", "Fleece Sweatshirt"),
    ),
    Category(
        "Intimates",
        ("Women",),
        10,
        70,
        ("Lace Bralette", "Cotton Brief", "Seamless Camisole", "Silk Chemise"),
    ),
    Category(
        "Jeans",
        ("Men", "Women"),
        30,
        160,
        (
            "Slim Fit Jeans",
            "Straight Leg Jeans",
            "Bootcut Jeans",
            "Skinny Jeans",
            "Relaxed Fit Jeans",
        ),
    ),
    Category(
        "Outerwear & Coats",
        ("Men", "Women"),
        60,
        320,
        ("Parka", "Trench Coat", "Puffer Jacket", "Peacoat", "Rain Jacket"),
    ),
    Category(
        "Pants",
        ("Men", "Women"),
        25,
        120,
        ("Chino Pants", "Cargo Pants", "Jogger Pants", "Wide Leg Trousers"),
    ),
    Category(
        "Shorts",
        ("Men", "Women"),
        15,
        70,
        ("Chino Shorts", "Denim Shorts", "Board Shorts", "Bermuda Shorts"),
    ),
    Category("Skirts", ("Women",), 20, 110, ("Pleated Skirt", "Pencil Skirt", "A-Line Skirt")),
    Category(
        "Sleep & Lounge",
        ("Men", "Women"),
        15,
        90,
        ("Pajama Set", "Lounge Pants", "Robe", "Sleep Shirt"),
    ),
    Category("Socks", ("Men", "Women"), 5, 30, ("Crew Socks", "Ankle Socks", "Wool Socks")),
    Category(
        "Suits & Sport Coats",
        ("Men",),
        120,
        480,
        ("Two-Piece Suit", "Sport Coat", "Tuxedo Jacket", "Suit Vest"),
    ),
    Category(
        "Sweaters",
        ("Men", "Women"),
        30,
        170,
        ("Cardigan", "Crewneck Sweater", "Turtleneck", "V-Neck Sweater"),
    ),
    Category(
        "Swim",
        ("Men", "Women"),
        15,
        95,
        ("Swim Trunks", "One-Piece Swimsuit", "Bikini Set", "Rash Guard"),
    ),
    Category(
        "Tops & Tees",
        ("Men", "Women"),
        10,
        75,
        ("Crew Tee", "V-Neck Tee", "Henley", "Polo Shirt", "Oxford Shirt", "Blouse"),
    ),
    Category("Underwear", ("Men",), 8, 45, ("Boxer Briefs", "Trunks", "Undershirt")),
]

STYLES: Final[list[str]] = [
    "Classic",
    "Essential",
    "Vintage",
    "Modern",
    "Everyday",
    "Premium",
    "Relaxed",
    "Tailored",
    "Heritage",
    "Urban",
    "Coastal",
    "Alpine",
    "Signature",
    "Soft",
    "Lightweight",
    "Organic",
]

COLORS: Final[list[str]] = [
    "Black",
    "White",
    "Navy",
    "Grey",
    "Olive",
    "Charcoal",
    "Burgundy",
    "Camel",
    "Ivory",
    "Forest Green",
    "Sky Blue",
    "Rust",
    "Sand",
    "Blush",
    "Indigo",
]

BRANDS: Final[list[str]] = [
    "Northwind",
    "Alder & Co",
    "Bluebird",
    "Copper Lane",
    "Driftwood",
    "Ember",
    "Fieldstone",
    "Grayson",
    "Harbor",
    "Ironbark",
    "Juniper",
    "Kestrel",
    "Larkspur",
    "Meridian",
    "Nomad",
    "Oakridge",
    "Pinecrest",
    "Quarry",
    "Redwood",
    "Saltwater",
    "Tidewater",
    "Umber",
    "Vantage",
    "Willow",
    "Yarrow",
    "Zephyr",
    "Atlas",
    "Beacon",
    "Cascade",
    "Dune",
    "Evergreen",
    "Foxglove",
    "Granite",
    "Hollow",
    "Indie Row",
    "Lumen",
]
