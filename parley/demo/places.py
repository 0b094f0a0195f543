"""Where the demo customers live and where the goods ship from.

Cities are grouped by country and countries by region so that a user's city, state,
country and region always agree with each other.
"""

from typing import Final

# region -> weight of the region among customers
REGION_WEIGHTS: Final[dict[str, int]] = {
    "North America": 35,
    "Asia": 28,
    "Europe": 22,
    "South America": 10,
    "Oceania": 5,
}

# region -> [(country, weight within the region, [(city, state), ...])]
COUNTRIES: Final[dict[str, list[tuple[str, int, list[tuple[str, str]]]]]] = {
    "North America": [
        (
            "United States",
            75,
            [
                ("New York", "New York"),
                ("Brooklyn", "New York"),
                ("Los Angeles", "California"),
                ("San Francisco", "California"),
                ("San Diego", "California"),
                ("Chicago", "Illinois"),
                ("Houston", "Texas"),
                ("Austin", "Texas"),
                ("Dallas", "Texas"),
                ("Phoenix", "Arizona"),
                ("Philadelphia", "Pennsylvania"),
                ("Seattle", "Washington"),
                ("Denver", "Colorado"),
                ("Boston", "Massachusetts"),
                ("Miami", "Florida"),
                ("Orlando", "Florida"),
                ("Atlanta", "Georgia"),
                ("Portland", "Oregon"),
                ("Nashville", "Tennessee"),
                ("Minneapolis", "Minnesota"),
            ],
        ),
        (
            "Canada",
            15,
            [
                ("Toronto", "Ontario"),
                ("Ottawa", "Ontario"),
                ("Montreal", "Quebec"),
                ("Vancouver", "British Columbia"),
                ("Calgary", "Alberta"),
            ],
        ),
        (
            "Mexico",
            10,
            [
                ("Mexico City", "Ciudad de Mexico"),
                ("Guadalajara", "Jalisco"),
                ("Monterrey", "Nuevo Leon"),
            ],
        ),
    ],
    "South America": [
        (
            "Brazil",
            50,
            [
                ("Sao Paulo", "Sao Paulo"),
                ("Rio de Janeiro", "Rio de Janeiro"),
                ("Belo Horizonte", "Minas Gerais"),
                ("Curitiba", "Parana"),
            ],
        ),
        ("Argentina", 20, [("Buenos Aires", "Buenos Aires"), ("Cordoba", "Cordoba")]),
        ("Colombia", 18, [("Bogota", "Bogota"), ("Medellin", "Antioquia")]),
        ("Chile", 12, [("Santiago", "Santiago Metropolitan"), ("Valparaiso", "Valparaiso")]),
    ],
    "Europe": [
        (
            "United Kingdom",
            24,
            [
                ("London", "England"),
                ("Manchester", "England"),
                ("Birmingham", "England"),
                ("Edinburgh", "Scotland"),
                ("Cardiff", "Wales"),
            ],
        ),
        (
            "Germany",
            22,
            [
                ("Berlin", "Berlin"),
                ("Munich", "Bavaria"),
                ("Hamburg", "Hamburg"),
                ("Cologne", "North Rhine-Westphalia"),
            ],
        ),
        (
            "France",
            18,
            [
                ("Paris", "Ile-de-France"),
                ("Lyon", "Auvergne-Rhone-Alpes"),
                ("Marseille", "Provence-Alpes-Cote d'Azur"),
            ],
        ),
        ("Spain", 14, [("Madrid", "Madrid"), ("Barcelona", "Catalonia"), ("Valencia", "Valencia")]),
        ("Italy", 10, [("Rome", "Lazio"), ("Milan", "Lombardy"), ("Naples", "Campania")]),
        ("Netherlands", 7, [("Amsterdam", "North Holland"), ("Rotterdam", "South Holland")]),
        ("Poland", 5, [("Warsaw", "Masovia"), ("Krakow", "Lesser Poland")]),
    ],
    "Asia": [
        (
            "China",
            45,
            [
                ("Shanghai", "Shanghai"),
                ("Beijing", "Beijing"),
                ("Shenzhen", "Guangdong"),
                ("Guangzhou", "Guangdong"),
                ("Chengdu", "Sichuan"),
                ("Hangzhou", "Zhejiang"),
            ],
        ),
        (
            "Japan",
            25,
            [
                ("Tokyo", "Tokyo"),
                ("Osaka", "Osaka"),
                ("Yokohama", "Kanagawa"),
                ("Sapporo", "Hokkaido"),
            ],
        ),
        ("South Korea", 15, [("Seoul", "Seoul"), ("Busan", "Busan"), ("Incheon", "Incheon")]),
        ("India", 15, [("Mumbai", "Maharashtra"), ("Bengaluru", "Karnataka"), ("Delhi", "Delhi")]),
    ],
    "Oceania": [
        (
            "Australia",
            80,
            [
                ("Sydney", "New South Wales"),
                ("Melbourne", "Victoria"),
                ("Brisbane", "Queensland"),
                ("Perth", "Western Australia"),
                ("Adelaide", "South Australia"),
            ],
        ),
        (
            "New Zealand",
            20,
            [
                ("Auckland", "Auckland"),
                ("Wellington", "Wellington"),
                ("Christchurch", "Canterbury"),
            ],
        ),
    ],
}

# (name, latitude, longitude): the ten distribution centers of the TheLook dataset.
DISTRIBUTION_CENTERS: Final[list[tuple[str, float, float]]] = [
    ("Memphis TN", 35.1174, -89.9711),
    ("Chicago IL", 41.8369, -87.6847),
    ("Houston TX", 29.7604, -95.3698),
    ("Los Angeles CA", 34.05, -118.25),
    ("New Orleans LA", 29.95, -90.0667),
    ("Port Authority of New York/New Jersey NY/NJ", 40.634, -73.7834),
    ("Philadelphia PA", 39.95, -75.1667),
    ("Mobile AL", 30.6944, -88.0431),
    ("Charleston SC", 32.7833, -79.9333),
    ("Savannah GA", 32.0167, -81.1167),
]
