"""Fixed vocabularies of the Olist-like data: Brazilian states and cities, product
categories, order statuses, payment types and review texts.

Written for this generator (approximate public facts, not taken from the data files):
zip prefix ranges and rough population shares per state, city centre coordinates to two
decimals, a Portuguese category list with English names, short review phrases.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class State:
    code: str
    name: str
    zip_range: tuple[int, int]  # 5-digit zip prefixes, inclusive
    share: float  # rough share of customers, %
    cities: tuple[tuple[str, float, float], ...]  # (name, latitude, longitude); first is the capital


STATES = (
    State(
        "SP",
        "sao paulo",
        (1000, 19999),
        42.0,
        (
            ("sao paulo", -23.55, -46.63),
            ("campinas", -22.91, -47.06),
            ("guarulhos", -23.46, -46.53),
            ("santo andre", -23.66, -46.53),
            ("sao bernardo do campo", -23.69, -46.56),
            ("osasco", -23.53, -46.79),
            ("santos", -23.96, -46.33),
            ("sorocaba", -23.50, -47.46),
            ("ribeirao preto", -21.18, -47.81),
            ("sao jose dos campos", -23.18, -45.88),
            ("jundiai", -23.19, -46.88),
            ("franca", -20.54, -47.40),
            ("piracicaba", -22.73, -47.65),
            ("mogi guacu", -22.37, -46.94),
        ),
    ),
    State(
        "RJ",
        "rio de janeiro",
        (20000, 28999),
        13.0,
        (
            ("rio de janeiro", -22.91, -43.21),
            ("niteroi", -22.88, -43.10),
            ("sao goncalo", -22.83, -43.05),
            ("duque de caxias", -22.79, -43.31),
            ("nova iguacu", -22.76, -43.45),
            ("petropolis", -22.51, -43.18),
            ("campos dos goytacazes", -21.75, -41.32),
        ),
    ),
    State(
        "ES",
        "espirito santo",
        (29000, 29999),
        2.0,
        (
            ("vitoria", -20.32, -40.34),
            ("vila velha", -20.33, -40.29),
            ("serra", -20.13, -40.31),
            ("cariacica", -20.26, -40.42),
        ),
    ),
    State(
        "MG",
        "minas gerais",
        (30000, 39999),
        11.7,
        (
            ("belo horizonte", -19.92, -43.94),
            ("contagem", -19.93, -44.05),
            ("juiz de fora", -21.76, -43.35),
            ("uberlandia", -18.92, -48.28),
            ("montes claros", -16.73, -43.86),
            ("betim", -19.97, -44.20),
        ),
    ),
    State(
        "BA",
        "bahia",
        (40000, 48999),
        3.4,
        (
            ("salvador", -12.97, -38.50),
            ("feira de santana", -12.27, -38.97),
            ("vitoria da conquista", -14.86, -40.84),
            ("lauro de freitas", -12.89, -38.33),
        ),
    ),
    State("SE", "sergipe", (49000, 49999), 0.35, (("aracaju", -10.91, -37.07),)),
    State(
        "PE",
        "pernambuco",
        (50000, 56999),
        1.7,
        (
            ("recife", -8.05, -34.88),
            ("jaboatao dos guararapes", -8.11, -35.01),
            ("olinda", -8.01, -34.86),
            ("petrolina", -9.39, -40.50),
        ),
    ),
    State("AL", "alagoas", (57000, 57999), 0.4, (("maceio", -9.67, -35.74), ("arapiraca", -9.75, -36.66))),
    State("PB", "paraiba", (58000, 58999), 0.54, (("joao pessoa", -7.12, -34.86), ("campina grande", -7.23, -35.88))),
    State("RN", "rio grande do norte", (59000, 59999), 0.49, (("natal", -5.79, -35.21), ("mossoro", -5.19, -37.34))),
    State(
        "CE",
        "ceara",
        (60000, 63999),
        1.3,
        (("fortaleza", -3.73, -38.53), ("juazeiro do norte", -7.21, -39.32), ("caucaia", -3.74, -38.66)),
    ),
    State("PI", "piaui", (64000, 64999), 0.5, (("teresina", -5.09, -42.80), ("parnaiba", -2.91, -41.78))),
    State("MA", "maranhao", (65000, 65999), 0.75, (("sao luis", -2.53, -44.30), ("imperatriz", -5.53, -47.48))),
    State(
        "PA",
        "para",
        (66000, 68899),
        1.0,
        (
            ("belem", -1.46, -48.50),
            ("ananindeua", -1.37, -48.37),
            ("santarem", -2.44, -54.71),
            ("maraba", -5.37, -49.12),
        ),
    ),
    State("AP", "amapa", (68900, 68999), 0.07, (("macapa", 0.03, -51.07),)),
    State("AM", "amazonas", (69000, 69299), 0.15, (("manaus", -3.12, -60.02),)),
    State("RR", "roraima", (69300, 69399), 0.05, (("boa vista", 2.82, -60.67),)),
    State("AC", "acre", (69900, 69999), 0.08, (("rio branco", -9.97, -67.81),)),
    State(
        "DF",
        "distrito federal",
        (70000, 72799),
        2.1,
        (("brasilia", -15.79, -47.88), ("taguatinga", -15.83, -48.06), ("ceilandia", -15.82, -48.11)),
    ),
    State(
        "GO",
        "goias",
        (73700, 76799),
        2.0,
        (
            ("goiania", -16.68, -49.25),
            ("aparecida de goiania", -16.82, -49.24),
            ("anapolis", -16.33, -48.95),
            ("rio verde", -17.79, -50.92),
        ),
    ),
    State("RO", "rondonia", (76800, 76999), 0.25, (("porto velho", -8.76, -63.90), ("ji-parana", -10.88, -61.95))),
    State("TO", "tocantins", (77000, 77999), 0.28, (("palmas", -10.18, -48.33), ("araguaina", -7.19, -48.21))),
    State(
        "MT",
        "mato grosso",
        (78000, 78899),
        0.9,
        (("cuiaba", -15.60, -56.10), ("varzea grande", -15.65, -56.13), ("rondonopolis", -16.47, -54.64)),
    ),
    State(
        "MS",
        "mato grosso do sul",
        (79000, 79999),
        0.7,
        (("campo grande", -20.47, -54.62), ("dourados", -22.22, -54.81)),
    ),
    State(
        "PR",
        "parana",
        (80000, 87999),
        5.0,
        (
            ("curitiba", -25.43, -49.27),
            ("londrina", -23.31, -51.16),
            ("maringa", -23.42, -51.94),
            ("ponta grossa", -25.09, -50.16),
            ("cascavel", -24.96, -53.46),
            ("foz do iguacu", -25.55, -54.59),
        ),
    ),
    State(
        "SC",
        "santa catarina",
        (88000, 89999),
        3.6,
        (
            ("florianopolis", -27.60, -48.55),
            ("joinville", -26.30, -48.85),
            ("blumenau", -26.92, -49.07),
            ("sao jose", -27.61, -48.63),
            ("chapeco", -27.10, -52.62),
            ("itajai", -26.91, -48.66),
        ),
    ),
    State(
        "RS",
        "rio grande do sul",
        (90000, 99999),
        5.5,
        (
            ("porto alegre", -30.03, -51.23),
            ("caxias do sul", -29.17, -51.18),
            ("pelotas", -31.77, -52.34),
            ("canoas", -29.92, -51.18),
            ("santa maria", -29.68, -53.81),
            ("novo hamburgo", -29.68, -51.13),
        ),
    ),
)
# Regions drive delivery times: far from the south-east sellers, parcels take longer.
FAR_STATES = frozenset({"AM", "RR", "AP", "AC", "PA", "RO", "MA", "PI", "CE", "RN", "PB", "PE", "AL", "SE", "TO"})

# The geolocation table spells some cities with accents as well (Olist's inconsistency).
ACCENTED_CITIES = {
    "sao paulo": "são paulo",
    "ribeirao preto": "ribeirão preto",
    "sao jose dos campos": "são josé dos campos",
    "jundiai": "jundiaí",
    "mogi guacu": "mogi guaçu",
    "niteroi": "niterói",
    "sao goncalo": "são gonçalo",
    "petropolis": "petrópolis",
    "vitoria": "vitória",
    "uberlandia": "uberlândia",
    "maceio": "maceió",
    "joao pessoa": "joão pessoa",
    "mossoro": "mossoró",
    "sao luis": "são luís",
    "belem": "belém",
    "santarem": "santarém",
    "maraba": "marabá",
    "macapa": "macapá",
    "brasilia": "brasília",
    "ceilandia": "ceilândia",
    "goiania": "goiânia",
    "anapolis": "anápolis",
    "cuiaba": "cuiabá",
    "varzea grande": "várzea grande",
    "rondonopolis": "rondonópolis",
    "maringa": "maringá",
    "foz do iguacu": "foz do iguaçu",
    "florianopolis": "florianópolis",
    "sao jose": "são josé",
    "chapeco": "chapecó",
    "itajai": "itajaí",
    "jaboatao dos guararapes": "jaboatão dos guararapes",
    "parnaiba": "parnaíba",
    "araguaina": "araguaína",
    "ji-parana": "ji-paraná",
}

# Brazil's bounding box; geolocation has a few points outside it.
BRAZIL_LATITUDE = (-33.75, 5.27)
BRAZIL_LONGITUDE = (-73.99, -34.79)


@dataclass(frozen=True)
class Category:
    name: str
    english: str | None  # None: missing from the translation file, as two real categories are
    share: float  # share of products, %
    price: float  # median item price, BRL
    weight_g: float  # median weight


CATEGORIES = (
    Category("cama_mesa_banho", "bed_bath_table", 11.0, 90, 1500),
    Category("beleza_saude", "health_beauty", 9.5, 130, 800),
    Category("esporte_lazer", "sports_leisure", 8.6, 110, 1200),
    Category("moveis_decoracao", "furniture_decor", 8.3, 90, 2500),
    Category("informatica_acessorios", "computers_accessories", 7.8, 120, 900),
    Category("utilidades_domesticas", "housewares", 7.0, 90, 2000),
    Category("relogios_presentes", "watches_gifts", 5.3, 200, 500),
    Category("telefonia", "telephony", 4.0, 70, 300),
    Category("ferramentas_jardim", "garden_tools", 3.9, 110, 2500),
    Category("automotivo", "auto", 3.8, 140, 1500),
    Category("brinquedos", "toys", 3.7, 115, 1200),
    Category("cool_stuff", "cool_stuff", 3.4, 165, 2000),
    Category("perfumaria", "perfumery", 3.1, 120, 400),
    Category("bebes", "baby", 2.7, 125, 2000),
    Category("eletronicos", "electronics", 2.5, 60, 500),
    Category("papelaria", "stationery", 2.3, 90, 700),
    Category("fashion_bolsas_e_acessorios", "fashion_bags_accessories", 1.8, 75, 500),
    Category("pet_shop", "pet_shop", 1.7, 110, 2000),
    Category("moveis_escritorio", "office_furniture", 1.5, 160, 12000),
    Category("consoles_games", "consoles_games", 1.0, 135, 800),
    Category("malas_acessorios", "luggage_accessories", 1.0, 190, 4000),
    Category("construcao_ferramentas_construcao", "construction_tools_construction", 0.8, 150, 3000),
    Category("eletrodomesticos", "home_appliances", 0.7, 145, 3000),
    Category("instrumentos_musicais", "musical_instruments", 0.6, 280, 2500),
    Category("eletroportateis", "small_appliances", 0.6, 280, 3500),
    Category("casa_construcao", "home_construction", 0.5, 135, 3000),
    Category("livros_interesse_geral", "books_general_interest", 0.5, 85, 500),
    Category("alimentos", "food", 0.45, 55, 800),
    Category("moveis_sala", "furniture_living_room", 0.45, 180, 8000),
    Category("casa_conforto", "home_confort", 0.4, 150, 3000),
    Category("bebidas", "drinks", 0.35, 60, 1500),
    Category("audio", "audio", 0.33, 140, 600),
    Category("market_place", "market_place", 0.28, 120, 1500),
    Category("climatizacao", "air_conditioning", 0.26, 185, 4000),
    Category("fashion_calcados", "fashion_shoes", 0.24, 115, 800),
    Category("agro_industria_e_comercio", "agro_industry_and_commerce", 0.19, 340, 5000),
    Category("artes", "art", 0.19, 115, 1000),
    Category("sinalizacao_e_seguranca", "signaling_and_security", 0.18, 110, 2000),
    Category("pcs", "computers", 0.18, 1100, 6000),
    Category("flores", "flowers", 0.03, 35, 500),
    Category("seguros_e_servicos", "security_and_services", 0.01, 140, 700),
    Category("pc_gamer", None, 0.01, 170, 1000),
    Category("portateis_cozinha_e_preparadores_de_alimentos", None, 0.03, 260, 2500),
)

# Order statuses with their share of orders, %.
ORDER_STATUSES = (
    ("delivered", 97.02),
    ("shipped", 1.11),
    ("canceled", 0.63),
    ("unavailable", 0.61),
    ("invoiced", 0.32),
    ("processing", 0.30),
    ("created", 0.005),
    ("approved", 0.002),
)
PAYMENT_TYPES = ("credit_card", "boleto", "voucher", "debit_card", "not_defined")
SINGLE_PAYMENT_SHARES = (78.0, 19.5, 1.0, 1.5, 0.0)  # % of single-payment orders

REVIEW_TITLES = {
    "good": (
        "recomendo",
        "otimo produto",
        "muito bom",
        "super recomendo",
        "excelente",
        "chegou antes do prazo",
        "Ótimo",
        "gostei",
        "produto de qualidade",
        "nota 10",
    ),
    "bad": (
        "nao recebi",
        "produto com defeito",
        "pessimo",
        "nao recomendo",
        "atraso na entrega",
        "produto errado",
        "decepcionado",
        "ruim",
    ),
}
REVIEW_SENTENCES = {
    "good": (
        "Produto chegou antes do prazo",
        "Recomendo o vendedor",
        "Muito bom, bem embalado e conforme anunciado",
        "Entrega rapida, produto de otima qualidade",
        "Tudo certo",
        "Gostei muito",
        "Superou minhas expectativas",
        "Lindo, igual a foto",
        "Comprarei novamente",
        "Chegou certinho, obrigado",
    ),
    "bad": (
        "Ainda nao recebi o produto",
        "Produto veio com defeito",
        "Veio faltando uma peca, entrei em contato e nada",
        "Entrega atrasou muito",
        "Nao recomendo a loja",
        "Recebi um produto diferente do que comprei",
        "10 dias de atraso e nenhuma resposta",
        "A embalagem chegou rasgada, produto danificado",
        "Comprei dois e so chegou um",
        "Pessimo atendimento",
    ),
}
