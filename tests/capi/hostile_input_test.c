/* Hostile and careless input through the C ABI, from plain C99: event
 * times, engine option bounds, non-finite scores, repeated ids, snapshots
 * whose parts disagree, ids and negative stock. After every refused input the
 * engine must keep serving the answers it served before. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aisle.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    ++checks;                                                                  \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

/* expr must return `code`; for errors the message must contain `needle`. */
#define CHECK_CODE(expr, code, needle)                                                       \
  do {                                                                                       \
    int32_t st_ = (expr);                                                                    \
    ++checks;                                                                                \
    if (st_ != (code)) {                                                                     \
      fprintf(stderr, "%s:%d: %s returned %s (%s), want %s\n", __FILE__, __LINE__, #expr,    \
              aisle_status_name(st_), st_ == AISLE_OK ? "" : aisle_last_error_message(),     \
              aisle_status_name(code));                                                      \
      ++failures;                                                                            \
    } else if ((code) != AISLE_OK && strstr(aisle_last_error_message(), (needle)) == NULL) { \
      fprintf(stderr, "%s:%d: %s: message '%s' lacks '%s'\n", __FILE__, __LINE__, #expr,     \
              aisle_last_error_message(), (needle));                                         \
      ++failures;                                                                            \
    }                                                                                        \
  } while (0)

#define CHECK_OK(expr) CHECK_CODE(expr, AISLE_OK, "")

#define ITEMS 200
#define DIM 8

static aisle_catalog* catalog = NULL;
static aisle_ann_index* ann = NULL;
static int scorer_answers_nan = 0;

/* A host scorer: the first feature, or NaN in row 0 when told to. */
static int32_t Scorer(void* user_data, const float* features, size_t rows, size_t cols,
                      float* scores, int64_t remaining_micros) {
  size_t i;
  (void)user_data;
  (void)remaining_micros;
  for (i = 0; i < rows; ++i) scores[i] = (float)i + (cols > 0 ? 0.0f * features[i * cols] : 0.0f);
  if (scorer_answers_nan && rows > 0) scores[0] = nanf("");
  return AISLE_OK;
}

static const char* Id(int i) {
  static char buf[8][16];
  static int next = 0;
  char* b = buf[next++ % 8];
  snprintf(b, 16, "sku-%07d", i);
  return b;
}

/* An hour ago, item i was viewed (ITEMS - i) / 20 + 1 times: popularity
 * (and so every popular fallback level) has a known order. */
static void AddWarmInteractions(aisle_snapshot* s) {
  static uint64_t sessions[ITEMS * 12];
  static uint32_t items[ITEMS * 12];
  static int64_t times[ITEMS * 12];
  static int32_t types[ITEMS * 12];
  const int64_t hour_ago = ((int64_t)time(NULL) - 3600) * 1000000LL;
  size_t n = 0;
  int i, k;
  for (i = 0; i < ITEMS; ++i) {
    for (k = 0; k < (ITEMS - i) / 20 + 1; ++k) {
      sessions[n] = (uint64_t)n + 1;
      items[n] = (uint32_t)i;
      times[n] = hour_ago + (int64_t)n;
      types[n] = AISLE_INTERACTION_VIEW;
      ++n;
    }
  }
  CHECK_OK(aisle_snapshot_add_warm_interactions(s, sessions, items, times, types, n));
}

/* home: ANN + popularity; search: rerank of the request's candidates; scored:
 * ANN ranked by the host scorer "remote" (registered before the swap). */
