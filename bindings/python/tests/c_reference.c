/* The storefront of storefront.py built and served through the C ABI alone.
 * test_engine.py compiles it against capi/aisle.h and libaisle, runs it with
 * the same base time and model file as the Python side, and compares the
 * printed responses line by line with what the Python package returns.
 *
 *   c_reference <now_micros> <linear_model.json>
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aisle.h"

#define CHECK(call)                                                          \
  do {                                                                       \
    int32_t rc_ = (call);                                                    \
    if (rc_ != AISLE_OK) {                                                   \
      fprintf(stderr, "%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #call,    \
              aisle_status_name(rc_), aisle_last_error_message());           \
      exit(1);                                                               \
    }                                                                        \
  } while (0)

enum { kCategories = 4, kPerCategory = 10, kDim = 8, kItems = 40 };
static const int64_t kDay = 24LL * 3600 * 1000000;

static void Embedding(int i, float* e) {
  int c = i / kPerCategory;
  for (int j = 0; j < kDim; ++j) {
    double v = ((i * 7 + j * 3) % 11 - 5) * 0.01 + (j == c ? 1.0 : 0.0);
    e[j] = (float)v;
  }
}

static void Serve(aisle_engine* engine, aisle_request* req) {
  aisle_response* resp = NULL;
  CHECK(aisle_engine_recommend(engine, req, &resp));
  size_t n = 0;
  CHECK(aisle_response_item_count(resp, &n));
  const float* scores = NULL;
  size_t m = 0;
  CHECK(aisle_response_scores(resp, &scores, &m));
  for (size_t i = 0; i < n; ++i) {
    const char* id = NULL;
    CHECK(aisle_response_item_id(resp, i, &id));
    printf("%s%s", i ? "," : "", id);
  }
  printf("|");
  for (size_t i = 0; i < n; ++i) printf("%s%.9g", i ? "," : "", (double)scores[i]);
  printf("|");
  for (size_t i = 0; i < n; ++i) {
    const char* reason = NULL;
    CHECK(aisle_response_item_reason(resp, i, &reason));
    printf("%s%s", i ? "," : "", reason);
  }
  int32_t tier = 0, level = 0, why = 0;
  const char* ranker = NULL;
  CHECK(aisle_response_tier(resp, &tier));
  CHECK(aisle_response_fallback_level(resp, &level));
  CHECK(aisle_response_fallback_reason(resp, &why));
  CHECK(aisle_response_ranker_version(resp, &ranker));
  printf("|%d|%d|%d|%s\n", (int)tier, (int)level, (int)why, ranker);
  aisle_response_destroy(resp);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: c_reference <now_micros> <linear_model.json>\n");
    return 2;
  }
  const int64_t now = strtoll(argv[1], NULL, 10);

  aisle_catalog_builder* cb = NULL;
  CHECK(aisle_catalog_builder_create(kDim, &cb));
  for (int i = 0; i < kItems; ++i) {
    int c = i / kPerCategory;
    char id[32], cat[64], title[32];
    snprintf(id, sizeof id, "sku-%d", i);
    snprintf(cat, sizeof cat, "Shop>Dept%d>Cat%d", c % 2, c);
    snprintf(title, sizeof title, "Item %d", i);
    const char* key = "color";
    const char* value = (i % 2) ? "blue" : "red";
    float e[kDim];
    Embedding(i, e);
    aisle_item_spec s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    s.id = id;
    s.category = cat;
    s.brand = (c % 2) ? "acme" : "globex";
    s.title = title;
    s.price = (float)(10.0 + i);
    s.stock = 5;
    s.launch_time_micros = now - (i >= 38 ? kDay : 365 * kDay);
    s.attribute_keys = &key;
    s.attribute_values = &value;
    s.attribute_count = 1;
    s.embedding = e;
    s.embedding_len = kDim;
    CHECK(aisle_catalog_builder_add_item(cb, &s));
  }
  aisle_catalog* catalog = NULL;
  CHECK(aisle_catalog_builder_build(cb, &catalog));
  aisle_catalog_builder_destroy(cb);

  aisle_ann_options ao;
  memset(&ao, 0, sizeof ao);
  ao.size = sizeof ao;
  ao.metric = AISLE_METRIC_COSINE;
  aisle_ann_index* ann = NULL;
  CHECK(aisle_ann_index_build_from_catalog(catalog, &ao, &ann));

  FILE* f = fopen(argv[2], "rb");
  if (!f) return 2;
  char text[4096];
  size_t len = fread(text, 1, sizeof text, f);
  fclose(f);
  aisle_model* model = NULL;
  CHECK(aisle_model_parse(text, len, AISLE_MODEL_LINEAR, &model));

  aisle_snapshot* snap = NULL;
  CHECK(aisle_snapshot_create("v1", &snap));
  CHECK(aisle_snapshot_set_catalog(snap, catalog));
  CHECK(aisle_snapshot_set_ann_index(snap, ann));
  CHECK(aisle_snapshot_add_model(snap, "price", model));

  /* Warm interactions, as storefront.warm_interactions. */
  static uint64_t sessions[2000];
  static uint32_t items[2000];
  static int64_t times[2000];
  static int32_t types[2000];
  size_t n = 0;
  int64_t t = now - 2LL * 3600 * 1000000;
  uint64_t session = 1;
  for (int i = 0; i < kItems; ++i) {
    for (int k = 0; k < 40 - i; ++k) {
      sessions[n] = session++;
      items[n] = (uint32_t)i;
      times[n] = t;
      types[n] = AISLE_INTERACTION_VIEW;
      ++n;
      t += 1000;
    }
  }
  for (int k = 0; k < 20; ++k) {
    sessions[n] = session; items[n] = 0; times[n] = t; types[n] = AISLE_INTERACTION_VIEW; ++n;
    sessions[n] = session; items[n] = 1; times[n] = t + 1000; types[n] = AISLE_INTERACTION_VIEW;
    ++n;
    ++session;
    t += 5000;
  }
  CHECK(aisle_snapshot_add_warm_interactions(snap, sessions, items, times, types, n));
  const char* campaign[] = {"sku-30", "sku-31"};
  CHECK(aisle_snapshot_add_campaign_set(snap, "black_friday", campaign, 2));

  aisle_pipeline_builder* home = NULL;
  CHECK(aisle_pipeline_builder_create("home", &home));
  CHECK(aisle_pipeline_builder_add_source(home, "ann", AISLE_SOURCE_ANN, 20, 0));
  CHECK(aisle_pipeline_builder_add_source(home, "covis", AISLE_SOURCE_COVISITATION, 10, 0));
  CHECK(aisle_pipeline_builder_add_source(home, "popular", AISLE_SOURCE_POPULAR, 10, 0));
  CHECK(aisle_pipeline_builder_set_max_candidates(home, 30));
  CHECK(aisle_pipeline_builder_set_ranker(home, "price", NULL));
  CHECK(aisle_pipeline_builder_set_campaign_set(home, "black_friday"));
  CHECK(aisle_pipeline_builder_set_default_k(home, 5));
  CHECK(aisle_pipeline_builder_set_budget(home, 5000000));
  CHECK(aisle_snapshot_add_pipeline(snap, home));
  aisle_pipeline_builder_destroy(home);

  aisle_pipeline_builder* product = NULL;
  CHECK(aisle_pipeline_builder_create("product_page", &product));
  CHECK(aisle_pipeline_builder_add_source(product, "ann", AISLE_SOURCE_ANN, 20, 0));
  CHECK(aisle_pipeline_builder_add_source(product, "covis", AISLE_SOURCE_COVISITATION, 10, 0));
  CHECK(aisle_pipeline_builder_set_max_candidates(product, 30));
  CHECK(aisle_pipeline_builder_set_default_k(product, 5));
  CHECK(aisle_pipeline_builder_set_budget(product, 5000000));
  CHECK(aisle_snapshot_add_pipeline(snap, product));
  aisle_pipeline_builder_destroy(product);

  aisle_pipeline_builder* search = NULL;
  CHECK(aisle_pipeline_builder_create("search", &search));
  CHECK(aisle_pipeline_builder_set_kind(search, AISLE_SURFACE_SEARCH_RERANK));
  CHECK(aisle_pipeline_builder_set_ranker(search, "price", NULL));
  CHECK(aisle_pipeline_builder_set_default_k(search, 5));
  CHECK(aisle_pipeline_builder_set_budget(search, 5000000));
  CHECK(aisle_snapshot_add_pipeline(snap, search));
  aisle_pipeline_builder_destroy(search);

  aisle_engine* engine = NULL;
  CHECK(aisle_engine_create(snap, &engine));

  /* The requests of storefront.REQUESTS, in order. */
  aisle_request* req = NULL;
  CHECK(aisle_request_create("home", &req));
  CHECK(aisle_request_set_user_id(req, "u1"));
  CHECK(aisle_request_set_k(req, 5));
  Serve(engine, req);
  aisle_request_destroy(req);

  const char* seed3[] = {"sku-3"};
  CHECK(aisle_request_create("product_page", &req));
  CHECK(aisle_request_set_seed_items(req, seed3, 1));
  CHECK(aisle_request_set_k(req, 5));
  Serve(engine, req);
  aisle_request_destroy(req);

  const char* seed0[] = {"sku-0"};
  CHECK(aisle_request_create("product_page", &req));
  CHECK(aisle_request_set_seed_items(req, seed0, 1));
  CHECK(aisle_request_set_k(req, 6));
  Serve(engine, req);
  aisle_request_destroy(req);

  const char* cands[] = {"sku-5", "sku-1", "sku-20", "sku-7"};
  CHECK(aisle_request_create("search", &req));
  CHECK(aisle_request_set_search_candidates(req, cands, 4));
  CHECK(aisle_request_set_k(req, 4));
  Serve(engine, req);
  aisle_request_destroy(req);

  CHECK(aisle_request_create("home", &req));
  CHECK(aisle_request_add_context(req, "category", "Shop>Dept0>Cat2"));
  CHECK(aisle_request_set_k(req, 5));
  Serve(engine, req);
  aisle_request_destroy(req);

  float uv[kDim];
  Embedding(25, uv);
  CHECK(aisle_request_create("home", &req));
  CHECK(aisle_request_set_user_vector(req, uv, kDim));
  CHECK(aisle_request_set_k(req, 5));
  Serve(engine, req);
  aisle_request_destroy(req);

  const char* seed12[] = {"sku-12"};
  const char* cart13[] = {"sku-13"};
  CHECK(aisle_request_create("home", &req));
  CHECK(aisle_request_set_user_id(req, "u2"));
  CHECK(aisle_request_set_seed_items(req, seed12, 1));
  CHECK(aisle_request_set_cart_items(req, cart13, 1));
  CHECK(aisle_request_set_k(req, 5));
  Serve(engine, req);
  aisle_request_destroy(req);

  aisle_engine_destroy(engine);
  aisle_snapshot_destroy(snap);
  aisle_model_destroy(model);
  aisle_ann_index_destroy(ann);
  aisle_catalog_destroy(catalog);
  return 0;
}
