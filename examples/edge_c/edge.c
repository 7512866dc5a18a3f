/* An edge-worker-style program in plain C99 that uses only the C ABI
 * (aisle.h) of the INSTALLED aisle package, statically linked: the binary
 * does not need libaisle.so at run time (see CMakeLists.txt here).
 *
 * An edge worker runs one request per invocation, on one thread, with no
 * background work. This one builds a small deployment in memory (a synthetic
 * catalog, an HNSW index, a linear model from JSON, two surfaces), then
 * serves two requests:
 *   - "search": reranks a list of lexical search results;
 *   - "related": related items for a product page;
 * and shows the error contract on a request for an unknown surface. It checks
 * what it prints (every reranked item came from the lexical list, the seed is
 * never among its related items, ...) and exits 1 on any failure.
 *
 *   edge_c [items]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aisle.h"

/* Runs an aisle call; on failure prints where and why, and exits. */
#define CHECK(call)                                                                 \
  do {                                                                              \
    int32_t rc_ = (call);                                                           \
    if (rc_ != AISLE_OK) {                                                          \
      fprintf(stderr, "edge_c: %s failed: %s: %s\n", #call, aisle_status_name(rc_), \
              aisle_last_error_message());                                          \
      exit(1);                                                                      \
    }                                                                               \
  } while (0)

#define NUM_LEXICAL 40
#define WARM_SESSIONS 300
#define WARM_PER_SESSION 4
#define WARM_EVENTS (WARM_SESSIONS * WARM_PER_SESSION)

static const char kModelJson[] =
    "{\"format\": \"aisle.linear\", \"format_version\": 1, \"name\": \"edge-ctr\","
    " \"link\": \"logistic\", \"bias\": -1.0, \"weights\": ["
    "  {\"feature\": \"similar_score\", \"weight\": 2.0},"
    "  {\"feature\": \"log_price\", \"weight\": -0.3},"
    "  {\"feature\": \"age_days\", \"weight\": -0.002}]}";

/* Copies item `index`'s external id (NUL-terminated) into buf[cap]. */
static void copy_item_id(const aisle_catalog* catalog, uint32_t index, char* buf, size_t cap) {
  const char* id = NULL;
  size_t len = 0;
  CHECK(aisle_catalog_item_id(catalog, index, &id, &len));
  if (len >= cap) len = cap - 1;
  memcpy(buf, id, len);
  buf[len] = '\0';
}

static void print_response(const char* title, const aisle_response* resp) {
  size_t n = 0;
  const float* scores = NULL;
  size_t n_scores = 0;
  int32_t level = 0;
  int32_t reason = 0;
  int64_t total_us = 0;
  const char* ranker = NULL;
  size_t i;
  CHECK(aisle_response_item_count(resp, &n));
  CHECK(aisle_response_scores(resp, &scores, &n_scores));
  CHECK(aisle_response_fallback_level(resp, &level));
  CHECK(aisle_response_fallback_reason(resp, &reason));
  CHECK(aisle_response_latency_micros(resp, AISLE_STAGE_TOTAL, &total_us));
  CHECK(aisle_response_ranker_version(resp, &ranker));
  printf("\n%s  [level=%s reason=%s ranker=%s %lldus]\n", title, aisle_fallback_level_name(level),
         aisle_fallback_reason_name(reason), ranker[0] ? ranker : "-", (long long)total_us);
  for (i = 0; i < n; ++i) {
    const char* id = NULL;
    const char* reason = NULL;
    CHECK(aisle_response_item_id(resp, i, &id));
    CHECK(aisle_response_item_reason(resp, i, &reason));
    printf("  %2u. %-12s score=%.4f  %s\n", (unsigned)(i + 1), id, scores[i], reason);
  }
}