static aisle_snapshot* MakeSnapshot(const char* version, int with_scored) {
  aisle_snapshot* s = NULL;
  aisle_pipeline_builder* p = NULL;
  CHECK_OK(aisle_snapshot_create(version, &s));
  CHECK_OK(aisle_snapshot_set_catalog(s, catalog));
  CHECK_OK(aisle_snapshot_set_ann_index(s, ann));
  AddWarmInteractions(s);
  CHECK_OK(aisle_pipeline_builder_create("home", &p));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 20, 0));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "popular", AISLE_SOURCE_POPULAR, 20, 0));
  CHECK_OK(aisle_snapshot_add_pipeline(s, p));
  aisle_pipeline_builder_destroy(p);
  CHECK_OK(aisle_pipeline_builder_create("search", &p));
  CHECK_OK(aisle_pipeline_builder_set_kind(p, AISLE_SURFACE_SEARCH_RERANK));
  CHECK_OK(aisle_snapshot_add_pipeline(s, p));
  aisle_pipeline_builder_destroy(p);
  if (with_scored) {
    CHECK_OK(aisle_pipeline_builder_create("scored", &p));
    CHECK_OK(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 20, 0));
    CHECK_OK(aisle_pipeline_builder_set_ranker(p, "remote", NULL));
    CHECK_OK(aisle_snapshot_add_pipeline(s, p));
    aisle_pipeline_builder_destroy(p);
  }
  return s;
}

static aisle_request* Request(const char* surface) {
  aisle_request* r = NULL;
  CHECK_OK(aisle_request_create(surface, &r));
  return r;
}

/* "level reason: id id id ..." of one request, or "" on error. */
static void Answer(const aisle_engine* e, const aisle_request* r, char* out, size_t len) {
  aisle_response* resp = NULL;
  size_t n = 0, i;
  int32_t level = -1, reason = -1;
  const char* id = NULL;
  out[0] = '\0';
  if (aisle_engine_recommend(e, r, &resp) != AISLE_OK) return;
  CHECK_OK(aisle_response_fallback_level(resp, &level));
  CHECK_OK(aisle_response_fallback_reason(resp, &reason));
  snprintf(out, len, "%d %d:", (int)level, (int)reason);
  CHECK_OK(aisle_response_item_count(resp, &n));
  for (i = 0; i < n; ++i) {
    CHECK_OK(aisle_response_item_id(resp, i, &id));
    if (strlen(out) + strlen(id) + 2 < len) {
      strcat(out, " ");
      strcat(out, id);
    }
  }
  aisle_response_destroy(resp);
}

/* What the engine serves for a fixed set of requests. */
static void Answers(const aisle_engine* e, char* out, size_t len) {
  char one[2048];
  const char* cands[3];
  aisle_request* home = Request("home");
  aisle_request* search = Request("search");
  cands[0] = Id(4);
  cands[1] = Id(2);
  cands[2] = Id(9);
  CHECK_OK(aisle_request_set_search_candidates(search, cands, 3));
  out[0] = '\0';
  Answer(e, home, one, sizeof(one));
  strncat(out, one, len - strlen(out) - 1);
  strncat(out, " | ", len - strlen(out) - 1);
  Answer(e, search, one, sizeof(one));
  strncat(out, one, len - strlen(out) - 1);
  aisle_request_destroy(home);
  aisle_request_destroy(search);
}

static aisle_engine* MakeEngine(const aisle_engine_options* o) {
  aisle_engine* e = NULL;
  aisle_snapshot* s = MakeSnapshot("v1", 0);
  CHECK_OK(aisle_engine_create_with_options(s, o, &e));
  aisle_snapshot_destroy(s);
  return e;
}

static void Metrics(const aisle_engine* e, aisle_engine_metrics* m) {
  memset(m, 0, sizeof(*m));
  m->size = sizeof(*m);
  CHECK_OK(aisle_engine_metrics_read(e, m));
}

