#!/usr/bin/env python3
"""A storefront's three recommendation surfaces, served by aisle from Python.

  * product page: "related items" for the product being viewed;
  * home page: a personalized rail from the shopper's recent views;
  * search: the lexical results of a query, reranked by a model.

Run it against a build of libaisle:

    AISLE_LIBRARY=build/capi/libaisle.so PYTHONPATH=bindings/python \\
        /usr/bin/python3 examples/python/storefront.py

It uses a deterministic synthetic catalog, so it needs no data files.
"""

import json
import random
import sys
import time

import aisle

ITEMS = 5000
DIM = 32
NOW = int(time.time() * 1e6)
HOUR = 3600 * 1000000

# A linear ranker over features the engine assembles for every candidate:
# the ANN similarity and the item's price. (Train it offline; in production
# this would be an XGBoost or LightGBM file loaded with aisle.Model.load.)
RANKER = json.dumps({
    "format": "aisle.linear", "format_version": 1, "name": "storefront-demo",
    "link": "logistic", "bias": 0.0,
    "weights": [{"feature": "ann_score", "weight": 4.0},
                {"feature": "price", "weight": -0.002}],
})


def warm_traffic(rng, catalog_size):
    """Simulated recent sessions: shoppers browse within a neighbourhood of items."""
    sessions, items, times = [], [], []
    t = NOW - 6 * HOUR
    for s in range(1, 3001):
        start = int(rng.paretovariate(1.2)) % catalog_size
        for _ in range(rng.randint(2, 6)):
            sessions.append(s)
            items.append((start + rng.randint(0, 20)) % catalog_size)
            times.append(t)
            t += 1000000  # about 12,000 events over 3.3 hours, all before NOW
    return sessions, items, times


def build_engine():
    rng = random.Random(42)
    with aisle.Catalog.synthetic(ITEMS, dim=DIM, seed=7) as catalog, \
            aisle.AnnIndex.from_catalog(catalog, metric="cosine") as ann, \
            aisle.Model.parse(RANKER, "linear") as ranker, \
            aisle.Snapshot("demo-" + time.strftime("%Y%m%d")) as snapshot:
        snapshot.set_catalog(catalog).set_ann_index(ann).add_model("ranker", ranker)
        sessions, items, times = warm_traffic(rng, len(catalog))
        snapshot.add_warm_interactions(items, times, sessions=sessions)
        snapshot.add_campaign_set("editors_picks", [catalog.item_id(i) for i in range(10)])

        with aisle.Pipeline("product_page") as p:
            (p.add_source("ann", "ann", quota=100)
             .add_source("covis", "covisitation", quota=50)
             .set_max_candidates(120).set_ranker("ranker")
             .set_category_cap(max_per_category=3, top_m=8)
             .set_default_k(8).set_budget(20_000))
            snapshot.add_pipeline(p)
        with aisle.Pipeline("home") as p:
            (p.add_source("ann", "ann", quota=150)
             .add_source("covis", "covisitation", quota=50)
             .add_source("popular", "popular", quota=50)
             .set_max_candidates(200).set_ranker("ranker").set_mmr(0.7)
             .set_campaign_set("editors_picks").set_default_k(10).set_budget(30_000))
            snapshot.add_pipeline(p)
        with aisle.Pipeline("search", kind="search_rerank") as p:
            p.set_ranker("ranker").set_default_k(10).set_budget(20_000)
            snapshot.add_pipeline(p)
        # The engine copies the snapshot; every handle above may be closed now.
        return aisle.Engine(snapshot)


def show(title, resp):
    print("\n== %s" % title)
    print("   served by %s (reason: %s), tier %s, ranker %s" % (
        resp.fallback_level.name.lower(), resp.fallback_reason.name.lower(),
        resp.tier.name.lower(), resp.ranker_version or "-"))
    if resp.fallback_detail:
        print("   why: %s" % resp.fallback_detail)
    for rank, item in enumerate(resp.items, 1):
        print("   %2d. %-12s score %8.4f  %-11s from %s" % (
            rank, item.id, item.score, item.reason, "+".join(item.sources) or "-"))
    print("   %d candidates, %d filtered, %d us total" % (
        resp.counts.candidates, resp.counts.filtered, resp.latency_micros[aisle.Stage.TOTAL]))


def main():
    print("aisle %s (ABI %d) from %s; numpy %s" % (
        aisle.library_version(), aisle.abi_version(), aisle.library_path,
        "on" if aisle.numpy_enabled() else "off"))
    with build_engine() as engine:
        viewed = "sku-0000123"

        # 1. Product page: related items for the product being viewed.
        with aisle.Request("product_page", session_id="s-1", seed_items=[viewed], k=8) as req:
            related = engine.recommend(req)
        show("Related to %s" % viewed, related)
        assert viewed not in related.ids and len(related) == 8

        # 2. Home page: the shopper browsed a few products; the rail follows.
        for item_id in ("sku-0000123", "sku-0000130", "sku-0000141"):
            engine.apply_interaction(item_id, "view", at_micros=NOW, user_id="u-17",
                                     session_id="s-1")
        engine.apply_interaction("sku-0000130", "add_to_cart", at_micros=NOW, user_id="u-17",
                                 session_id="s-1")
        engine.publish_live_state()
        with aisle.Request("home", user_id="u-17", session_id="s-1", k=10,
                           cart_items=["sku-0000130"], context={"device": "mobile"}) as req:
            home = engine.recommend(req)
        show("Home rail for u-17", home)
        assert "sku-0000130" not in home.ids  # already in the cart

        # A new visitor with no history still gets a full rail (fallback).
        cold = engine.recommend(surface="home", session_id="s-new", k=10)
        show("Home rail for a first-time visitor", cold)
        assert len(cold) == 10

        # 3. Search: rerank the lexical engine's results for "running shoes".
        lexical = ["sku-%07d" % i for i in (4001, 17, 2500, 123, 999, 3141, 77, 4242)]
        with aisle.Request("search", user_id="u-17", search_candidates=lexical, k=5) as req:
            reranked = engine.recommend(req)
        show("Search rerank of %d lexical results" % len(lexical), reranked)
        assert set(reranked.ids) <= set(lexical) and len(reranked) == 5

        # Flash sale: an item sells out and disappears from every surface.
        sold_out = related.ids[0]
        engine.set_stock(sold_out, 0)
        again = engine.recommend(aisle.Request("product_page", seed_items=[viewed], k=8))
        print("\n%s sold out -> no longer served: %s" % (sold_out, sold_out not in again.ids))
        assert sold_out not in again.ids

        m = engine.metrics()
        print("\nengine: %d requests, served by level %s, %d events applied" % (
            m.requests, {k.name.lower(): v for k, v in m.served_by_level.items()},
            m.events_applied))
    return 0


if __name__ == "__main__":
    sys.exit(main())