int main(int argc, char** argv) {
  size_t items = 5000;
  aisle_catalog* catalog = NULL;
  aisle_ann_index* ann = NULL;
  aisle_ann_options ann_options;
  aisle_model* model = NULL;
  aisle_pipeline_builder* search = NULL;
  aisle_pipeline_builder* related = NULL;
  aisle_snapshot* snapshot = NULL;
  aisle_engine* engine = NULL;
  aisle_request* request = NULL;
  aisle_response* response = NULL;
  char lexical_ids[NUM_LEXICAL][32];
  const char* lexical[NUM_LEXICAL];
  char seed_id[32];
  const char* seeds[1];
  static uint64_t warm_sessions[WARM_EVENTS];
  static uint32_t warm_items[WARM_EVENTS];
  static int64_t warm_times[WARM_EVENTS];
  static int32_t warm_types[WARM_EVENTS];
  int64_t now_micros;
  size_t i, n;
  int32_t rc;
  int failures = 0;

  if (argc > 1) items = (size_t)strtoul(argv[1], NULL, 10);
  if (items < 100) {
    fprintf(stderr, "usage: %s [items >= 100]\n", argv[0]);
    return 2;
  }
  if (aisle_abi_version() != AISLE_ABI_VERSION) {
    fprintf(stderr, "edge_c: built for ABI %d, library has %d\n", AISLE_ABI_VERSION,
            (int)aisle_abi_version());
    return 1;
  }
  printf("edge_c: aisle %s (ABI %d), %u items\n", aisle_version(), (int)aisle_abi_version(),
         (unsigned)items);

  /* The deployment: catalog, ANN index, model, surfaces, snapshot, engine. */
  CHECK(aisle_catalog_create_synthetic(items, 16, 5, &catalog));
  memset(&ann_options, 0, sizeof ann_options);
  ann_options.size = sizeof ann_options;
  ann_options.metric = AISLE_METRIC_COSINE;
  ann_options.threads = 1; /* an edge worker starts no threads */
  ann_options.ef_construction = 100;
  CHECK(aisle_ann_index_build_from_catalog(catalog, &ann_options, &ann));
  CHECK(aisle_model_parse(kModelJson, strlen(kModelJson), AISLE_MODEL_LINEAR, &model));

  CHECK(aisle_pipeline_builder_create("search", &search));
  CHECK(aisle_pipeline_builder_set_kind(search, AISLE_SURFACE_SEARCH_RERANK));
  CHECK(aisle_pipeline_builder_set_ranker(search, "ctr", NULL));
  CHECK(aisle_pipeline_builder_set_default_k(search, 10));
  /* Generous budgets: the first request of a cold process pays page faults,
   * and CI machines are busy. A real edge worker would use its own. */
  CHECK(aisle_pipeline_builder_set_budget(search, 200000));
  CHECK(aisle_pipeline_builder_create("related", &related));
  CHECK(aisle_pipeline_builder_add_source(related, "similar", AISLE_SOURCE_ANN, 100, 64));
  CHECK(aisle_pipeline_builder_set_ranker(related, "ctr", NULL));
  CHECK(aisle_pipeline_builder_set_default_k(related, 8));
  CHECK(aisle_pipeline_builder_set_budget(related, 200000));

  CHECK(aisle_snapshot_create("edge-1", &snapshot));
  CHECK(aisle_snapshot_set_catalog(snapshot, catalog));
  CHECK(aisle_snapshot_set_ann_index(snapshot, ann));
  CHECK(aisle_snapshot_add_model(snapshot, "ctr", model));
  CHECK(aisle_snapshot_add_pipeline(snapshot, search));
  CHECK(aisle_snapshot_add_pipeline(snapshot, related));
  /* Yesterday's sessions (a few items browsed each) seed live popularity and
   * co-visitation, so the popular fallback levels have items to serve. */
  now_micros = (int64_t)time(NULL) * 1000000;
  for (i = 0; i < WARM_EVENTS; ++i) {
    const size_t session = i / WARM_PER_SESSION;
    warm_sessions[i] = session + 1;
    warm_items[i] = (uint32_t)((session * 37 + (i % WARM_PER_SESSION) * 5) % (items / 4));
    warm_times[i] = now_micros - (int64_t)(WARM_EVENTS - i) * 60 * 1000000;
    warm_types[i] = AISLE_INTERACTION_VIEW;
  }
  CHECK(aisle_snapshot_add_warm_interactions(snapshot, warm_sessions, warm_items, warm_times,
                                             warm_types, WARM_EVENTS));
  CHECK(aisle_engine_create(snapshot, &engine));
  /* The engine holds what it needs: the build handles can go now. */
  aisle_snapshot_destroy(snapshot);
  aisle_pipeline_builder_destroy(search);
  aisle_pipeline_builder_destroy(related);
  aisle_model_destroy(model);
  aisle_ann_index_destroy(ann);

  /* 1. Search rerank: 40 lexical results, best 10 by the model. */
  for (i = 0; i < NUM_LEXICAL; ++i) {
    copy_item_id(catalog, (uint32_t)((i * 97 + 13) % items), lexical_ids[i], sizeof lexical_ids[i]);
    lexical[i] = lexical_ids[i];
  }
  CHECK(aisle_request_create("search", &request));
  CHECK(aisle_request_set_search_candidates(request, lexical, NUM_LEXICAL));
  CHECK(aisle_engine_recommend(engine, request, &response));
  print_response("Search rerank of 40 lexical results", response);
  CHECK(aisle_response_item_count(response, &n));
  if (n == 0 || n > 10) {
    fprintf(stderr, "edge_c: search rerank returned %u items, want 1..10\n", (unsigned)n);
    ++failures;
  }
  for (i = 0; i < n; ++i) {
    const char* id = NULL;
    size_t j;
    int found = 0;
    CHECK(aisle_response_item_id(response, i, &id));
    for (j = 0; j < NUM_LEXICAL; ++j) found |= strcmp(id, lexical[j]) == 0;
    if (!found) {
      fprintf(stderr, "edge_c: reranked item %s was not a search result\n", id);
      ++failures;
    }
  }
  aisle_response_destroy(response);
  response = NULL;

  /* 2. Related items for a product page (the same request handle, reused). */
  copy_item_id(catalog, 42, seed_id, sizeof seed_id);
  seeds[0] = seed_id;
  CHECK(aisle_request_set_surface(request, "related"));
  CHECK(aisle_request_set_search_candidates(request, NULL, 0));
  CHECK(aisle_request_set_seed_items(request, seeds, 1));
  CHECK(aisle_engine_recommend(engine, request, &response));
  print_response("Related items for the product page of the seed", response);
  printf("  (seed %s)\n", seed_id);
  CHECK(aisle_response_item_count(response, &n));
  if (n == 0) {
    fprintf(stderr, "edge_c: no related items\n");
    ++failures;
  }
  for (i = 0; i < n; ++i) {
    const char* id = NULL;
    CHECK(aisle_response_item_id(response, i, &id));
    if (strcmp(id, seed_id) == 0) {
      fprintf(stderr, "edge_c: the seed came back among its related items\n");
      ++failures;
    }
  }
  aisle_response_destroy(response);
  response = NULL;

  /* 3. The error contract: an unknown surface is an error code, a message,
   * and a NULL response; the engine keeps serving. */
  CHECK(aisle_request_set_surface(request, "no_such_surface"));
  rc = aisle_engine_recommend(engine, request, &response);
  printf("\nunknown surface: %s: %s\n", aisle_status_name(rc), aisle_last_error_message());
  if (rc == AISLE_OK || response != NULL ||
      strstr(aisle_last_error_message(), "no_such_surface") == NULL) {
    fprintf(stderr, "edge_c: an unknown surface was not reported as an error naming it\n");
    ++failures;
  }

  aisle_response_destroy(response);
  aisle_request_destroy(request);
  aisle_engine_destroy(engine);
  aisle_catalog_destroy(catalog);
  printf("edge_c: %s\n", failures == 0 ? "ok" : "FAILED");
  return failures == 0 ? 0 : 1;
}
