"""The dataset catalog (PROTOCOL §1): one declarative entry per dataset of the seed papers.

An entry says where a dataset lives (mirror file, UCI id, OpenML id), which raw columns it has,
which are dropped, which are categorical, what the target is, and what the canonical table must
look like (shape and content checksum). The shapes and checksums were measured on the raw UCI
files of a dataset mirror and are checked on every load: a table
that does not match is an error, never a silent reload (PROTOCOL §1).

Categorical columns follow the UCI documentation of each dataset; the choices that needed a
judgement are explained beside the entry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .canonical import TargetKind


@dataclass(frozen=True)
class CatalogEntry:
    """A dataset the suite knows how to fetch and canonicalise."""

    name: str
    papers: tuple[str, ...]
    columns: tuple[str, ...]  # raw columns in file order (the mirror's header)
    target: str
    target_kind: TargetKind
    categorical: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()  # ID columns and columns the catalog drops
    uci_id: int | None = None
    openml_id: int | None = None
    raw_shape: tuple[int, int] | None = None  # rows x columns of the raw file
    shape: tuple[int, int] | None = None  # rows x features after canonicalisation
    checksum: str | None = None  # canonical content checksum; None where no mirror copy was measured
    dropped_rows: int = 0  # rows with a pre-existing missing value (PROTOCOL §1)
    note: str = ""
    cites: tuple[str, ...] = ()  # keys of the package's references.bib (`imputebench export paper`)

    @property
    def mirror_file(self) -> str:
        return f"{self.name}.csv"

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c != self.target and c not in self.drop)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["features"] = len(self.features)
        return d


def _numbered(prefix: str, n: int, start: int = 1) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(start, start + n))


_ADULT = ("age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
          "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week",
          "native-country", "income")
_WINE = ("class", "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
         "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
         "od280_od315_of_diluted_wines", "proline")
_LETTER = ("lettr", "x-box", "y-box", "width", "high", "onpix", "x-bar", "y-bar", "x2bar", "y2bar",
           "xybar", "x2ybr", "xy2br", "x-ege", "xegvy", "y-ege", "yegvx")
_CHESS = ("bkblk", "bknwy", "bkon8", "bkona", "bkspr", "bkxbq", "bkxcr", "bkxwp", "blxwp", "bxqsq",
          "cntxt", "dsopp", "dwipd", "hdchk", "katri", "mulch", "qxmsq", "r2ar8", "reskd", "reskr",
          "rimmx", "rkxwp", "rxmsq", "simpl", "skach", "skewr", "skrxp", "spcop", "stlmt", "thrsk",
          "wkcti", "wkna8", "wknck", "wkovl", "wkpos", "wtoeg")
_HEART = ("age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak",
          "slope", "ca", "thal", "num")
_CREDIT_PAY = ("PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6")
_CREDIT = (("ID", "LIMIT_BAL", "SEX", "EDUCATION", "MARRIAGE", "AGE") + _CREDIT_PAY
           + _numbered("BILL_AMT", 6) + _numbered("PAY_AMT", 6) + ("default payment next month",))
_SHOPPERS = ("Administrative", "Administrative_Duration", "Informational", "Informational_Duration",
             "ProductRelated", "ProductRelated_Duration", "BounceRates", "ExitRates", "PageValues",
             "SpecialDay", "Month", "OperatingSystems", "Browser", "Region", "TrafficType",
             "VisitorType", "Weekend", "Revenue")
_DRY_BEAN = ("Area", "Perimeter", "MajorAxisLength", "MinorAxisLength", "AspectRation", "Eccentricity",
             "ConvexArea", "EquivDiameter", "Extent", "Solidity", "roundness", "Compactness",
             "ShapeFactor1", "ShapeFactor2", "ShapeFactor3", "ShapeFactor4", "Class")
_CALIFORNIA = ("longitude", "latitude", "housing_median_age", "total_rooms", "total_bedrooms",
               "population", "households", "median_income", "median_house_value")
_MAGIC = ("fLength", "fWidth", "fSize", "fConc", "fConc1", "fAsym", "fM3Long", "fM3Trans", "fAlpha",
          "fDist", "class")
_BEIJING = ("No", "year", "month", "day", "hour", "pm2.5", "DEWP", "TEMP", "PRES", "cbwd", "Iws", "Is",
            "Ir")
_CONNECT4 = tuple(f"{col}{row}" for col in "abcdefg" for row in range(1, 7)) + ("class",)
_GESTURE = _numbered("f", 32) + ("Phase",)
_NEWS_FLAGS = ("data_channel_is_lifestyle", "data_channel_is_entertainment", "data_channel_is_bus",
               "data_channel_is_socmed", "data_channel_is_tech", "data_channel_is_world",
               "weekday_is_monday", "weekday_is_tuesday", "weekday_is_wednesday", "weekday_is_thursday",
               "weekday_is_friday", "weekday_is_saturday", "weekday_is_sunday", "is_weekend")
_NEWS = (
    "url", "timedelta", "n_tokens_title", "n_tokens_content", "n_unique_tokens", "n_non_stop_words",
    "n_non_stop_unique_tokens", "num_hrefs", "num_self_hrefs", "num_imgs", "num_videos",
    "average_token_length", "num_keywords") + _NEWS_FLAGS[:6] + (
    "kw_min_min", "kw_max_min", "kw_avg_min", "kw_min_max", "kw_max_max", "kw_avg_max", "kw_min_avg",
    "kw_max_avg", "kw_avg_avg", "self_reference_min_shares", "self_reference_max_shares",
    "self_reference_avg_sharess") + _NEWS_FLAGS[6:] + (
    "LDA_00", "LDA_01", "LDA_02", "LDA_03", "LDA_04", "global_subjectivity",
    "global_sentiment_polarity", "global_rate_positive_words", "global_rate_negative_words",
    "rate_positive_words", "rate_negative_words", "avg_positive_polarity", "min_positive_polarity",
    "max_positive_polarity", "avg_negative_polarity", "min_negative_polarity", "max_negative_polarity",
    "title_subjectivity", "title_sentiment_polarity", "abs_title_subjectivity",
    "abs_title_sentiment_polarity", "shares")

_MG, _DP, _GAIN = "Meta-GAIN", "DiffPuter", "GAIN"

_ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry("wireless", (_MG,), _numbered("wifi", 7) + ("room",), "room", "classification",
                 uci_id=422, raw_shape=(2000, 8), shape=(2000, 7), checksum="55cef42d0e9e78d9", cites=('uci_wireless',)),
    CatalogEntry("yeast", (_MG,), ("sequence_name", "mcg", "gvh", "alm", "mit", "erl", "pox", "vac", "nuc",
                                   "localization_site"), "localization_site", "classification",
                 drop=("sequence_name",), uci_id=110, openml_id=181, raw_shape=(1484, 10), shape=(1484, 8),
                 checksum="53f8189c32792e8d",
                 note="erl and pox are near-binary scores but documented as continuous: numeric", cites=('uci_yeast',)),
    CatalogEntry("balance", (_MG,), ("class", "left_weight", "left_distance", "right_weight",
                                     "right_distance"), "class", "classification",
                 uci_id=12, openml_id=11, raw_shape=(625, 5), shape=(625, 4), checksum="11f705f3397c8cda",
                 note="weights and distances are ordinal 1..5 whose products define the class "
                      "(torque), so their magnitudes matter: numeric", cites=('uci_balance',)),
    CatalogEntry("hill_valley", (_MG,), _numbered("X", 100) + ("class",), "class", "classification",
                 uci_id=166, openml_id=1479, raw_shape=(1212, 101), shape=(1212, 100),
                 checksum="d576f747d3bd19c8", note="with-noise variant, training rows then testing rows", cites=('uci_hill_valley',)),
    CatalogEntry("wine", (_MG,), _WINE, "class", "classification", uci_id=109, openml_id=187,
                 raw_shape=(178, 14), shape=(178, 13), checksum="f5bc6cfab8cbeebd",
                 note="the same table as scikit-learn's load_wine (built-in)", cites=('uci_wine',)),
    CatalogEntry("connect4", (_MG,), _CONNECT4, "class", "classification", categorical=_CONNECT4[:-1],
                 uci_id=26, openml_id=40668, raw_shape=(67557, 43), shape=(67557, 42),
                 note="not mirrored: fetched online; board cells x/o/b are categories", cites=('uci_connect4',)),
    CatalogEntry("letter", (_MG, _DP, _GAIN), _LETTER, "lettr", "classification", uci_id=59, openml_id=6,
                 raw_shape=(20000, 17), shape=(20000, 16), checksum="67eb797b667f63ea",
                 note="16 integer-valued shape statistics (0..15): numeric", cites=('uci_letter',)),
    CatalogEntry("turkiye", (_MG,), ("instr", "class", "nb.repeat", "attendance", "difficulty")
                 + _numbered("Q", 28), "class", "classification", categorical=("instr",),
                 uci_id=262, raw_shape=(5820, 33), shape=(5820, 32), checksum="7938fc51a7c49a2b",
                 note="instr is an instructor identifier: categorical; nb.repeat, attendance, difficulty "
                      "and Q1..Q28 are ordinal (Likert 1..5) scores: numeric", cites=('gunduz2015turkiye',)),
    CatalogEntry("chess_krkp", (_MG,), _CHESS + ("class",), "class", "classification", categorical=_CHESS,
                 uci_id=22, openml_id=3, raw_shape=(3196, 37), shape=(3196, 36), checksum="55dda9eda68ba9f5",
                 note="every attribute is a board predicate (f/t, or l/g/n/b/w): all categorical", cites=('uci_chess_krkp',)),
    CatalogEntry("anuran", (_MG,), _numbered("MFCCs_", 22) + ("Species",), "Species", "classification",
                 uci_id=406, raw_shape=(7195, 23), shape=(7195, 22), checksum="47614044f55389d2",
                 note="22 MFCCs; the mirror keeps Species as the only label (UCI also has Family, Genus, "
                      "RecordID, dropped here)", cites=('uci_anuran',)),
    CatalogEntry("heart_cleveland", (_MG,), _HEART, "num", "classification",
                 categorical=("sex", "cp", "fbs", "restecg", "exang", "slope", "thal"),
                 uci_id=45, openml_id=49, raw_shape=(303, 14), shape=(297, 13), checksum="1fb14ccc480371eb",
                 dropped_rows=6,
                 note="UCI: sex, cp (chest pain type 1..4), fbs, restecg (0..2), exang, slope (1..3), thal "
                      "(3/6/7) are categorical; ca counts major vessels 0..3: numeric", cites=('uci_heart',)),
    CatalogEntry("adult", (_DP,), _ADULT, "income", "classification",
                 categorical=("workclass", "education", "marital-status", "occupation", "relationship",
                              "race", "sex", "native-country"),
                 uci_id=2, openml_id=1590, raw_shape=(48842, 15), shape=(45222, 14),
                 checksum="6b5b744074a001ce", dropped_rows=3620,
                 note="adult.data + adult.test; '>50K.' and '>50K' are one class", cites=('uci_adult',)),
    CatalogEntry("beijing", (_DP,), _BEIJING, "pm2.5", "regression", categorical=("cbwd",), drop=("No",),
                 uci_id=381, raw_shape=(43824, 13), shape=(41757, 11), checksum="09adedc369b15077",
                 dropped_rows=2067, note="cbwd (combined wind direction) is categorical", cites=('uci_beijing',)),
    CatalogEntry("default_credit", (_DP,), _CREDIT, "default payment next month", "classification",
                 categorical=("SEX", "EDUCATION", "MARRIAGE") + _CREDIT_PAY, drop=("ID",),
                 uci_id=350, openml_id=42477, raw_shape=(30000, 25), shape=(30000, 23),
                 checksum="b6952a5cf3800ae9",
                 note="PAY_* are repayment statuses (-2 no consumption, -1 paid duly, 0 revolving, "
                      "1..9 months of delay): mixed codes, so categorical, as DiffPuter treats them", cites=('uci_default_credit',)),
    CatalogEntry("gesture", (_DP,), _GESTURE, "Phase", "classification", uci_id=302, openml_id=4538,
                 raw_shape=(9873, 33), shape=(9873, 32),
                 note="not mirrored: fetched online; 32 processed velocity/acceleration features", cites=('uci_gesture',)),
    CatalogEntry("magic", (_DP,), _MAGIC, "class", "classification", uci_id=159, openml_id=1120,
                 raw_shape=(19020, 11), shape=(19020, 10), checksum="5885e60ca147be7e", cites=('uci_magic',)),
    CatalogEntry("news", (_DP,), _NEWS, "shares", "regression", categorical=_NEWS_FLAGS,
                 drop=("url", "timedelta"), uci_id=332, openml_id=4545, raw_shape=(39644, 61),
                 shape=(39644, 58),
                 note="not mirrored: fetched online; data_channel_is_* and weekday_is_* flags are "
                      "categorical", cites=('uci_news',)),
    CatalogEntry("shoppers", (_DP,), _SHOPPERS, "Revenue", "classification",
                 categorical=("Month", "OperatingSystems", "Browser", "Region", "TrafficType",
                              "VisitorType", "Weekend"),
                 uci_id=468, raw_shape=(12330, 18), shape=(12330, 17), checksum="5697cf21e404dbec",
                 note="UCI: Month, VisitorType, Weekend and the integer-coded OperatingSystems, Browser, "
                      "Region, TrafficType are categorical", cites=('uci_shoppers',)),
    CatalogEntry("dry_bean", (_DP,), _DRY_BEAN, "Class", "classification", uci_id=602,
                 raw_shape=(13611, 17), shape=(13611, 16), checksum="1018fd72021609f7", cites=('uci_dry_bean', 'koklu2020drybean')),
    CatalogEntry("california", (_DP,), _CALIFORNIA, "median_house_value", "regression", openml_id=537,
                 raw_shape=(20640, 9), shape=(20640, 8), checksum="e702279eddc6f04c",
                 note="StatLib cal_housing (no UCI id)", cites=('pace1997california',)),
    CatalogEntry("spambase", (_GAIN,), _numbered("attr_", 57) + ("is_spam",), "is_spam", "classification",
                 uci_id=94, openml_id=44, raw_shape=(4601, 58), shape=(4601, 57), checksum="bf8448ec471829d7", cites=('uci_spambase',)),
)

CATALOG: dict[str, CatalogEntry] = {e.name: e for e in _ENTRIES}