static void TestEventTimes(void) {
  char before[4096], after[4096];
  aisle_engine_metrics m;
  aisle_engine_options o;
  aisle_engine* e = MakeEngine(NULL);
  const int64_t year_2100 = 4102444800LL * 1000000LL;
  Answers(e, before, sizeof(before));
  CHECK(strlen(before) > 10);

  /* Not times: refused, nothing changes. */
  CHECK_CODE(aisle_engine_apply_interaction(e, "u1", "s1", Id(7), AISLE_INTERACTION_PURCHASE,
                                            -62135596800LL * 1000000LL, 0),
             AISLE_INVALID_ARGUMENT, "outside [1900-01-01, 2400-01-01)");
  CHECK_CODE(aisle_engine_apply_interaction(e, "u1", "s1", Id(7), AISLE_INTERACTION_PURCHASE,
                                            INT64_MAX, 0),
             AISLE_INVALID_ARGUMENT, "item 'sku-0000007'");
  /* Too old (1970): refused by default. */
  CHECK_CODE(aisle_engine_apply_interaction(e, "u1", "s1", Id(7), AISLE_INTERACTION_VIEW, 0, 0),
             AISLE_INVALID_ARGUMENT, "older than the event window's max_age 168h");
  CHECK_OK(aisle_engine_publish_live_state(e));
  Answers(e, after, sizeof(after));
  CHECK(strcmp(before, after) == 0);

  /* No time: applied now. Far future: applied now (clamped). */
  CHECK_OK(aisle_engine_apply_interaction(e, "u1", "s1", Id(7), AISLE_INTERACTION_VIEW,
                                          AISLE_UNKNOWN_TIME, 0));
  CHECK_OK(aisle_engine_apply_interaction(e, "u1", "s1", Id(7), AISLE_INTERACTION_VIEW, year_2100,
                                          0));
  Metrics(e, &m);
  CHECK(m.events_rejected_time == 2);
  CHECK(m.events_rejected_old == 1);
  CHECK(m.events_rejected == 3);
  CHECK(m.events_time_missing == 1);
  CHECK(m.events_clamped_new == 1);
  CHECK(m.events_applied == 2);
  aisle_engine_destroy(e);

  /* The window is configurable per side. */
  memset(&o, 0, sizeof(o));
  o.size = sizeof(o);
  o.event_too_new = AISLE_EVENT_TIME_REJECT;
  o.event_too_old = AISLE_EVENT_TIME_CLAMP;
  o.event_max_lead_micros = 1000000;
  e = MakeEngine(&o);
  CHECK_CODE(aisle_engine_apply_interaction(e, "u1", "s1", Id(7), AISLE_INTERACTION_VIEW,
                                            year_2100, 0),
             AISLE_INVALID_ARGUMENT, "max_lead 1s");
  CHECK_OK(aisle_engine_apply_interaction(e, "u1", "s1", Id(7), AISLE_INTERACTION_VIEW, 0, 0));
  /* A segment the engine does not count: refused before anything changes. */
  CHECK_CODE(aisle_engine_apply_interaction(e, "u1", "s1", Id(7), AISLE_INTERACTION_VIEW,
                                            AISLE_UNKNOWN_TIME, 65),
             AISLE_INVALID_ARGUMENT, "segment 65 is outside [0, 64]");
  Metrics(e, &m);
  CHECK(m.events_rejected_new == 1);
  CHECK(m.events_clamped_old == 1);
  CHECK(m.events_applied == 1);
  aisle_engine_destroy(e);
}

static void TestOptionBounds(void) {
  aisle_engine_options o;
  aisle_engine* e = (aisle_engine*)&o; /* garbage: must be reset to NULL */
  aisle_snapshot* s = MakeSnapshot("v1", 0);
  memset(&o, 0, sizeof(o));
  o.size = sizeof(o);
  o.history_length = 5000;
  CHECK_CODE(aisle_engine_create_with_options(s, &o, &e), AISLE_INVALID_ARGUMENT,
             "history_length = 5000 is outside [0, 1024]");
  CHECK(e == NULL);
  o.history_length = 0;
  o.isolation_threads = 100000;
  CHECK_CODE(aisle_engine_create_with_options(s, &o, &e), AISLE_INVALID_ARGUMENT,
             "isolation_threads = 100000 is outside [0, 256]");
  o.isolation_threads = 0;
  o.num_segments = 70000;
  CHECK_CODE(aisle_engine_create_with_options(s, &o, &e), AISLE_INVALID_ARGUMENT,
             "num_segments = 70000");
  o.num_segments = 0;
  o.event_too_old = 7;
  CHECK_CODE(aisle_engine_create_with_options(s, &o, &e), AISLE_INVALID_ARGUMENT,
             "event_too_old = 7 is outside [0, 2]");
  o.event_too_old = 0;
  o.event_max_age_micros = -5;
  CHECK_CODE(aisle_engine_create_with_options(s, &o, &e), AISLE_INVALID_ARGUMENT,
             "event_max_age_micros = -5");
  o.event_max_age_micros = 0;
  CHECK_OK(aisle_engine_create_with_options(s, &o, &e));
  aisle_engine_destroy(e);
  aisle_snapshot_destroy(s);
}

