"""A small storefront built the same way from Python (here) and from C
(c_reference.c): 4 leaf categories of 10 items, 8-d embeddings clustered by
category, warm interactions (item i gets 40 - i views; sessions pair items 0
and 1), a linear "price" ranker, and "home", "product_page" and "search"
surfaces. It mirrors tests/serving/test_storefront.h with deterministic
embeddings that C and Python compute identically (in double, rounded to
float32)."""

import json

import aisle

CATEGORIES = 4
PER_CATEGORY = 10
DIM = 8
DAY_MICROS = 24 * 3600 * 1000000

LINEAR_MODEL = json.dumps(
    {
        "format": "aisle.linear",
        "format_version": 1,
        "name": "price",
        "link": "identity",
        "bias": 0.0,
        "weights": [
            {"feature": "ann_score", "weight": 10.0},
            {"feature": "price", "weight": -0.01},
        ],
    }
)


def embedding(i):
    c = i // PER_CATEGORY
    return [((i * 7 + j * 3) % 11 - 5) * 0.01 + (1.0 if j == c else 0.0) for j in range(DIM)]


def items(now_micros):
    out = []
    for i in range(CATEGORIES * PER_CATEGORY):
        c = i // PER_CATEGORY
        out.append(
            aisle.Item(
                id="sku-%d" % i,
                category="Shop>Dept%d>Cat%d" % (c % 2, c),
                brand="acme" if c % 2 else "globex",
                title="Item %d" % i,
                price=10.0 + i,
                stock=5,
                launch_time_micros=now_micros - (DAY_MICROS if i >= 38 else 365 * DAY_MICROS),
                attributes={"color": ["red", "blue"][i % 2]},
                embedding=embedding(i),
            )
        )
    return out


def warm_interactions(now_micros):
    sessions, item_ids, times = [], [], []
    t = now_micros - 2 * 3600 * 1000000
    session = 1
    for i in range(CATEGORIES * PER_CATEGORY):
        for _ in range(40 - i):
            sessions.append(session)
            item_ids.append(i)
            times.append(t)
            session += 1
            t += 1000
    for _ in range(20):
        sessions += [session, session]
        item_ids += [0, 1]
        times += [t, t + 1000]
        session += 1
        t += 5000
    return sessions, item_ids, times


def make_snapshot(now_micros, version="v1"):
    """Returns (snapshot, catalog); the caller closes both."""
    catalog = aisle.Catalog.from_records(items(now_micros), embedding_dim=DIM)
    with aisle.AnnIndex.from_catalog(catalog, metric="cosine") as ann, aisle.Model.parse(
        LINEAR_MODEL, "linear"
    ) as model:
        snapshot = aisle.Snapshot(version)
        sessions, item_ids, times = warm_interactions(now_micros)
        snapshot.set_catalog(catalog).set_ann_index(ann).add_model("price", model)
        snapshot.add_warm_interactions(item_ids, times, sessions=sessions)
        snapshot.add_campaign_set("black_friday", ["sku-30", "sku-31"])
        with aisle.Pipeline("home") as home:
            (home.add_source("ann", "ann", 20).add_source("covis", "covisitation", 10)
             .add_source("popular", "popular", 10).set_max_candidates(30).set_ranker("price")
             .set_campaign_set("black_friday").set_default_k(5).set_budget(5000000))
            snapshot.add_pipeline(home)
        with aisle.Pipeline("product_page") as product:
            (product.add_source("ann", "ann", 20).add_source("covis", "covisitation", 10)
             .set_max_candidates(30).set_default_k(5).set_budget(5000000))
            snapshot.add_pipeline(product)
        with aisle.Pipeline("search", kind="search_rerank") as search:
            search.set_ranker("price").set_default_k(5).set_budget(5000000)
            snapshot.add_pipeline(search)
    return snapshot, catalog


# The requests both programs serve, in order (keywords of aisle.Request).
REQUESTS = [
    dict(surface="home", user_id="u1", k=5),
    dict(surface="product_page", seed_items=["sku-3"], k=5),
    dict(surface="product_page", seed_items=["sku-0"], k=6),
    dict(surface="search", search_candidates=["sku-5", "sku-1", "sku-20", "sku-7"], k=4),
    dict(surface="home", context={"category": "Shop>Dept0>Cat2"}, k=5),
    dict(surface="home", user_vector=embedding(25), k=5),
    dict(surface="home", user_id="u2", seed_items=["sku-12"], cart_items=["sku-13"], k=5),
]


def describe(resp):
    """One line per response, the format c_reference.c prints."""
    return "%s|%s|%s|%d|%d|%d|%s" % (
        ",".join(resp.ids),
        ",".join("%.9g" % s for s in resp.scores),
        ",".join(i.reason for i in resp.items),
        int(resp.tier),
        int(resp.fallback_level),
        int(resp.fallback_reason),
        resp.ranker_version,
    )
