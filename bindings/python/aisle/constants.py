"""Enumerations of the C ABI (the AISLE_* constants of capi/aisle.h).

Every function that takes one of these also accepts the member's name as a
string, case-insensitively (``metric="cosine"``, ``kind="search_rerank"``).
"""

import enum
import operator

from . import errors


class Metric(enum.IntEnum):
    INNER_PRODUCT = 0
    COSINE = 1
    L2 = 2


class InteractionType(enum.IntEnum):
    VIEW = 0
    CLICK = 1
    ADD_TO_CART = 2
    PURCHASE = 3


class PopularityMode(enum.IntEnum):
    POPULAR = 0
    TRENDING = 1


class FeatureGroup(enum.IntEnum):
    USER = 0
    SESSION = 1
    ITEM = 2
    CONTEXT = 3
    RETRIEVAL = 4


class StalePolicy(enum.IntEnum):
    USE_VALUE = 0
    USE_DEFAULT = 1
    DROP_TO_FALLBACK = 2


class ModelFormat(enum.IntEnum):
    XGBOOST = 0
    LIGHTGBM = 1
    LINEAR = 2


class Output(enum.IntEnum):
    TRANSFORMED = 0
    MARGIN = 1


class SourceKind(enum.IntEnum):
    ANN = 0
    EXACT = 1
    COVISITATION = 2
    POPULAR = 3
    TRENDING = 4
    NEW_ITEMS = 5
    CONTENT = 7


class SurfaceKind(enum.IntEnum):
    RECOMMENDATION = 0
    SEARCH_RERANK = 1


class FallbackLevel(enum.IntEnum):
    PERSONALIZED = 0
    SEGMENT = 1
    CATEGORY_POPULAR = 2
    GLOBAL_POPULAR = 3
    CAMPAIGN = 4
    LEXICAL = 5


class FallbackReason(enum.IntEnum):
    NONE = 0
    DEADLINE = 1
    BREAKER_OPEN = 2
    EMPTY_STAGE = 3
    STALE_FEATURES = 4
    SWITCHED_OFF = 5
    OVERLOAD = 6
    ERROR = 7
    NON_FINITE_SCORE = 8


class Tier(enum.IntEnum):
    ANONYMOUS = 0
    FEW_INTERACTIONS = 1
    KNOWN = 2


class Stage(enum.IntEnum):
    RETRIEVE = 0
    FEATURES = 1
    RANK = 2
    POST = 3  # rules + diversify + explore
    TOTAL = 4
    FILTER = 5
    RULES = 6  # business rules, launch boosts and pins
    DIVERSIFY = 7
    EXPLORE = 8
    RESPOND = 9


class Switch(enum.IntEnum):
    PERSONALIZATION = 0
    DIVERSIFICATION = 1
    EXPLORATION = 2
    SHADOW_SCORING = 3


class LaunchBoostMode(enum.IntEnum):
    ADD = 0  # score + w
    MULTIPLY = 1  # score * (1 + w)


UNKNOWN_TIME = -(2**63)
INVALID_ITEM = 2**32 - 1

# Limits of integer arguments (AISLE_MAX_* in capi/aisle.h; a test checks
# they agree). The package checks them before calling the library, with the
# Python parameter's name; the library checks them again.
MAX_ITEMS = 268435456  # items, rows, categories, entries of any list passed in
MAX_DIM = 65536  # embedding dimension, user vector length
MAX_K = 10000  # items a request or search asks for; a surface's default k
MAX_POSITION = 9999  # 0-based pin and exploration positions
MAX_QUOTA = 1048576  # source quota, max_candidates, top_n
MAX_EF = 1048576  # HNSW ef, ef_construction, default_ef
MAX_ANN_M = 10000  # HNSW degree m
MAX_THREADS = 256  # ANN build threads, engine isolation and shadow threads
MAX_ISOLATION_OUTSTANDING = 65536  # EngineOptions.isolation_/shadow_max_outstanding
MAX_HISTORY = 1024  # EngineOptions.history_length
MAX_SEGMENTS = 65536  # popularity segments
MAX_COVISITATION_DISTANCE = 64  # CoVisitation max_distance
MAX_MODEL_BYTES = 2147483648  # Model.parse data
MAX_CONFIG_BYTES = 16777216  # Snapshot.set_experiments / set_segmenter JSON text


def coerce(enum_cls, value, what):
    """`value` (member, integer or case-insensitive name) as a member of
    `enum_cls`. A bool or a float is not an integer here."""
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        try:
            return enum_cls[value.strip().upper().replace("-", "_")]
        except KeyError:
            pass
    elif not isinstance(value, bool):
        try:
            return enum_cls(operator.index(value))
        except (TypeError, ValueError):
            pass
    names = ", ".join(m.name.lower() for m in enum_cls)
    raise errors.InvalidArgument(
        errors.INVALID_ARGUMENT, "%s: unknown value %r (expected one of %s)" % (what, value, names)
    )


def maybe(enum_cls, value):
    """`value` as a member of `enum_cls`, or the plain int when it is not one."""
    try:
        return enum_cls(value)
    except ValueError:
        return value