static void TestNonFiniteScores(void) {
  char before[4096], after[4096];
  aisle_engine_metrics m;
  aisle_response* resp = NULL;
  const float* scores = NULL;
  size_t n = 0, i;
  int32_t v = -1;
  const char* detail = NULL;
  aisle_engine* e = MakeEngine(NULL);
  aisle_snapshot* s = MakeSnapshot("v2", 1);
  aisle_request* r = Request("scored");
  CHECK_OK(aisle_engine_register_scorer(e, "remote", Scorer, NULL, NULL));
  CHECK_OK(aisle_engine_swap(e, s));
  CHECK_OK(aisle_request_set_seed_items(r, (const char* const[]){Id(3)}, 1));
  Answers(e, before, sizeof(before));

  scorer_answers_nan = 0;
  CHECK_OK(aisle_engine_recommend(e, r, &resp));
  CHECK_OK(aisle_response_fallback_level(resp, &v));
  CHECK(v == AISLE_LEVEL_PERSONALIZED);
  aisle_response_destroy(resp);

  scorer_answers_nan = 1;
  CHECK_OK(aisle_engine_recommend(e, r, &resp));
  CHECK_OK(aisle_response_fallback_level(resp, &v));
  CHECK(v != AISLE_LEVEL_PERSONALIZED);
  CHECK_OK(aisle_response_fallback_reason(resp, &v));
  CHECK(v == AISLE_REASON_NON_FINITE_SCORE);
  CHECK(strcmp(aisle_fallback_reason_name(v), "non_finite_score") == 0);
  CHECK_OK(aisle_response_fallback_detail(resp, &detail));
  CHECK(strstr(detail, "host:remote") != NULL && strstr(detail, "returned nan") != NULL);
  CHECK_OK(aisle_response_scores(resp, &scores, &n));
  if (n == 0) fprintf(stderr, "no items: %s\n", detail);
  CHECK(n > 0);
  for (i = 0; i < n; ++i) CHECK(isfinite(scores[i]));
  aisle_response_destroy(resp);
  scorer_answers_nan = 0;

  Metrics(e, &m);
  CHECK(m.fallback_reasons[AISLE_REASON_NON_FINITE_SCORE] == 1);
  Answers(e, after, sizeof(after));
  CHECK(strcmp(before, after) == 0);
  aisle_request_destroy(r);
  aisle_snapshot_destroy(s);
  aisle_engine_destroy(e);
}

static void TestDuplicatesAndIds(void) {
  char before[4096], after[4096];
  aisle_engine_metrics m;
  aisle_response* resp = NULL;
  size_t n = 0;
  const char* ids[4];
  aisle_engine* e = MakeEngine(NULL);
  aisle_request* r = Request("search");
  Answers(e, before, sizeof(before));
  ids[0] = Id(5);
  ids[1] = Id(5);
  ids[2] = Id(6);
  ids[3] = Id(5);
  CHECK_OK(aisle_request_set_search_candidates(r, ids, 4));
  CHECK_OK(aisle_engine_recommend(e, r, &resp));
  CHECK_OK(aisle_response_item_count(resp, &n));
  CHECK(n == 2);
  aisle_response_destroy(resp);
  Metrics(e, &m);
  CHECK(m.duplicate_request_items == 2);

  /* Request ids that break the id rule (C strings cannot hold NUL, but can
   * hold invalid UTF-8 and control characters). */
  resp = (aisle_response*)&n;
  CHECK_OK(aisle_request_set_user_id(r, "u\xC3("));
  CHECK_CODE(aisle_engine_recommend(e, r, &resp), AISLE_INVALID_ARGUMENT,
             "request user_id: id 'u\\xC3(' is not valid UTF-8");
  CHECK(resp == NULL);
  CHECK_OK(aisle_request_set_user_id(r, "u1"));
  CHECK_OK(aisle_request_set_session_id(r, "s\t1"));
  CHECK_CODE(aisle_engine_recommend(e, r, &resp), AISLE_INVALID_ARGUMENT, "session_id");
  CHECK_OK(aisle_request_set_session_id(r, "s1"));
  CHECK_OK(aisle_request_set_segment(r, 1000));
  CHECK_CODE(aisle_engine_recommend(e, r, &resp), AISLE_INVALID_ARGUMENT,
             "segment = 1000 is outside [0, 64]");
  CHECK_CODE(aisle_engine_apply_interaction(e, "u\x01", NULL, Id(1), AISLE_INTERACTION_VIEW,
                                            AISLE_UNKNOWN_TIME, 0),
             AISLE_INVALID_ARGUMENT, "user_id");
  Answers(e, after, sizeof(after));
  CHECK(strcmp(before, after) == 0);

  /* Negative stock: oversold, accepted, never served. */
  CHECK_OK(aisle_engine_set_stock(e, Id(4), -2));
  Answers(e, after, sizeof(after));
  CHECK(strstr(after, Id(4)) == NULL);
  CHECK_OK(aisle_engine_add_stock(e, Id(4), 5));
  Answers(e, after, sizeof(after));
  CHECK(strcmp(before, after) == 0);
  CHECK_CODE(aisle_engine_add_stock(e, Id(4), INT32_MAX), AISLE_OUT_OF_RANGE,
             "stock of item 'sku-0000004'");
  aisle_request_destroy(r);
  aisle_engine_destroy(e);
}

static void TestSnapshotMismatch(void) {
  char before[4096], after[4096], version[64];
  size_t len = 0, i;
  float data[ITEMS * 4];
  aisle_ann_index* small = NULL;
  aisle_engine* e = MakeEngine(NULL);
  aisle_engine* other = (aisle_engine*)&len;
  aisle_snapshot* s = MakeSnapshot("v2", 0);
  for (i = 0; i < ITEMS * 4; ++i) data[i] = (float)((i * 7919) % 97) / 97.0f + 0.01f;
  CHECK_OK(aisle_ann_index_build(data, ITEMS, 4, NULL, &small));
  CHECK_OK(aisle_snapshot_set_ann_index(s, small));
  Answers(e, before, sizeof(before));
  CHECK_CODE(aisle_engine_create(s, &other), AISLE_INVALID_ARGUMENT,
             "the ANN index has dimension 4 but the catalog's embeddings have 8");
  CHECK(other == NULL);
  CHECK_CODE(aisle_engine_swap(e, s), AISLE_INVALID_ARGUMENT, "dimension 4");
  CHECK_OK(aisle_engine_snapshot_version(e, version, sizeof(version), &len));
  CHECK(strcmp(version, "v1") == 0);
  Answers(e, after, sizeof(after));
  CHECK(strcmp(before, after) == 0);
  aisle_ann_index_destroy(small);
  aisle_snapshot_destroy(s);
  aisle_engine_destroy(e);
}

static const char kLightgbm[] =
    "tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n"
    "max_feature_idx=1\nobjective=binary sigmoid:1\nfeature_names=f0 f1\n"
    "feature_infos=[0:1] [0:1]\ntree_sizes=100\n\nTree=0\nnum_leaves=2\nnum_cat=0\n"
    "split_feature=0\nsplit_gain=1\nthreshold=0.5\ndecision_type=2\nleft_child=-1\n"
    "right_child=-2\nleaf_value=0.1 0.2\nleaf_weight=1 1\nleaf_count=1 1\ninternal_value=0\n"
    "internal_weight=1\ninternal_count=2\nis_linear=0\nshrinkage=1\n\n\nend of trees\n";

static void TestLoaders(void) {
  aisle_model* m = NULL;
  aisle_catalog* c = NULL;
  size_t n = 0;
  char path[256];
  FILE* f;
  const char* overflow =
      "{\"format\": \"aisle.linear\", \"format_version\": 1, \"name\": \"m\",\n"
      " \"link\": \"identity\", \"bias\": 0.0, \"weights\": [{\"feature\": \"a\", \"weight\": 1e999}]}";
  /* A model of the wrong kind is named for what it is. */
  CHECK_CODE(aisle_model_parse(kLightgbm, strlen(kLightgbm), AISLE_MODEL_XGBOOST, &m),
             AISLE_INVALID_ARGUMENT, "looks like a LightGBM text model");
  CHECK(m == NULL);
  CHECK_OK(aisle_model_parse(kLightgbm, strlen(kLightgbm), AISLE_MODEL_LIGHTGBM, &m));
  CHECK_OK(aisle_model_num_features(m, &n));
  CHECK(n == 2);
  aisle_model_destroy(m);
  m = NULL;
  /* An overflowing number: its JSON path and position. */
  CHECK_CODE(aisle_model_parse(overflow, strlen(overflow), AISLE_MODEL_LINEAR, &m),
             AISLE_INVALID_ARGUMENT, "weights[0].weight");
  CHECK(strstr(aisle_last_error_message(), ":2:") != NULL);
  /* A catalog file with an id that is not UTF-8: file, line and field. */
  snprintf(path, sizeof(path), "/tmp/aisle_hostile_%ld.csv", (long)time(NULL));
  f = fopen(path, "wb");
  CHECK(f != NULL);
  if (f == NULL) return;
  fputs("id,title,category,brand,price,stock,launch_time\n", f);
  fputs("sku-1,One,A>B,acme,1.5,-4,\n", f);
  fputs("sku-\xC3(,Two,A>B,acme,2.5,3,\n", f);
  fclose(f);
  CHECK_CODE(aisle_catalog_load(path, NULL, &c), AISLE_INVALID_ARGUMENT, ":3: field 'id'");
  CHECK(strstr(aisle_last_error_message(), "not valid UTF-8") != NULL);
  CHECK(c == NULL);
  /* Negative stock alone loads: oversold. */
  f = fopen(path, "wb");
  if (f == NULL) return;
  fputs("id,title,category,brand,price,stock,launch_time\n", f);
  fputs("sku-1,One,A>B,acme,1.5,-4,\n", f);
  fclose(f);
  CHECK_OK(aisle_catalog_load(path, NULL, &c));
  CHECK_OK(aisle_catalog_size(c, &n));
  CHECK(n == 1);
  aisle_catalog_destroy(c);
  remove(path);
}

int main(void) {
  aisle_ann_options ao;
  CHECK_OK(aisle_catalog_create_synthetic(ITEMS, DIM, 7, &catalog));
  memset(&ao, 0, sizeof(ao));
  ao.size = sizeof(ao);
  ao.metric = AISLE_METRIC_COSINE;
  CHECK_OK(aisle_ann_index_build_from_catalog(catalog, &ao, &ann));
  TestEventTimes();
  TestOptionBounds();
  TestNonFiniteScores();
  TestDuplicatesAndIds();
  TestSnapshotMismatch();
  TestLoaders();
  aisle_ann_index_destroy(ann);
  aisle_catalog_destroy(catalog);
  printf("hostile_input_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
