/* Exercises every function of capi/aisle.h from plain C99, error paths
 * included (NULL arguments, bad ids, wrong dimensions, corrupt files), and
 * asserts results. Model parity is checked against predictions made by
 * XGBoost itself (tests/data/ranking) and against hand-computed values. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aisle.h"

#ifndef AISLE_SOURCE_DIR
#define AISLE_SOURCE_DIR "."
#endif

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

static char tmp_dir[256];

static void TmpPath(char* buf, size_t len, const char* name) {
  snprintf(buf, len, "%s/%s", tmp_dir, name);
}

static void WriteFile(const char* path, const void* data, size_t len) {
  FILE* f = fopen(path, "wb");
  if (f == NULL) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(2);
  }
  fwrite(data, 1, len, f);
  fclose(f);
}

static size_t ReadFile(const char* path, char* buf, size_t cap) {
  size_t n;
  FILE* f = fopen(path, "rb");
  if (f == NULL) return 0;
  n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

/* Reads a whitespace-separated float table ("nan" allowed). */
static size_t ReadFloats(const char* path, float* out, size_t cap) {
  size_t n = 0;
  char word[64];
  FILE* f = fopen(path, "r");
  if (f == NULL) return 0;
  while (n < cap && fscanf(f, "%63s", word) == 1) out[n++] = strtof(word, NULL);
  fclose(f);
  return n;
}

static int Near(double a, double b, double tol) { return fabs(a - b) <= tol; }

static void TestLibrary(void) {
  CHECK(aisle_abi_version() == AISLE_ABI_VERSION);
  CHECK(aisle_version() != NULL && strlen(aisle_version()) >= 5);
  CHECK(strcmp(aisle_last_error_message(), "") == 0);
  CHECK(strcmp(aisle_status_name(AISLE_OK), "OK") == 0);
  CHECK(strcmp(aisle_status_name(AISLE_INVALID_ARGUMENT), "INVALID_ARGUMENT") == 0);
  CHECK(strcmp(aisle_status_name(AISLE_DATA_LOSS), "DATA_LOSS") == 0);
  CHECK(strcmp(aisle_status_name(12345), "UNRECOGNIZED") == 0);
  CHECK(strcmp(aisle_fallback_level_name(AISLE_LEVEL_PERSONALIZED), "personalized") == 0);
  CHECK(strcmp(aisle_fallback_level_name(AISLE_LEVEL_GLOBAL_POPULAR), "global_popular") == 0);
  CHECK(strcmp(aisle_fallback_level_name(AISLE_LEVEL_LEXICAL), "lexical") == 0);
  CHECK(strcmp(aisle_fallback_level_name(99), "unknown") == 0);
  CHECK(strcmp(aisle_fallback_reason_name(AISLE_REASON_EMPTY_STAGE), "empty_stage") == 0);
  CHECK(strcmp(aisle_fallback_reason_name(AISLE_REASON_BREAKER_OPEN), "breaker_open") == 0);
  CHECK(strcmp(aisle_fallback_reason_name(-1), "unknown") == 0);
  CHECK(strcmp(aisle_tier_name(AISLE_TIER_FEW_INTERACTIONS), "few_interactions") == 0);
  CHECK(strcmp(aisle_tier_name(3), "unknown") == 0);
}

/* ------------------------------------------------------------------ catalog */

static void TestCatalog(void) {
  aisle_catalog_builder* b = NULL;
  aisle_catalog_builder* b2 = NULL;
  aisle_catalog* c = (aisle_catalog*)&b; /* non-NULL garbage: must be reset */
  aisle_item_spec spec;
  const char* keys[] = {"color", "size"};
  const char* values[] = {"black", "L"};
  const float emb[3] = {1.0f, 0.0f, 0.0f};
  const float emb2[3] = {0.0f, 1.0f, 0.0f};
  const float bad_emb[2] = {1.0f, 2.0f};
  const float* row = NULL;
  const char* id = NULL;
  size_t n = 0, len = 0;
  uint32_t index = 0;
  char path[512], emb_path[512];

  CHECK_CODE(aisle_catalog_builder_create(-2, &b), AISLE_INVALID_ARGUMENT, "embedding_dim");
  CHECK(b == NULL);
  CHECK_CODE(aisle_catalog_builder_create(3, NULL), AISLE_INVALID_ARGUMENT, "out is NULL");
  CHECK_OK(aisle_catalog_builder_create(3, &b));
  CHECK(b != NULL);

  memset(&spec, 0, sizeof(spec));
  spec.size = sizeof(spec);
  spec.id = "a-1";
  spec.category = "Shop>Audio";
  spec.brand = "Acme";
  spec.title = "Acme headphones";
  spec.price = 10.0f;
  spec.stock = 4;
  spec.launch_time_micros = AISLE_UNKNOWN_TIME;
  spec.attribute_keys = keys;
  spec.attribute_values = values;
  spec.attribute_count = 2;
  spec.embedding = emb;
  spec.embedding_len = 3;
  CHECK_OK(aisle_catalog_builder_add_item(b, &spec));
  spec.id = "a-2";
  spec.embedding = emb2;
  spec.launch_time_micros = 1700000000000000LL;
  CHECK_OK(aisle_catalog_builder_add_item(b, &spec));
  /* errors leave the builder unchanged */
  CHECK_CODE(aisle_catalog_builder_add_item(b, &spec), AISLE_INVALID_ARGUMENT, "a-2");
  spec.id = "a-3";
  spec.embedding = bad_emb;
  spec.embedding_len = 2;
  CHECK_CODE(aisle_catalog_builder_add_item(b, &spec), AISLE_INVALID_ARGUMENT, "a-3");
  spec.embedding = emb;
  spec.embedding_len = 3;
  spec.price = -1.0f;
  CHECK_CODE(aisle_catalog_builder_add_item(b, &spec), AISLE_INVALID_ARGUMENT, "a-3");
  spec.price = 3.0f;
  spec.id = NULL;
  CHECK_CODE(aisle_catalog_builder_add_item(b, &spec), AISLE_INVALID_ARGUMENT, "id is NULL");
  spec.id = "a-3";
  spec.size = 0;
  CHECK_CODE(aisle_catalog_builder_add_item(b, &spec), AISLE_INVALID_ARGUMENT, "size");
  spec.size = sizeof(spec);
  spec.attribute_keys = NULL;
  CHECK_CODE(aisle_catalog_builder_add_item(b, &spec), AISLE_INVALID_ARGUMENT, "attribute_keys");
  spec.attribute_keys = keys;
  CHECK_CODE(aisle_catalog_builder_add_item(NULL, &spec), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_catalog_builder_add_item(b, NULL), AISLE_INVALID_ARGUMENT, "NULL");
  CHECK_OK(aisle_catalog_builder_add_item(b, &spec));
  CHECK_OK(aisle_catalog_builder_size(b, &n));
  CHECK(n == 3);
  CHECK_CODE(aisle_catalog_builder_size(NULL, &n), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_catalog_builder_size(b, NULL), AISLE_INVALID_ARGUMENT, "out");

  CHECK_CODE(aisle_catalog_builder_add_file(b, "items.txt"), AISLE_INVALID_ARGUMENT, "items.txt");
  CHECK_CODE(aisle_catalog_builder_add_file(b, "/nonexistent/items.csv"), AISLE_NOT_FOUND,
             "/nonexistent/items.csv");
  CHECK_CODE(aisle_catalog_builder_add_file(NULL, "x.csv"), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_catalog_builder_add_file(b, NULL), AISLE_INVALID_ARGUMENT, "path");

  CHECK_CODE(aisle_catalog_builder_build(NULL, &c), AISLE_INVALID_ARGUMENT, "builder");
  CHECK(c == NULL);
  CHECK_OK(aisle_catalog_builder_build(b, &c));
  CHECK(c != NULL);
  CHECK_OK(aisle_catalog_size(c, &n));
  CHECK(n == 3);
  CHECK_OK(aisle_catalog_embedding_dim(c, &n));
  CHECK(n == 3);
  CHECK_OK(aisle_catalog_find(c, "a-2", &index));
  CHECK(index == 1);
  CHECK_CODE(aisle_catalog_find(c, "zzz", &index), AISLE_NOT_FOUND, "zzz");
  CHECK_CODE(aisle_catalog_find(c, NULL, &index), AISLE_INVALID_ARGUMENT, "id");
  CHECK_CODE(aisle_catalog_find(c, "a-2", NULL), AISLE_INVALID_ARGUMENT, "out_index");
  CHECK_CODE(aisle_catalog_find(NULL, "a-2", &index), AISLE_INVALID_ARGUMENT, "catalog");
  CHECK_OK(aisle_catalog_item_id(c, 2, &id, &len));
  CHECK(len == 3 && memcmp(id, "a-3", 3) == 0);
  CHECK_CODE(aisle_catalog_item_id(c, 3, &id, &len), AISLE_OUT_OF_RANGE, "3");
  CHECK_CODE(aisle_catalog_item_id(c, 0, NULL, &len), AISLE_INVALID_ARGUMENT, "out_data");
  CHECK_CODE(aisle_catalog_item_id(c, 0, &id, NULL), AISLE_INVALID_ARGUMENT, "out_len");
  CHECK_OK(aisle_catalog_item_embedding(c, 1, &row, &len));
  CHECK(len == 3 && row[0] == 0.0f && row[1] == 1.0f);
  CHECK_CODE(aisle_catalog_item_embedding(c, 9, &row, &len), AISLE_OUT_OF_RANGE, "9");
  CHECK_CODE(aisle_catalog_item_embedding(c, 0, NULL, &len), AISLE_INVALID_ARGUMENT, "out_data");
  CHECK_CODE(aisle_catalog_item_embedding(c, 0, &row, NULL), AISLE_INVALID_ARGUMENT, "out_len");
  CHECK_CODE(aisle_catalog_size(NULL, &n), AISLE_INVALID_ARGUMENT, "catalog");
  CHECK_CODE(aisle_catalog_size(c, NULL), AISLE_INVALID_ARGUMENT, "out");
  CHECK_CODE(aisle_catalog_embedding_dim(NULL, &n), AISLE_INVALID_ARGUMENT, "catalog");
  CHECK_CODE(aisle_catalog_embedding_dim(c, NULL), AISLE_INVALID_ARGUMENT, "out");
  aisle_catalog_destroy(c);

  /* the builder is empty after build */
  c = NULL;
  CHECK_CODE(aisle_catalog_builder_build(b, &c), AISLE_FAILED_PRECONDITION, "");
  CHECK(c == NULL);
  aisle_catalog_builder_destroy(b);
  aisle_catalog_builder_destroy(NULL);

  /* a catalog without embeddings */
  CHECK_OK(aisle_catalog_builder_create(0, &b));
  spec.embedding = NULL;
  spec.embedding_len = 0;
  CHECK_OK(aisle_catalog_builder_add_item(b, &spec));
  CHECK_OK(aisle_catalog_builder_build(b, &c));
  CHECK_CODE(aisle_catalog_item_embedding(c, 0, &row, &len), AISLE_FAILED_PRECONDITION,
             "no embeddings");
  {
    aisle_ann_index* idx = NULL;
    CHECK_CODE(aisle_ann_index_build_from_catalog(c, NULL, &idx), AISLE_FAILED_PRECONDITION,
               "embeddings");
    CHECK(idx == NULL);
  }
  aisle_catalog_destroy(c);
  aisle_catalog_builder_destroy(b);

  /* files: CSV + .npy, JSONL + attached .npy */
  snprintf(path, sizeof(path), "%s/tests/data/catalog/items.csv", AISLE_SOURCE_DIR);
  snprintf(emb_path, sizeof(emb_path), "%s/tests/data/catalog/emb_4x3_f4.npy", AISLE_SOURCE_DIR);
  CHECK_OK(aisle_catalog_load(path, emb_path, &c));
  CHECK_OK(aisle_catalog_size(c, &n));
  CHECK(n == 4);
  CHECK_OK(aisle_catalog_embedding_dim(c, &n));
  CHECK(n == 3);
  CHECK_OK(aisle_catalog_find(c, "sku-003", &index));
  CHECK(index == 2);
  aisle_catalog_destroy(c);
  CHECK_OK(aisle_catalog_load(path, NULL, &c));
  CHECK_OK(aisle_catalog_embedding_dim(c, &n));
  CHECK(n == 0);
  aisle_catalog_destroy(c);
  c = (aisle_catalog*)&b;
  CHECK_CODE(aisle_catalog_load("/nonexistent/items.csv", NULL, &c), AISLE_NOT_FOUND,
             "/nonexistent/items.csv");
  CHECK(c == NULL);
  CHECK_CODE(aisle_catalog_load(NULL, NULL, &c), AISLE_INVALID_ARGUMENT, "items_path");
  CHECK_CODE(aisle_catalog_load(path, NULL, NULL), AISLE_INVALID_ARGUMENT, "out");
  {
    char bad[512];
    const char junk[] = "\x93NUMPX this is not a numpy file at all";
    TmpPath(bad, sizeof(bad), "corrupt.npy");
    WriteFile(bad, junk, sizeof(junk));
    c = (aisle_catalog*)&b;
    CHECK_CODE(aisle_catalog_load(path, bad, &c), AISLE_INVALID_ARGUMENT, "corrupt.npy");
    CHECK(c == NULL);

    snprintf(path, sizeof(path), "%s/tests/data/catalog/items.jsonl", AISLE_SOURCE_DIR);
    CHECK_OK(aisle_catalog_builder_create(-1, &b));
    CHECK_OK(aisle_catalog_builder_add_file(b, path));
    CHECK_CODE(aisle_catalog_builder_attach_embeddings_file(b, bad), AISLE_INVALID_ARGUMENT,
               "corrupt.npy");
    CHECK_CODE(aisle_catalog_builder_attach_embeddings_file(NULL, emb_path), AISLE_INVALID_ARGUMENT,
               "builder");
    CHECK_CODE(aisle_catalog_builder_attach_embeddings_file(b, NULL), AISLE_INVALID_ARGUMENT,
               "path");
    CHECK_OK(aisle_catalog_builder_attach_embeddings_file(b, emb_path));
    CHECK_OK(aisle_catalog_builder_build(b, &c));
    CHECK_OK(aisle_catalog_size(c, &n));
    CHECK(n == 4);
    CHECK_OK(aisle_catalog_item_embedding(c, 0, &row, &len));
    CHECK(len == 3);
    aisle_catalog_destroy(c);
    aisle_catalog_builder_destroy(b);

    /* a JSONL file with a broken line names the file and line */
    TmpPath(bad, sizeof(bad), "bad.jsonl");
    WriteFile(bad, "{\"id\": \"x\", \"price\": 1, \"stock\": 1}\n{\"id\": \"y\", \"price\": \n",
              58);
    CHECK_OK(aisle_catalog_builder_create(0, &b2));
    CHECK_CODE(aisle_catalog_builder_add_file(b2, bad), AISLE_INVALID_ARGUMENT, "bad.jsonl:2");
    aisle_catalog_builder_destroy(b2);
  }

  /* synthetic */
  c = (aisle_catalog*)&b;
  CHECK_CODE(aisle_catalog_create_synthetic(0, 8, 1, &c), AISLE_INVALID_ARGUMENT, "items");
  CHECK(c == NULL);
  CHECK_CODE(aisle_catalog_create_synthetic(10, 8, 1, NULL), AISLE_INVALID_ARGUMENT, "out");
  CHECK_OK(aisle_catalog_create_synthetic(100, 8, 7, &c));
  CHECK_OK(aisle_catalog_size(c, &n));
  CHECK(n == 100);
  CHECK_OK(aisle_catalog_find(c, "sku-0000042", &index));
  CHECK(index == 42);
  aisle_catalog_destroy(c);
  aisle_catalog_destroy(NULL);
}

/* ---------------------------------------------------------------- retrieval */

static int Contains(const uint32_t* items, size_t n, uint32_t x) {
  size_t i;
  for (i = 0; i < n; ++i) {
    if (items[i] == x) return 1;
  }
  return 0;
}

static void TestAnn(void) {
  aisle_catalog* c = NULL;
  aisle_ann_index* idx = NULL;
  aisle_ann_index* loaded = NULL;
  aisle_ann_options opts;
  aisle_search_params params;
  uint32_t items[10], items2[10];
  float scores[10], scores2[10];
  size_t count = 0, count2 = 0, n = 0, i;
  const float* row = NULL;
  float query[8];
  const uint32_t allowed[3] = {1, 2, 3};
  const uint32_t exclude[1] = {5};
  const uint32_t bad_list[1] = {100000};
  const uint32_t seeds[1] = {5};
  char path[512];

  CHECK_OK(aisle_catalog_create_synthetic(300, 8, 3, &c));
  memset(&opts, 0, sizeof(opts));
  opts.size = sizeof(opts);
  opts.metric = AISLE_METRIC_COSINE;
  opts.seed = 11;
  CHECK_OK(aisle_ann_index_build_from_catalog(c, &opts, &idx));
  CHECK_OK(aisle_ann_index_size(idx, &n));
  CHECK(n == 300);
  CHECK_OK(aisle_ann_index_dim(idx, &n));
  CHECK(n == 8);
  CHECK_CODE(aisle_ann_index_size(NULL, &n), AISLE_INVALID_ARGUMENT, "index");
  CHECK_CODE(aisle_ann_index_size(idx, NULL), AISLE_INVALID_ARGUMENT, "out");
  CHECK_CODE(aisle_ann_index_dim(NULL, &n), AISLE_INVALID_ARGUMENT, "index");
  CHECK_CODE(aisle_ann_index_dim(idx, NULL), AISLE_INVALID_ARGUMENT, "out");

  CHECK_OK(aisle_catalog_item_embedding(c, 5, &row, &n));
  memcpy(query, row, sizeof(query));
  CHECK_OK(aisle_ann_index_search(idx, query, 8, 10, NULL, items, scores, &count));
  CHECK(count == 10);
  CHECK(items[0] == 5);
  CHECK(Near(scores[0], 1.0, 1e-4));
  for (i = 1; i < count; ++i) CHECK(scores[i - 1] >= scores[i]);
  CHECK_OK(aisle_ann_index_search(idx, query, 8, 10, NULL, items, NULL, &count));
  CHECK(count == 10 && items[0] == 5);

  memset(&params, 0, sizeof(params));
  params.size = sizeof(params);
  params.ef = 128;
  params.exclude = exclude;
  params.exclude_count = 1;
  CHECK_OK(aisle_ann_index_search(idx, query, 8, 10, &params, items, scores, &count));
  CHECK(count == 10 && !Contains(items, count, 5));
  params.exclude = NULL;
  params.exclude_count = 0;
  params.allowed = allowed;
  params.allowed_count = 3;
  CHECK_OK(aisle_ann_index_search(idx, query, 8, 10, &params, items, scores, &count));
  CHECK(count == 3);
  for (i = 0; i < count; ++i) CHECK(items[i] >= 1 && items[i] <= 3);
  params.allowed = bad_list;
  params.allowed_count = 1;
  CHECK_CODE(aisle_ann_index_search(idx, query, 8, 10, &params, items, scores, &count),
             AISLE_INVALID_ARGUMENT, "100000");
  params.allowed = NULL;
  params.allowed_count = 1;
  CHECK_CODE(aisle_ann_index_search(idx, query, 8, 10, &params, items, scores, &count),
             AISLE_INVALID_ARGUMENT, "allowed");
  params.allowed_count = 0;
  params.exclude = bad_list;
  params.exclude_count = 1;
  CHECK_CODE(aisle_ann_index_search(idx, query, 8, 10, &params, items, scores, &count),
             AISLE_INVALID_ARGUMENT, "exclude");
  params.exclude_count = 0;
  params.size = 0;
  CHECK_CODE(aisle_ann_index_search(idx, query, 8, 10, &params, items, scores, &count),
             AISLE_INVALID_ARGUMENT, "size");

  CHECK_CODE(aisle_ann_index_search(idx, query, 7, 10, NULL, items, scores, &count),
             AISLE_INVALID_ARGUMENT, "");
  query[2] = NAN;
  CHECK_CODE(aisle_ann_index_search(idx, query, 8, 10, NULL, items, scores, &count),
             AISLE_INVALID_ARGUMENT, "");
  memcpy(query, row, sizeof(query));
  CHECK_CODE(aisle_ann_index_search(NULL, query, 8, 10, NULL, items, scores, &count),
             AISLE_INVALID_ARGUMENT, "index");
  CHECK_CODE(aisle_ann_index_search(idx, NULL, 8, 10, NULL, items, scores, &count),
             AISLE_INVALID_ARGUMENT, "query");
  CHECK_CODE(aisle_ann_index_search(idx, query, 8, 10, NULL, NULL, scores, &count),
             AISLE_INVALID_ARGUMENT, "out_items");
  CHECK_CODE(aisle_ann_index_search(idx, query, 8, 10, NULL, items, scores, NULL),
             AISLE_INVALID_ARGUMENT, "out_count");

  CHECK_OK(aisle_ann_index_search_by_seeds(idx, seeds, 1, 10, NULL, items, scores, &count));
  CHECK(count == 10 && !Contains(items, count, 5));
  {
    const uint32_t unknown[1] = {4000};
    CHECK_CODE(aisle_ann_index_search_by_seeds(idx, unknown, 1, 10, NULL, items, scores, &count),
               AISLE_NOT_FOUND, "4000");
  }
  CHECK_CODE(aisle_ann_index_search_by_seeds(idx, NULL, 1, 10, NULL, items, scores, &count),
             AISLE_INVALID_ARGUMENT, "seeds");
  CHECK_CODE(aisle_ann_index_search_by_seeds(NULL, seeds, 1, 10, NULL, items, scores, &count),
             AISLE_INVALID_ARGUMENT, "index");
  CHECK_CODE(aisle_ann_index_search_by_seeds(idx, seeds, 1, 10, NULL, items, scores, NULL),
             AISLE_INVALID_ARGUMENT, "out_count");
  params.size = sizeof(params);
  params.exclude = bad_list;
  params.exclude_count = 1;
  CHECK_CODE(aisle_ann_index_search_by_seeds(idx, seeds, 1, 10, &params, items, scores, &count),
             AISLE_INVALID_ARGUMENT, "exclude");

  /* save, load, same answers */
  TmpPath(path, sizeof(path), "items.ann");
  CHECK_OK(aisle_ann_index_save(idx, path));
  CHECK_CODE(aisle_ann_index_save(NULL, path), AISLE_INVALID_ARGUMENT, "index");
  CHECK_CODE(aisle_ann_index_save(idx, NULL), AISLE_INVALID_ARGUMENT, "path");
  CHECK_OK(aisle_ann_index_load(path, 8, &loaded));
  CHECK_OK(aisle_ann_index_size(loaded, &n));
  CHECK(n == 300);
  CHECK_OK(aisle_ann_index_search(idx, query, 8, 10, NULL, items, scores, &count));
  CHECK_OK(aisle_ann_index_search(loaded, query, 8, 10, NULL, items2, scores2, &count2));
  CHECK(count == count2 && memcmp(items, items2, count * sizeof(uint32_t)) == 0);
  aisle_ann_index_destroy(loaded);
  loaded = (aisle_ann_index*)&n;
  CHECK_CODE(aisle_ann_index_load(path, 9, &loaded), AISLE_INVALID_ARGUMENT, "dim");
  CHECK(loaded == NULL);
  CHECK_CODE(aisle_ann_index_load("/nonexistent/x.ann", 0, &loaded), AISLE_NOT_FOUND,
             "/nonexistent/x.ann");
  CHECK_CODE(aisle_ann_index_load(NULL, 0, &loaded), AISLE_INVALID_ARGUMENT, "path");
  {
    /* flip one byte in the middle: the checksum catches it */
    static char bytes[1 << 20];
    char bad[512];
    size_t len = ReadFile(path, bytes, sizeof(bytes));
    int32_t st;
    CHECK(len > 1000 && len < sizeof(bytes));
    bytes[len / 2] ^= 0x5a;
    TmpPath(bad, sizeof(bad), "corrupt.ann");
    WriteFile(bad, bytes, len);
    loaded = (aisle_ann_index*)&n;
    st = aisle_ann_index_load(bad, 0, &loaded);
    CHECK(st != AISLE_OK);
    CHECK(loaded == NULL);
    CHECK(strstr(aisle_last_error_message(), "corrupt.ann") != NULL);
    WriteFile(bad, bytes, 40); /* truncated */
    st = aisle_ann_index_load(bad, 0, &loaded);
    CHECK(st != AISLE_OK && loaded == NULL);
  }

  /* raw build, options and errors */
  {
    const float data[8] = {1, 0, 0, 1, 1, 1, 0.5f, 0};
    const float nan_data[4] = {1, NAN, 0, 1};
    aisle_ann_index* raw = NULL;
    opts.metric = AISLE_METRIC_L2;
    opts.threads = 1;
    opts.m = 8;
    opts.ef_construction = 50;
    opts.default_ef = 16;
    CHECK_OK(aisle_ann_index_build(data, 4, 2, &opts, &raw));
    {
      const float q[2] = {1, 0.9f};
      CHECK_OK(aisle_ann_index_search(raw, q, 2, 1, NULL, items, scores, &count));
      CHECK(count == 1 && items[0] == 2);
    }
    aisle_ann_index_destroy(raw);
    raw = (aisle_ann_index*)&n;
    CHECK_CODE(aisle_ann_index_build(nan_data, 2, 2, NULL, &raw), AISLE_INVALID_ARGUMENT, "");
    CHECK(raw == NULL);
    CHECK_CODE(aisle_ann_index_build(NULL, 2, 2, NULL, &raw), AISLE_INVALID_ARGUMENT, "data");
    opts.metric = 7;
    CHECK_CODE(aisle_ann_index_build(data, 4, 2, &opts, &raw), AISLE_INVALID_ARGUMENT, "metric");
    CHECK_CODE(aisle_ann_index_build_from_catalog(c, &opts, &raw), AISLE_INVALID_ARGUMENT,
               "metric");
    opts.metric = AISLE_METRIC_INNER_PRODUCT;
    opts.size = 3;
    CHECK_CODE(aisle_ann_index_build(data, 4, 2, &opts, &raw), AISLE_INVALID_ARGUMENT, "size");
    CHECK_CODE(aisle_ann_index_build(data, 4, 2, NULL, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_ann_index_build_from_catalog(NULL, NULL, &raw), AISLE_INVALID_ARGUMENT,
               "catalog");
  }
  aisle_ann_index_destroy(idx);
  aisle_ann_index_destroy(NULL);
  aisle_catalog_destroy(c);
}

static void TestCoVisitation(void) {
  /* sessions 1-3 view 1 then 2; session 4 views 1 then 3 */
  const uint64_t sessions[8] = {1, 1, 2, 2, 3, 3, 4, 4};
  const uint32_t items[8] = {1, 2, 1, 2, 1, 2, 1, 3};
  const int64_t times[8] = {1000, 2000, 1000, 2000, 1000, 2000, 1000, 2000};
  const int32_t types[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  const int32_t bad_types[2] = {0, 9};
  const uint32_t bad_items[2] = {1, 99};
  const uint32_t seeds[1] = {1};
  const uint32_t bad_seed[1] = {50};
  const uint32_t exclude[1] = {2};
  const uint32_t allowed[1] = {3};
  aisle_covisitation_options o;
  aisle_covisitation* cv = NULL;
  aisle_search_params params;
  uint32_t out[5];
  float scores[5];
  size_t count = 0;
  uint64_t version = 0;

  memset(&o, 0, sizeof(o));
  o.size = sizeof(o);
  o.num_items = 10;
  o.max_distance = 100;
  CHECK_CODE(aisle_covisitation_create(&o, &cv), AISLE_INVALID_ARGUMENT, "max_distance");
  CHECK(cv == NULL);
  CHECK_CODE(aisle_covisitation_create(NULL, &cv), AISLE_INVALID_ARGUMENT, "options");
  CHECK_CODE(aisle_covisitation_create(&o, NULL), AISLE_INVALID_ARGUMENT, "out");
  o.max_distance = 0;
  o.window_micros = -1;
  o.top_n = 5;
  CHECK_OK(aisle_covisitation_create(&o, &cv));
  CHECK_OK(aisle_covisitation_add_log(cv, sessions, items, times, types, 8));
  CHECK_CODE(aisle_covisitation_add_log(cv, sessions, items, times, bad_types, 2),
             AISLE_INVALID_ARGUMENT, "type 9");
  CHECK_CODE(aisle_covisitation_add_log(cv, sessions, bad_items, times, types, 2),
             AISLE_INVALID_ARGUMENT, "99");
  CHECK_CODE(aisle_covisitation_add_log(cv, sessions, NULL, times, types, 2),
             AISLE_INVALID_ARGUMENT, "items");
  CHECK_CODE(aisle_covisitation_add_log(NULL, sessions, items, times, types, 8),
             AISLE_INVALID_ARGUMENT, "covisitation");
  CHECK_OK(aisle_covisitation_publish(cv, &version));
  CHECK(version == 1);
  CHECK_OK(aisle_covisitation_publish(cv, NULL));
  CHECK_CODE(aisle_covisitation_publish(NULL, &version), AISLE_INVALID_ARGUMENT, "covisitation");

  CHECK_OK(aisle_covisitation_retrieve(cv, seeds, 1, 5, NULL, out, scores, &count));
  CHECK(count == 2 && out[0] == 2 && out[1] == 3);
  CHECK(count == 2 && Near(scores[0], 3.0 * scores[1], 1e-4)); /* 3 sessions vs 1 */
  memset(&params, 0, sizeof(params));
  params.size = sizeof(params);
  params.exclude = exclude;
  params.exclude_count = 1;
  CHECK_OK(aisle_covisitation_retrieve(cv, seeds, 1, 5, &params, out, scores, &count));
  CHECK(count == 1 && out[0] == 3);
  params.exclude_count = 0;
  params.allowed = allowed;
  params.allowed_count = 1;
  CHECK_OK(aisle_covisitation_retrieve(cv, seeds, 1, 5, &params, out, NULL, &count));
  CHECK(count == 1 && out[0] == 3);
  CHECK_CODE(aisle_covisitation_retrieve(cv, bad_seed, 1, 5, NULL, out, scores, &count),
             AISLE_INVALID_ARGUMENT, "50");
  CHECK_CODE(aisle_covisitation_retrieve(cv, NULL, 1, 5, NULL, out, scores, &count),
             AISLE_INVALID_ARGUMENT, "seeds");
  CHECK_CODE(aisle_covisitation_retrieve(NULL, seeds, 1, 5, NULL, out, scores, &count),
             AISLE_INVALID_ARGUMENT, "covisitation");
  CHECK_CODE(aisle_covisitation_retrieve(cv, seeds, 1, 5, NULL, out, scores, NULL),
             AISLE_INVALID_ARGUMENT, "out_count");
  aisle_covisitation_destroy(cv);
  aisle_covisitation_destroy(NULL);
}

static void TestPopularity(void) {
  aisle_catalog* c = NULL;
  aisle_popularity* pop = NULL;
  aisle_popularity_options o;
  uint32_t items[7] = {7, 7, 7, 7, 7, 3, 3};
  int64_t times[7] = {1000000, 1000000, 1000000, 1000000, 1000000, 1000000, 1000000};
  int32_t types[7] = {0, 0, 0, 0, 0, 0, 0};
  const uint32_t bad_item[1] = {100000};
  uint32_t out[5];
  float scores[5];
  size_t count = 0;
  uint64_t version = 0;
  uint32_t category = 0;
  aisle_search_params params;
  const uint32_t exclude[1] = {7};

  CHECK_OK(aisle_catalog_create_synthetic(50, 0, 1, &c));
  CHECK_OK(aisle_popularity_create_for_catalog(c, NULL, &pop));
  CHECK_OK(aisle_popularity_apply(pop, NULL, items, times, types, 7, 0));
  CHECK_CODE(aisle_popularity_apply(pop, NULL, bad_item, times, types, 1, 0),
             AISLE_INVALID_ARGUMENT, "100000");
  CHECK_CODE(aisle_popularity_apply(pop, NULL, items, times, types, 1, 4), AISLE_INVALID_ARGUMENT,
             "segment");
  CHECK_CODE(aisle_popularity_apply(NULL, NULL, items, times, types, 1, 0), AISLE_INVALID_ARGUMENT,
             "popularity");
  CHECK_OK(aisle_popularity_publish(pop, &version));
  CHECK(version >= 1);
  CHECK_CODE(aisle_popularity_publish(NULL, &version), AISLE_INVALID_ARGUMENT, "popularity");
  CHECK_OK(aisle_popularity_retrieve(pop, AISLE_POPULARITY_POPULAR, NULL, 0, 0, 5, NULL, out,
                                     scores, &count));
  CHECK(count == 2 && out[0] == 7 && out[1] == 3);
  CHECK(count == 2 && Near(scores[0], 2.5 * scores[1], 1e-3));
  memset(&params, 0, sizeof(params));
  params.size = sizeof(params);
  params.exclude = exclude;
  params.exclude_count = 1;
  CHECK_OK(aisle_popularity_retrieve(pop, AISLE_POPULARITY_POPULAR, NULL, 0, 0, 5, &params, out,
                                     scores, &count));
  CHECK(count == 1 && out[0] == 3);
  CHECK_OK(aisle_popularity_retrieve(pop, AISLE_POPULARITY_TRENDING, NULL, 0, 0, 5, NULL, out,
                                     scores, &count));
  CHECK(count >= 1 && Contains(out, count, 7));
  category = 100000;
  CHECK_CODE(aisle_popularity_retrieve(pop, AISLE_POPULARITY_POPULAR, &category, 1, 0, 5, NULL, out,
                                       scores, &count),
             AISLE_INVALID_ARGUMENT, "100000");
  CHECK_CODE(aisle_popularity_retrieve(pop, 5, NULL, 0, 0, 5, NULL, out, scores, &count),
             AISLE_INVALID_ARGUMENT, "mode");
  CHECK_CODE(aisle_popularity_retrieve(pop, AISLE_POPULARITY_POPULAR, NULL, 0, 9, 5, NULL, out,
                                       scores, &count),
             AISLE_INVALID_ARGUMENT, "9");
  CHECK_CODE(aisle_popularity_retrieve(NULL, AISLE_POPULARITY_POPULAR, NULL, 0, 0, 5, NULL, out,
                                       scores, &count),
             AISLE_INVALID_ARGUMENT, "popularity");
  CHECK_CODE(aisle_popularity_retrieve(pop, AISLE_POPULARITY_POPULAR, NULL, 0, 0, 5, NULL, NULL,
                                       scores, &count),
             AISLE_INVALID_ARGUMENT, "out_items");
  aisle_popularity_destroy(pop);

  /* explicit options with segments */
  memset(&o, 0, sizeof(o));
  o.size = sizeof(o);
  o.num_items = 10;
  o.num_segments = 2;
  o.half_life_micros = 3600000000LL;
  o.top_n = 5;
  pop = (aisle_popularity*)&o;
  CHECK_CODE(aisle_popularity_create(NULL, &pop), AISLE_INVALID_ARGUMENT, "options");
  CHECK(pop == NULL);
  CHECK_CODE(aisle_popularity_create_for_catalog(NULL, &o, &pop), AISLE_INVALID_ARGUMENT,
             "catalog");
  CHECK_OK(aisle_popularity_create(&o, &pop));
  items[0] = 4;
  CHECK_OK(aisle_popularity_apply(pop, NULL, items, times, types, 1, 1));
  items[0] = 5;
  CHECK_OK(aisle_popularity_apply(pop, NULL, items, times, types, 1, 2));
  CHECK_OK(aisle_popularity_publish(pop, NULL));
  CHECK_OK(aisle_popularity_retrieve(pop, AISLE_POPULARITY_POPULAR, NULL, 0, 1, 5, NULL, out,
                                     scores, &count));
  CHECK(count == 1 && out[0] == 4);
  CHECK_OK(aisle_popularity_retrieve(pop, AISLE_POPULARITY_POPULAR, NULL, 0, 0, 5, NULL, out,
                                     scores, &count));
  CHECK(count == 2);
  aisle_popularity_destroy(pop);
  o.num_items = 0;
  CHECK_CODE(aisle_popularity_create(&o, &pop), AISLE_INVALID_ARGUMENT, "");
  o.num_items = 10;
  o.item_categories = NULL;
  o.num_categories = 3;
  {
    const uint32_t cats[10] = {0, 0, 1, 1, 2, 2, 0, 1, 2, 7};
    o.item_categories = cats;
    CHECK_CODE(aisle_popularity_create(&o, &pop), AISLE_INVALID_ARGUMENT, "");
    CHECK(pop == NULL);
  }
  aisle_popularity_destroy(NULL);
  aisle_catalog_destroy(c);
}

/* ----------------------------------------------------------------- features */

static void TestFeatures(void) {
  aisle_feature_schema_builder* sb = NULL;
  aisle_feature_schema* schema = NULL;
  aisle_item_feature_store_builder* ib = NULL;
  aisle_item_feature_store* store = NULL;
  aisle_online_feature_store* online = NULL;
  size_t n = 0;
  const char* name = NULL;
  const float col[3] = {1.0f, 2.0f, NAN};
  const float inf_col[3] = {1.0f, INFINITY, 0.0f};
  const float* data = NULL;
  float v[2] = {0, 0};
  int64_t stamps[2] = {0, 0};
  uint8_t found = 9;

  CHECK_CODE(aisle_feature_schema_builder_create(NULL), AISLE_INVALID_ARGUMENT, "out");
  CHECK_OK(aisle_feature_schema_builder_create(&sb));
  CHECK_OK(aisle_feature_schema_builder_add_group(sb, AISLE_FEATURE_GROUP_USER, 3600.0,
                                                  AISLE_STALE_USE_DEFAULT));
  CHECK_OK(aisle_feature_schema_builder_add_group(sb, AISLE_FEATURE_GROUP_ITEM, INFINITY,
                                                  AISLE_STALE_USE_VALUE));
  CHECK_CODE(aisle_feature_schema_builder_add_group(sb, 9, 1.0, AISLE_STALE_USE_VALUE),
             AISLE_INVALID_ARGUMENT, "group 9");
  CHECK_CODE(aisle_feature_schema_builder_add_group(sb, AISLE_FEATURE_GROUP_SESSION, 1.0, 7),
             AISLE_INVALID_ARGUMENT, "stale_policy");
  CHECK_CODE(aisle_feature_schema_builder_add_group(NULL, 0, 1.0, 0), AISLE_INVALID_ARGUMENT,
             "builder");
  CHECK_OK(aisle_feature_schema_builder_add_feature(sb, "user_ctr", AISLE_FEATURE_GROUP_USER, 0.01f,
                                                    -1));
  CHECK_OK(aisle_feature_schema_builder_add_feature(sb, "user_views", AISLE_FEATURE_GROUP_USER,
                                                    0.0f, -1));
  CHECK_OK(
      aisle_feature_schema_builder_add_feature(sb, "price", AISLE_FEATURE_GROUP_ITEM, NAN, -1));
  CHECK_CODE(aisle_feature_schema_builder_add_feature(sb, NULL, 0, 0.0f, -1),
             AISLE_INVALID_ARGUMENT, "name");
  CHECK_CODE(aisle_feature_schema_builder_add_feature(sb, "x", 12, 0.0f, -1),
             AISLE_INVALID_ARGUMENT, "group 12");
  CHECK_CODE(aisle_feature_schema_builder_add_feature(NULL, "x", 0, 0.0f, -1),
             AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_feature_schema_builder_build(NULL, &schema), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_OK(aisle_feature_schema_builder_build(sb, &schema));
  CHECK_OK(aisle_feature_schema_size(schema, &n));
  CHECK(n == 3);
  CHECK_OK(aisle_feature_schema_column_of(schema, "price", &n));
  CHECK(n == 2);
  CHECK_CODE(aisle_feature_schema_column_of(schema, "nope", &n), AISLE_NOT_FOUND, "nope");
  CHECK_CODE(aisle_feature_schema_column_of(schema, NULL, &n), AISLE_INVALID_ARGUMENT, "name");
  CHECK_CODE(aisle_feature_schema_column_of(NULL, "price", &n), AISLE_INVALID_ARGUMENT, "schema");
  CHECK_OK(aisle_feature_schema_name(schema, 0, &name));
  CHECK(strcmp(name, "user_ctr") == 0);
  CHECK_CODE(aisle_feature_schema_name(schema, 5, &name), AISLE_OUT_OF_RANGE, "5");
  CHECK_CODE(aisle_feature_schema_name(schema, 0, NULL), AISLE_INVALID_ARGUMENT, "out");
  CHECK_CODE(aisle_feature_schema_size(NULL, &n), AISLE_INVALID_ARGUMENT, "schema");
  CHECK_CODE(aisle_feature_schema_size(schema, NULL), AISLE_INVALID_ARGUMENT, "out");

  /* the builder was emptied: a feature of an undeclared group fails at build */
  {
    aisle_feature_schema* bad = (aisle_feature_schema*)&n;
    CHECK_OK(aisle_feature_schema_builder_add_feature(sb, "orphan", AISLE_FEATURE_GROUP_SESSION,
                                                      0.0f, -1));
    CHECK_CODE(aisle_feature_schema_builder_build(sb, &bad), AISLE_INVALID_ARGUMENT, "orphan");
    CHECK(bad == NULL);
  }
  aisle_feature_schema_builder_destroy(sb);
  aisle_feature_schema_builder_destroy(NULL);

  /* item features */
  CHECK_CODE(aisle_item_feature_store_builder_create(3, NULL), AISLE_INVALID_ARGUMENT, "out");
  CHECK_OK(aisle_item_feature_store_builder_create(3, &ib));
  CHECK_OK(aisle_item_feature_store_builder_add_column(ib, "pop", col, 3, 1700000000000000LL));
  CHECK_CODE(aisle_item_feature_store_builder_add_column(ib, "short", col, 2, 0),
             AISLE_INVALID_ARGUMENT, "short");
  CHECK_CODE(aisle_item_feature_store_builder_add_column(ib, "inf", inf_col, 3, 0),
             AISLE_INVALID_ARGUMENT, "inf");
  CHECK_CODE(aisle_item_feature_store_builder_add_column(ib, "pop", col, 3, 0),
             AISLE_INVALID_ARGUMENT, "pop");
  CHECK_CODE(aisle_item_feature_store_builder_add_column(ib, NULL, col, 3, 0),
             AISLE_INVALID_ARGUMENT, "name");
  CHECK_CODE(aisle_item_feature_store_builder_add_column(ib, "x", NULL, 3, 0),
             AISLE_INVALID_ARGUMENT, "values");
  CHECK_CODE(aisle_item_feature_store_builder_add_column(NULL, "x", col, 3, 0),
             AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_item_feature_store_builder_build(NULL, &store), AISLE_INVALID_ARGUMENT,
             "builder");
  CHECK_OK(aisle_item_feature_store_builder_build(ib, &store));
  CHECK_OK(aisle_item_feature_store_num_items(store, &n));
  CHECK(n == 3);
  CHECK_OK(aisle_item_feature_store_num_columns(store, &n));
  CHECK(n == 1);
  CHECK_OK(aisle_item_feature_store_column(store, "pop", &data, &n));
  CHECK(n == 3 && data[0] == 1.0f && data[1] == 2.0f && isnan(data[2]));
  CHECK_CODE(aisle_item_feature_store_column(store, "nope", &data, &n), AISLE_NOT_FOUND, "nope");
  CHECK_CODE(aisle_item_feature_store_column(store, NULL, &data, &n), AISLE_INVALID_ARGUMENT,
             "name");
  CHECK_CODE(aisle_item_feature_store_column(store, "pop", NULL, &n), AISLE_INVALID_ARGUMENT,
             "out_data");
  CHECK_CODE(aisle_item_feature_store_column(store, "pop", &data, NULL), AISLE_INVALID_ARGUMENT,
             "out_len");
  CHECK_CODE(aisle_item_feature_store_column(NULL, "pop", &data, &n), AISLE_INVALID_ARGUMENT,
             "store");
  CHECK_CODE(aisle_item_feature_store_num_items(NULL, &n), AISLE_INVALID_ARGUMENT, "store");
  CHECK_CODE(aisle_item_feature_store_num_items(store, NULL), AISLE_INVALID_ARGUMENT, "out");
  CHECK_CODE(aisle_item_feature_store_num_columns(NULL, &n), AISLE_INVALID_ARGUMENT, "store");
  CHECK_CODE(aisle_item_feature_store_num_columns(store, NULL), AISLE_INVALID_ARGUMENT, "out");
  aisle_item_feature_store_destroy(store);
  aisle_item_feature_store_destroy(NULL);
  aisle_item_feature_store_builder_destroy(ib);
  aisle_item_feature_store_builder_destroy(NULL);

  /* online store */
  online = (aisle_online_feature_store*)&n;
  CHECK_CODE(aisle_online_feature_store_create(schema, AISLE_FEATURE_GROUP_ITEM, &online),
             AISLE_INVALID_ARGUMENT, "user or session");
  CHECK(online == NULL);
  CHECK_CODE(aisle_online_feature_store_create(schema, AISLE_FEATURE_GROUP_SESSION, &online),
             AISLE_INVALID_ARGUMENT, "");
  CHECK_CODE(aisle_online_feature_store_create(NULL, AISLE_FEATURE_GROUP_USER, &online),
             AISLE_INVALID_ARGUMENT, "schema");
  CHECK_OK(aisle_online_feature_store_create(schema, AISLE_FEATURE_GROUP_USER, &online));
  CHECK_OK(aisle_online_feature_store_width(online, &n));
  CHECK(n == 2);
  CHECK_CODE(aisle_online_feature_store_width(NULL, &n), AISLE_INVALID_ARGUMENT, "store");
  CHECK_CODE(aisle_online_feature_store_width(online, NULL), AISLE_INVALID_ARGUMENT, "out");
  v[0] = 0.5f;
  v[1] = 7.0f;
  CHECK_OK(aisle_online_feature_store_put(online, "u-1", v, 2, 1700000000123456LL));
  CHECK_CODE(aisle_online_feature_store_put(online, "u-1", v, 1, 0), AISLE_INVALID_ARGUMENT, "u-1");
  v[1] = INFINITY;
  CHECK_CODE(aisle_online_feature_store_put(online, "u-2", v, 2, 0), AISLE_INVALID_ARGUMENT, "");
  CHECK_CODE(aisle_online_feature_store_put(online, NULL, v, 2, 0), AISLE_INVALID_ARGUMENT, "key");
  CHECK_CODE(aisle_online_feature_store_put(online, "u", NULL, 2, 0), AISLE_INVALID_ARGUMENT,
             "values");
  CHECK_CODE(aisle_online_feature_store_put(NULL, "u", v, 2, 0), AISLE_INVALID_ARGUMENT, "store");
  v[0] = v[1] = 0.0f;
  CHECK_OK(aisle_online_feature_store_read(online, "u-1", v, stamps, 2, &found));
  CHECK(found == 1 && v[0] == 0.5f && v[1] == 7.0f);
  CHECK(stamps[0] == 1700000000123456LL && stamps[1] == 1700000000123456LL);
  CHECK_OK(aisle_online_feature_store_read(online, "u-1", v, NULL, 2, &found));
  CHECK(found == 1);
  CHECK_OK(aisle_online_feature_store_read(online, "u-2", v, stamps, 2, &found));
  CHECK(found == 0);
  CHECK_CODE(aisle_online_feature_store_read(online, "u-1", v, stamps, 3, &found),
             AISLE_INVALID_ARGUMENT, "width");
  CHECK_CODE(aisle_online_feature_store_read(online, "u-1", v, stamps, 2, NULL),
             AISLE_INVALID_ARGUMENT, "out_found");
  CHECK_CODE(aisle_online_feature_store_read(online, "u-1", NULL, stamps, 2, &found),
             AISLE_INVALID_ARGUMENT, "out_values");
  CHECK_CODE(aisle_online_feature_store_read(online, NULL, v, stamps, 2, &found),
             AISLE_INVALID_ARGUMENT, "key");
  CHECK_CODE(aisle_online_feature_store_read(NULL, "u-1", v, stamps, 2, &found),
             AISLE_INVALID_ARGUMENT, "store");
  aisle_online_feature_store_destroy(online);
  aisle_online_feature_store_destroy(NULL);
  aisle_feature_schema_destroy(schema);
  aisle_feature_schema_destroy(NULL);
}

/* ------------------------------------------------------------------- models */

/* XGBoost parity: the fixture's inputs, and its own predict() output. */
static void CheckXgboostParity(const char* stem, size_t outputs) {
  static float inputs[4096], want[4096], got[4096];
  char path[512];
  aisle_model* m = NULL;
  size_t cols = 0, n_outputs = 0, n_in, n_pred, rows, i;
  double worst = 0.0;

  snprintf(path, sizeof(path), "%s/tests/data/ranking/%s.json", AISLE_SOURCE_DIR, stem);
  CHECK_OK(aisle_model_load(path, AISLE_MODEL_XGBOOST, &m));
  if (m == NULL) return;
  CHECK_OK(aisle_model_num_features(m, &cols));
  CHECK_OK(aisle_model_num_outputs(m, &n_outputs));
  CHECK(n_outputs == outputs);
  snprintf(path, sizeof(path), "%s/tests/data/ranking/%s.inputs.tsv", AISLE_SOURCE_DIR, stem);
  n_in = ReadFloats(path, inputs, 4096);
  CHECK(cols > 0 && n_in % cols == 0);
  rows = n_in / cols;
  snprintf(path, sizeof(path), "%s/tests/data/ranking/%s.pred.txt", AISLE_SOURCE_DIR, stem);
  n_pred = ReadFloats(path, want, 4096);
  CHECK(rows > 0 && n_pred == rows * outputs);
  CHECK_OK(aisle_model_predict(m, inputs, rows, cols, AISLE_OUTPUT_TRANSFORMED, got, n_pred));
  for (i = 0; i < n_pred; ++i) {
    if (fabs(got[i] - want[i]) > worst) worst = fabs(got[i] - want[i]);
  }
  CHECK(worst < 1e-5);
  snprintf(path, sizeof(path), "%s/tests/data/ranking/%s.margin.txt", AISLE_SOURCE_DIR, stem);
  n_pred = ReadFloats(path, want, 4096);
  CHECK(n_pred == rows * outputs);
  CHECK_OK(aisle_model_predict(m, inputs, rows, cols, AISLE_OUTPUT_MARGIN, got, n_pred));
  worst = 0.0;
  for (i = 0; i < n_pred; ++i) {
    if (fabs(got[i] - want[i]) > worst) worst = fabs(got[i] - want[i]);
  }
  CHECK(worst < 1e-4);
  /* wrong shapes */
  CHECK_CODE(aisle_model_predict(m, inputs, rows, cols + 1, AISLE_OUTPUT_MARGIN, got, n_pred),
             AISLE_INVALID_ARGUMENT, "columns");
  CHECK_CODE(aisle_model_predict(m, inputs, rows, cols, AISLE_OUTPUT_MARGIN, got, n_pred - 1),
             AISLE_INVALID_ARGUMENT, "out_len");
  aisle_model_destroy(m);
}

static const char kLightgbm[] =
    "tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n"
    "max_feature_idx=1\nobjective=binary sigmoid:1\nfeature_names=f0 f1\n"
    "feature_infos=none none\ntree_sizes=100\n\n"
    "Tree=0\nnum_leaves=3\nnum_cat=0\nsplit_feature=0 1\nsplit_gain=1 1\n"
    "threshold=0.5 1.5\ndecision_type=2 10\nleft_child=1 -1\nright_child=-2 -3\n"
    "leaf_value=0.1 0.2 0.3\nleaf_count=1 1 1\ninternal_value=0 0\ninternal_count=3 2\n"
    "shrinkage=1\n\n\nend of trees\n";

static const char kLinear[] =
    "{\"format\": \"aisle.linear\", \"format_version\": 1, \"name\": \"t\", \"link\": "
    "\"logistic\", \"bias\": -1.0, \"weights\": [{\"feature\": \"a\", \"weight\": 2.0}, "
    "{\"feature\": \"b\", \"weight\": 0.5, \"missing\": 4.0}]}";

static double Sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

static void TestModels(void) {
  aisle_model* m = NULL;
  char path[512];
  size_t n = 0;
  const char* s = NULL;
  float out[3];

  CheckXgboostParity("xgb_binary_logistic", 1);
  CheckXgboostParity("xgb_multi_softprob", 3);

  /* LightGBM, by hand: f0 <= 0.5 ? (f1 <= 1.5 ? 0.1 : 0.3) : 0.2, then sigmoid */
  TmpPath(path, sizeof(path), "model.txt");
  WriteFile(path, kLightgbm, strlen(kLightgbm));
  CHECK_OK(aisle_model_load(path, AISLE_MODEL_LIGHTGBM, &m));
  {
    const float rows[6] = {0.25f, 2.0f, 0.9f, 0.0f, 0.1f, 1.0f};
    CHECK_OK(aisle_model_predict(m, rows, 3, 2, AISLE_OUTPUT_MARGIN, out, 3));
    CHECK(Near(out[0], 0.3, 1e-6) && Near(out[1], 0.2, 1e-6) && Near(out[2], 0.1, 1e-6));
    CHECK_OK(aisle_model_predict(m, rows, 3, 2, AISLE_OUTPUT_TRANSFORMED, out, 3));
    CHECK(Near(out[0], Sigmoid(0.3), 1e-6) && Near(out[2], Sigmoid(0.1), 1e-6));
    CHECK_CODE(aisle_model_predict(m, rows, 3, 2, 7, out, 3), AISLE_INVALID_ARGUMENT, "output");
    CHECK_CODE(aisle_model_predict(m, NULL, 3, 2, AISLE_OUTPUT_MARGIN, out, 3),
               AISLE_INVALID_ARGUMENT, "data");
    CHECK_CODE(aisle_model_predict(m, rows, 3, 2, AISLE_OUTPUT_MARGIN, NULL, 3),
               AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_model_predict(NULL, rows, 3, 2, AISLE_OUTPUT_MARGIN, out, 3),
               AISLE_INVALID_ARGUMENT, "model");
  }
  CHECK_OK(aisle_model_feature_name(m, 1, &s));
  CHECK(strcmp(s, "f1") == 0);
  CHECK_OK(aisle_model_version(m, &s));
  CHECK(strncmp(s, "gbdt:", 5) == 0);
  aisle_model_destroy(m);
  CHECK_OK(aisle_model_parse(kLightgbm, strlen(kLightgbm), AISLE_MODEL_LIGHTGBM, &m));
  CHECK_OK(aisle_model_num_features(m, &n));
  CHECK(n == 2);
  aisle_model_destroy(m);
  m = (aisle_model*)&n;
  CHECK_CODE(aisle_model_parse(kLightgbm, 60, AISLE_MODEL_LIGHTGBM, &m), AISLE_INVALID_ARGUMENT,
             "model bytes");
  CHECK(m == NULL);

  /* linear, by hand: sigmoid(-1 + 2a + 0.5b), NaN b -> 4 */
  TmpPath(path, sizeof(path), "linear.json");
  WriteFile(path, kLinear, strlen(kLinear));
  CHECK_OK(aisle_model_load(path, AISLE_MODEL_LINEAR, &m));
  {
    const float rows[4] = {1.0f, 2.0f, 0.0f, NAN};
    CHECK_OK(aisle_model_predict(m, rows, 2, 2, AISLE_OUTPUT_TRANSFORMED, out, 2));
    CHECK(Near(out[0], Sigmoid(2.0), 1e-6) && Near(out[1], Sigmoid(1.0), 1e-6));
    CHECK_OK(aisle_model_predict(m, rows, 2, 2, AISLE_OUTPUT_MARGIN, out, 2));
    CHECK(Near(out[0], 2.0, 1e-6) && Near(out[1], 1.0, 1e-6));
  }
  CHECK_OK(aisle_model_num_outputs(m, &n));
  CHECK(n == 1);
  CHECK_OK(aisle_model_feature_name(m, 1, &s));
  CHECK(strcmp(s, "b") == 0);
  CHECK_CODE(aisle_model_feature_name(m, 2, &s), AISLE_OUT_OF_RANGE, "2");
  CHECK_CODE(aisle_model_feature_name(m, 0, NULL), AISLE_INVALID_ARGUMENT, "out");
  CHECK_CODE(aisle_model_feature_name(NULL, 0, &s), AISLE_INVALID_ARGUMENT, "model");
  CHECK_OK(aisle_model_version(m, &s));
  CHECK(strncmp(s, "logistic:t:xxh64=", 17) == 0);
  CHECK_CODE(aisle_model_version(NULL, &s), AISLE_INVALID_ARGUMENT, "model");
  CHECK_CODE(aisle_model_version(m, NULL), AISLE_INVALID_ARGUMENT, "out");
  CHECK_CODE(aisle_model_num_features(NULL, &n), AISLE_INVALID_ARGUMENT, "model");
  CHECK_CODE(aisle_model_num_features(m, NULL), AISLE_INVALID_ARGUMENT, "out");
  CHECK_CODE(aisle_model_num_outputs(NULL, &n), AISLE_INVALID_ARGUMENT, "model");
  CHECK_CODE(aisle_model_num_outputs(m, NULL), AISLE_INVALID_ARGUMENT, "out");
  aisle_model_destroy(m);

  /* errors */
  m = (aisle_model*)&n;
  CHECK_CODE(aisle_model_load("/nonexistent/m.json", AISLE_MODEL_XGBOOST, &m), AISLE_NOT_FOUND,
             "/nonexistent/m.json");
  CHECK(m == NULL);
  CHECK_CODE(aisle_model_load(path, 9, &m), AISLE_INVALID_ARGUMENT, "format 9");
  CHECK_CODE(aisle_model_load(NULL, AISLE_MODEL_LINEAR, &m), AISLE_INVALID_ARGUMENT, "path");
  CHECK_CODE(aisle_model_load(path, AISLE_MODEL_LINEAR, NULL), AISLE_INVALID_ARGUMENT, "out");
  CHECK_CODE(aisle_model_parse(kLinear, 30, AISLE_MODEL_LINEAR, &m), AISLE_INVALID_ARGUMENT,
             "model bytes");
  CHECK_CODE(aisle_model_parse("{\"learner\": 1", 13, AISLE_MODEL_XGBOOST, &m),
             AISLE_INVALID_ARGUMENT, "model bytes");
  CHECK_CODE(aisle_model_parse(NULL, 3, AISLE_MODEL_XGBOOST, &m), AISLE_INVALID_ARGUMENT, "data");
  CHECK(m == NULL);
  aisle_model_destroy(NULL);
}

/* ------------------------------------------------------------------- engine */

#define kItems 40
#define kDim 8

static const char* Id(int i) {
  static char ids[kItems][16];
  snprintf(ids[i], sizeof(ids[i]), "sku-%d", i);
  return ids[i];
}

static const char* CategoryPath(int c) {
  static char paths[4][32];
  snprintf(paths[c], sizeof(paths[c]), "Shop>Dept%d>Cat%d", c % 2, c);
  return paths[c];
}

/* 40 items in 4 categories of 10, embeddings clustered by category. */
static aisle_catalog* MakeStorefrontCatalog(void) {
  aisle_catalog_builder* b = NULL;
  aisle_catalog* c = NULL;
  aisle_item_spec s;
  float e[kDim];
  int i, d;
  CHECK_OK(aisle_catalog_builder_create(kDim, &b));
  memset(&s, 0, sizeof(s));
  s.size = sizeof(s);
  for (i = 0; i < kItems; ++i) {
    const int cat = i / 10;
    for (d = 0; d < kDim; ++d) e[d] = 0.03f * (float)((i * 7 + d * 3) % 5) - 0.06f;
    e[cat] += 1.0f;
    s.id = Id(i);
    s.category = CategoryPath(cat);
    s.brand = cat % 2 ? "acme" : "globex";
    s.price = 10.0f + (float)i;
    s.stock = 5;
    s.launch_time_micros = 1735689600000000LL; /* 2025-01-01 */
    s.embedding = e;
    s.embedding_len = kDim;
    CHECK_OK(aisle_catalog_builder_add_item(b, &s));
  }
  CHECK_OK(aisle_catalog_builder_build(b, &c));
  aisle_catalog_builder_destroy(b);
  return c;
}

static const char kPriceModel[] =
    "{\"format\": \"aisle.linear\", \"format_version\": 1, \"name\": \"price\", \"link\": "
    "\"identity\", \"bias\": 0.0, \"weights\": [{\"feature\": \"ann_score\", \"weight\": 10.0}, "
    "{\"feature\": \"price\", \"weight\": -0.01}]}";

/* Item i gets 40 - i views (lower indices are more popular); 20 sessions pair 0 and 1. */
static void AddWarmInteractions(aisle_snapshot* s) {
  static uint64_t sessions[900];
  static uint32_t items[900];
  static int64_t times[900];
  static int32_t types[900];
  size_t n = 0;
  int i, k;
  int64_t t = 1767225600000000LL - 7200000000LL;
  uint64_t session = 1;
  for (i = 0; i < kItems; ++i) {
    for (k = 0; k < kItems - i; ++k) {
      sessions[n] = session++;
      items[n] = (uint32_t)i;
      times[n] = t;
      types[n] = AISLE_INTERACTION_VIEW;
      t += 1000;
      ++n;
    }
  }
  for (k = 0; k < 20; ++k) {
    sessions[n] = session;
    items[n] = 0;
    times[n] = t;
    types[n++] = AISLE_INTERACTION_VIEW;
    sessions[n] = session;
    items[n] = 1;
    times[n] = t + 1000;
    types[n++] = AISLE_INTERACTION_VIEW;
    ++session;
    t += 5000;
  }
  CHECK_OK(aisle_snapshot_add_warm_interactions(s, sessions, items, times, types, n));
}

static aisle_snapshot* MakeSnapshot(const char* version, aisle_catalog* c, aisle_ann_index* ann,
                                    aisle_model* price) {
  aisle_snapshot* s = NULL;
  aisle_pipeline_builder* p = NULL;
  const char* campaign[2];
  campaign[0] = Id(30);
  campaign[1] = Id(31);
  CHECK_OK(aisle_snapshot_create(version, &s));
  CHECK_OK(aisle_snapshot_set_catalog(s, c));
  CHECK_OK(aisle_snapshot_set_ann_index(s, ann));
  CHECK_OK(aisle_snapshot_add_model(s, "price", price));
  CHECK_OK(aisle_snapshot_add_campaign_set(s, "black_friday", campaign, 2));
  AddWarmInteractions(s);

  CHECK_OK(aisle_pipeline_builder_create("home", &p));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 20, 0));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "covis", AISLE_SOURCE_COVISITATION, 10, 0));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "popular", AISLE_SOURCE_POPULAR, 10, 0));
  CHECK_OK(aisle_pipeline_builder_set_max_candidates(p, 30));
  CHECK_OK(aisle_pipeline_builder_set_ranker(p, "price", NULL));
  CHECK_OK(aisle_pipeline_builder_set_campaign_set(p, "black_friday"));
  CHECK_OK(aisle_pipeline_builder_set_default_k(p, 5));
  CHECK_OK(aisle_pipeline_builder_set_budget(p, 5000000));
  CHECK_OK(aisle_snapshot_add_pipeline(s, p));
  aisle_pipeline_builder_destroy(p);

  CHECK_OK(aisle_pipeline_builder_create("product_page", &p));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 20, 64));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "covis", AISLE_SOURCE_COVISITATION, 10, 0));
  CHECK_OK(aisle_pipeline_builder_set_max_candidates(p, 30));
  CHECK_OK(aisle_pipeline_builder_set_default_k(p, 5));
  CHECK_OK(aisle_pipeline_builder_set_budget(p, 5000000));
  CHECK_OK(aisle_snapshot_add_pipeline(s, p));
  aisle_pipeline_builder_destroy(p);

  CHECK_OK(aisle_pipeline_builder_create("search", &p));
  CHECK_OK(aisle_pipeline_builder_set_kind(p, AISLE_SURFACE_SEARCH_RERANK));
  CHECK_OK(aisle_pipeline_builder_set_ranker(p, "price", ""));
  CHECK_OK(aisle_pipeline_builder_set_default_k(p, 5));
  CHECK_OK(aisle_pipeline_builder_set_budget(p, 5000000));
  CHECK_OK(aisle_snapshot_add_pipeline(s, p));
  aisle_pipeline_builder_destroy(p);
  return s;
}

/* A surface that uses every remaining pipeline setter. */
static void AddPromoPipeline(aisle_snapshot* s) {
  aisle_pipeline_builder* p = NULL;
  const char* blocked_items[1];
  const char* blocked_categories[1];
  const uint32_t positions[1] = {4};
  const int32_t ladder[3] = {AISLE_LEVEL_PERSONALIZED, AISLE_LEVEL_GLOBAL_POPULAR,
                             AISLE_LEVEL_CAMPAIGN};
  blocked_items[0] = Id(13);
  blocked_categories[0] = CategoryPath(2);
  CHECK_OK(aisle_pipeline_builder_create("promo", &p));
  CHECK_OK(aisle_pipeline_builder_set_kind(p, AISLE_SURFACE_RECOMMENDATION));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 30, 0));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "popular", AISLE_SOURCE_POPULAR, 30, 0));
  CHECK_OK(aisle_pipeline_builder_set_max_candidates(p, 60));
  CHECK_OK(aisle_pipeline_builder_set_ranker(p, "price", NULL));
  CHECK_OK(aisle_pipeline_builder_set_inventory_reserve(p, 0));
  CHECK_OK(aisle_pipeline_builder_block_items(p, blocked_items, 1));
  CHECK_OK(aisle_pipeline_builder_block_categories(p, blocked_categories, 1));
  CHECK_OK(aisle_pipeline_builder_add_pin(p, Id(35), 0, 1));
  CHECK_OK(aisle_pipeline_builder_set_category_cap(p, 3, 10, -1));
  CHECK_OK(aisle_pipeline_builder_set_mmr(p, 0.7f));
  CHECK_OK(aisle_pipeline_builder_set_exploration(p, positions, 1, 14LL * 86400 * 1000000, 100));
  CHECK_OK(aisle_pipeline_builder_set_ladder(p, ladder, 3));
  CHECK_OK(aisle_pipeline_builder_set_campaign_set(p, "black_friday"));
  CHECK_OK(aisle_pipeline_builder_set_default_k(p, 8));
  CHECK_OK(aisle_pipeline_builder_set_budget(p, 5000000));
  CHECK_OK(aisle_snapshot_add_pipeline(s, p));
  aisle_pipeline_builder_destroy(p);

  /* setter errors */
  CHECK_CODE(aisle_pipeline_builder_create(NULL, &p), AISLE_INVALID_ARGUMENT, "surface");
  CHECK_CODE(aisle_pipeline_builder_create("", &p), AISLE_INVALID_ARGUMENT, "empty");
  CHECK(p == NULL);
  CHECK_OK(aisle_pipeline_builder_create("x", &p));
  CHECK_CODE(aisle_pipeline_builder_set_kind(p, 5), AISLE_INVALID_ARGUMENT, "kind 5");
  CHECK_CODE(aisle_pipeline_builder_add_source(p, "s", 17, 1, 0), AISLE_INVALID_ARGUMENT, "'s'");
  CHECK_CODE(aisle_pipeline_builder_add_source(p, NULL, 0, 1, 0), AISLE_INVALID_ARGUMENT, "name");
  CHECK_CODE(aisle_pipeline_builder_set_ranker(p, NULL, NULL), AISLE_INVALID_ARGUMENT, "model");
  CHECK_CODE(aisle_pipeline_builder_block_items(p, NULL, 2), AISLE_INVALID_ARGUMENT, "ids");
  CHECK_CODE(aisle_pipeline_builder_block_categories(p, NULL, 1), AISLE_INVALID_ARGUMENT, "paths");
  CHECK_CODE(aisle_pipeline_builder_add_pin(p, NULL, 0, 0), AISLE_INVALID_ARGUMENT, "item_id");
  CHECK_CODE(aisle_pipeline_builder_set_category_cap(p, 0, 10, -1), AISLE_INVALID_ARGUMENT,
             "max_per_category");
  CHECK_CODE(aisle_pipeline_builder_set_mmr(p, 1.5f), AISLE_INVALID_ARGUMENT, "lambda");
  CHECK_CODE(aisle_pipeline_builder_set_mmr(p, NAN), AISLE_INVALID_ARGUMENT, "lambda");
  CHECK_CODE(aisle_pipeline_builder_set_exploration(p, positions, 1, 0, 1), AISLE_INVALID_ARGUMENT,
             "window");
  CHECK_CODE(aisle_pipeline_builder_set_exploration(p, NULL, 1, 1, 1), AISLE_INVALID_ARGUMENT,
             "positions");
  {
    const int32_t bad_ladder[2] = {AISLE_LEVEL_PERSONALIZED, 42};
    CHECK_CODE(aisle_pipeline_builder_set_ladder(p, bad_ladder, 2), AISLE_INVALID_ARGUMENT,
               "levels[1]");
    CHECK_CODE(aisle_pipeline_builder_set_ladder(p, NULL, 2), AISLE_INVALID_ARGUMENT, "levels");
  }
  CHECK_CODE(aisle_pipeline_builder_set_campaign_set(p, NULL), AISLE_INVALID_ARGUMENT, "name");
  CHECK_CODE(aisle_pipeline_builder_set_default_k(p, 0), AISLE_INVALID_ARGUMENT, "k");
  CHECK_CODE(aisle_pipeline_builder_set_budget(p, 0), AISLE_INVALID_ARGUMENT, "budget");
  CHECK_CODE(aisle_pipeline_builder_set_kind(NULL, 0), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_pipeline_builder_add_source(NULL, "s", 0, 1, 0), AISLE_INVALID_ARGUMENT,
             "builder");
  CHECK_CODE(aisle_pipeline_builder_set_max_candidates(NULL, 1), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_pipeline_builder_set_ranker(NULL, "m", NULL), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_pipeline_builder_set_inventory_reserve(NULL, 1), AISLE_INVALID_ARGUMENT,
             "builder");
  CHECK_CODE(aisle_pipeline_builder_block_items(NULL, NULL, 0), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_pipeline_builder_block_categories(NULL, NULL, 0), AISLE_INVALID_ARGUMENT,
             "builder");
  CHECK_CODE(aisle_pipeline_builder_add_pin(NULL, "a", 0, 0), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_pipeline_builder_set_category_cap(NULL, 1, 1, -1), AISLE_INVALID_ARGUMENT,
             "builder");
  CHECK_CODE(aisle_pipeline_builder_set_mmr(NULL, 0.5f), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_pipeline_builder_set_exploration(NULL, NULL, 0, 1, 1), AISLE_INVALID_ARGUMENT,
             "builder");
  CHECK_CODE(aisle_pipeline_builder_set_ladder(NULL, NULL, 0), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_pipeline_builder_set_campaign_set(NULL, "c"), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_pipeline_builder_set_default_k(NULL, 1), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_pipeline_builder_set_budget(NULL, 1), AISLE_INVALID_ARGUMENT, "builder");
  aisle_pipeline_builder_destroy(p);
  aisle_pipeline_builder_destroy(NULL);
}

typedef struct ScorerState {
  int calls;
  size_t last_rows;
  int64_t last_remaining;
} ScorerState;

/* Scores rows by their position: the last candidate ranks first. */
static int32_t PositionScorer(void* user_data, const float* features, size_t rows, size_t cols,
                              float* scores, int64_t remaining_micros) {
  ScorerState* st = (ScorerState*)user_data;
  size_t i;
  (void)features;
  (void)cols;
  st->calls++;
  st->last_rows = rows;
  st->last_remaining = remaining_micros;
  for (i = 0; i < rows; ++i) scores[i] = (float)i;
  return AISLE_OK;
}

static int32_t FailingScorer(void* user_data, const float* features, size_t rows, size_t cols,
                             float* scores, int64_t remaining_micros) {
  (void)features;
  (void)rows;
  (void)cols;
  (void)scores;
  (void)remaining_micros;
  ((ScorerState*)user_data)->calls++;
  return AISLE_INTERNAL;
}

/* Recommends and returns the response (NULL on error, reported). */
static aisle_response* Recommend(aisle_engine* e, aisle_request* r, int* requests) {
  aisle_response* resp = NULL;
  ++*requests;
  CHECK_OK(aisle_engine_recommend(e, r, &resp));
  return resp;
}

static int InCategory(const aisle_response* resp, int cat, size_t* total) {
  const uint32_t* idx = NULL;
  size_t n = 0, i;
  int in = 0;
  aisle_response_indices(resp, &idx, &n);
  for (i = 0; i < n; ++i) in += (int)(idx[i] / 10) == cat;
  *total = n;
  return in;
}

static void TestEngine(void) {
  aisle_catalog* c = MakeStorefrontCatalog();
  aisle_ann_index* ann = NULL;
  aisle_model* price = NULL;
  aisle_snapshot* s = NULL;
  aisle_engine* e = NULL;
  aisle_request* r = NULL;
  aisle_response* resp = NULL;
  aisle_ann_options ao;
  const uint32_t* idx = NULL;
  const float* scores = NULL;
  const uint32_t* sources = NULL;
  const char* str = NULL;
  size_t n = 0, n2 = 0, i, total = 0;
  int32_t v = 0;
  int64_t us = 0;
  double q = 0.0;
  int requests = 0, errors = 0;
  const char* seeds[1];
  char buf[16];
  ScorerState good = {0, 0, 0}, bad = {0, 0, 0};

  memset(&ao, 0, sizeof(ao));
  ao.size = sizeof(ao);
  ao.metric = AISLE_METRIC_COSINE;
  CHECK_OK(aisle_ann_index_build_from_catalog(c, &ao, &ann));
  CHECK_OK(aisle_model_parse(kPriceModel, strlen(kPriceModel), AISLE_MODEL_LINEAR, &price));
  s = MakeSnapshot("v1", c, ann, price);
  AddPromoPipeline(s);

  /* snapshot setter errors */
  aisle_snapshot_destroy(s);
  CHECK_CODE(aisle_snapshot_create(NULL, &s), AISLE_INVALID_ARGUMENT, "version");
  CHECK(s == NULL);
  s = MakeSnapshot("v1", c, ann, price);
  AddPromoPipeline(s);
  CHECK_CODE(aisle_snapshot_set_catalog(NULL, c), AISLE_INVALID_ARGUMENT, "snapshot");
  CHECK_CODE(aisle_snapshot_set_catalog(s, NULL), AISLE_INVALID_ARGUMENT, "catalog");
  CHECK_CODE(aisle_snapshot_set_ann_index(NULL, ann), AISLE_INVALID_ARGUMENT, "snapshot");
  CHECK_CODE(aisle_snapshot_set_ann_index(s, NULL), AISLE_INVALID_ARGUMENT, "index");
  CHECK_CODE(aisle_snapshot_add_model(s, "", price), AISLE_INVALID_ARGUMENT, "empty");
  CHECK_CODE(aisle_snapshot_add_model(s, NULL, price), AISLE_INVALID_ARGUMENT, "name");
  CHECK_CODE(aisle_snapshot_add_model(s, "m", NULL), AISLE_INVALID_ARGUMENT, "model");
  CHECK_CODE(aisle_snapshot_add_model(NULL, "m", price), AISLE_INVALID_ARGUMENT, "snapshot");
  CHECK_CODE(aisle_snapshot_add_pipeline(s, NULL), AISLE_INVALID_ARGUMENT, "pipeline");
  CHECK_CODE(aisle_snapshot_add_pipeline(NULL, NULL), AISLE_INVALID_ARGUMENT, "snapshot");
  CHECK_CODE(aisle_snapshot_add_campaign_set(s, "x", NULL, 1), AISLE_INVALID_ARGUMENT, "ids");
  CHECK_CODE(aisle_snapshot_add_campaign_set(s, NULL, NULL, 0), AISLE_INVALID_ARGUMENT, "name");
  CHECK_CODE(aisle_snapshot_add_campaign_set(NULL, "x", NULL, 0), AISLE_INVALID_ARGUMENT,
             "snapshot");
  {
    const uint32_t it[1] = {0};
    const int64_t tm[1] = {0};
    const int32_t bad_type[1] = {4};
    CHECK_CODE(aisle_snapshot_add_warm_interactions(s, NULL, it, tm, bad_type, 1),
               AISLE_INVALID_ARGUMENT, "type 4");
    CHECK_CODE(aisle_snapshot_add_warm_interactions(NULL, NULL, it, tm, bad_type, 1),
               AISLE_INVALID_ARGUMENT, "snapshot");
  }
  CHECK_CODE(aisle_snapshot_set_item_features(s, NULL), AISLE_INVALID_ARGUMENT, "store");
  CHECK_CODE(aisle_snapshot_set_item_features(NULL, NULL), AISLE_INVALID_ARGUMENT, "snapshot");
  CHECK_CODE(aisle_snapshot_set_feature_schema(s, NULL), AISLE_INVALID_ARGUMENT, "schema");
  CHECK_CODE(aisle_snapshot_set_feature_schema(NULL, NULL), AISLE_INVALID_ARGUMENT, "snapshot");

  /* the engine */
  CHECK_CODE(aisle_engine_create(NULL, &e), AISLE_INVALID_ARGUMENT, "snapshot");
  CHECK(e == NULL);
  CHECK_CODE(aisle_engine_create(s, NULL), AISLE_INVALID_ARGUMENT, "out");
  {
    aisle_snapshot* empty = NULL;
    CHECK_OK(aisle_snapshot_create("empty", &empty));
    e = (aisle_engine*)&n;
    CHECK(aisle_engine_create(empty, &e) != AISLE_OK);
    CHECK(e == NULL);
    aisle_snapshot_destroy(empty);
  }
  CHECK_OK(aisle_engine_create(s, &e));
  /* the engine copied the snapshot: destroying our handles changes nothing */
  aisle_snapshot_destroy(s);
  s = NULL;

  CHECK_OK(aisle_engine_snapshot_version(e, buf, sizeof(buf), &n));
  CHECK(n == 2 && strcmp(buf, "v1") == 0);
  CHECK_OK(aisle_engine_snapshot_version(e, buf, 2, &n));
  CHECK(n == 2 && strcmp(buf, "v") == 0);
  CHECK_OK(aisle_engine_snapshot_version(e, NULL, 0, &n));
  CHECK(n == 2);
  CHECK_CODE(aisle_engine_snapshot_version(e, NULL, 4, &n), AISLE_INVALID_ARGUMENT, "buf");
  CHECK_CODE(aisle_engine_snapshot_version(e, buf, 4, NULL), AISLE_INVALID_ARGUMENT, "out_len");
  CHECK_CODE(aisle_engine_snapshot_version(NULL, buf, 4, &n), AISLE_INVALID_ARGUMENT, "engine");

  /* product page: ANN neighbours of item 12 are in its category */
  CHECK_CODE(aisle_request_create(NULL, &r), AISLE_INVALID_ARGUMENT, "surface");
  CHECK(r == NULL);
  CHECK_OK(aisle_request_create("product_page", &r));
  seeds[0] = Id(12);
  CHECK_OK(aisle_request_set_seed_items(r, seeds, 1));
  CHECK_OK(aisle_request_set_request_id(r, "req-1"));
  resp = Recommend(e, r, &requests);
  if (resp != NULL) {
    CHECK_OK(aisle_response_fallback_level(resp, &v));
    CHECK(v == AISLE_LEVEL_PERSONALIZED);
    CHECK_OK(aisle_response_fallback_reason(resp, &v));
    CHECK(v == AISLE_REASON_NONE);
    CHECK_OK(aisle_response_fallback_detail(resp, &str));
    CHECK(strcmp(str, "") == 0);
    CHECK_OK(aisle_response_tier(resp, &v));
    CHECK(v == AISLE_TIER_ANONYMOUS);
    CHECK_OK(aisle_response_item_count(resp, &n));
    CHECK(n == 5);
    CHECK(InCategory(resp, 1, &total) >= 4);
    CHECK_OK(aisle_response_indices(resp, &idx, &n));
    CHECK_OK(aisle_response_scores(resp, &scores, &n2));
    CHECK(n2 == n);
    CHECK_OK(aisle_response_sources(resp, &sources, &n2));
    CHECK(n2 == n);
    for (i = 0; i < n; ++i) {
      const char* cid = NULL;
      size_t clen = 0;
      CHECK(idx[i] != 12); /* the seed is never recommended */
      CHECK(sources[i] != 0);
      CHECK_OK(aisle_response_item_id(resp, i, &str));
      CHECK_OK(aisle_catalog_item_id(c, idx[i], &cid, &clen));
      CHECK(strlen(str) == clen && memcmp(str, cid, clen) == 0);
      CHECK_OK(aisle_response_item_reason(resp, i, &str));
      CHECK(strlen(str) > 0);
    }
    CHECK_CODE(aisle_response_item_id(resp, n, &str), AISLE_OUT_OF_RANGE, "5");
    CHECK_CODE(aisle_response_item_reason(resp, n, &str), AISLE_OUT_OF_RANGE, "5");
    CHECK_OK(aisle_response_source_count(resp, &n));
    CHECK(n == 2);
    CHECK_OK(aisle_response_source_name(resp, 0, &str));
    CHECK(strcmp(str, "ann") == 0);
    CHECK_OK(aisle_response_source_name(resp, 1, &str));
    CHECK(strcmp(str, "covis") == 0);
    CHECK_CODE(aisle_response_source_name(resp, 2, &str), AISLE_OUT_OF_RANGE, "2");
    CHECK_OK(aisle_response_request_id(resp, &str));
    CHECK(strcmp(str, "req-1") == 0);
    CHECK_OK(aisle_response_snapshot_version(resp, &str));
    CHECK(strcmp(str, "v1") == 0);
    CHECK_OK(aisle_response_ranker_version(resp, &str));
    CHECK(strcmp(str, "") == 0); /* product_page has no ranker */
    CHECK_OK(aisle_response_latency_micros(resp, AISLE_STAGE_TOTAL, &us));
    CHECK(us >= 0);
    CHECK_OK(aisle_response_latency_micros(resp, AISLE_STAGE_RETRIEVE, &us));
    CHECK(us >= 0);
    {
      /* Every stage of the framework's order has a figure; POST is the sum
       * of rules, diversify and explore; TOTAL covers them all. */
      int64_t total = 0, post = 0, part = 0, sum = 0;
      int32_t stage;
      CHECK_OK(aisle_response_latency_micros(resp, AISLE_STAGE_TOTAL, &total));
      for (stage = AISLE_STAGE_RETRIEVE; stage <= AISLE_STAGE_RESPOND; ++stage) {
        if (stage == AISLE_STAGE_POST || stage == AISLE_STAGE_TOTAL) continue;
        CHECK_OK(aisle_response_latency_micros(resp, stage, &us));
        CHECK(us >= 0);
        sum += us;
      }
      CHECK(sum <= total + 9); /* whole microseconds, rounded down per stage */
      CHECK_OK(aisle_response_latency_micros(resp, AISLE_STAGE_POST, &post));
      for (stage = AISLE_STAGE_RULES; stage <= AISLE_STAGE_EXPLORE; ++stage) {
        CHECK_OK(aisle_response_latency_micros(resp, stage, &us));
        part += us;
      }
      CHECK(post >= part && post <= part + 3);
    }
    CHECK_CODE(aisle_response_latency_micros(resp, 10, &us), AISLE_OUT_OF_RANGE, "stage 10");
    CHECK_CODE(aisle_response_latency_micros(resp, -1, &us), AISLE_OUT_OF_RANGE, "stage -1");
    CHECK_OK(aisle_response_quality(resp, &q));
    CHECK(q > 0.0 && q <= 1.0);
    CHECK_OK(aisle_response_experiment_count(resp, &n));
    CHECK(n == 0);
    CHECK_CODE(aisle_response_experiment(resp, 0, &str, &str, &str, NULL), AISLE_OUT_OF_RANGE,
               "experiment 0");
    CHECK_CODE(aisle_response_experiment(NULL, 0, NULL, NULL, NULL, NULL), AISLE_INVALID_ARGUMENT,
               "response");
    {
      aisle_response_counts counts;
      memset(&counts, 0, sizeof(counts));
      counts.size = sizeof(counts);
      CHECK_OK(aisle_response_counts_read(resp, &counts));
      CHECK(counts.candidates >= 5 && counts.unknown_items == 0);
      counts.size = 0;
      CHECK_CODE(aisle_response_counts_read(resp, &counts), AISLE_INVALID_ARGUMENT, "size");
      CHECK_CODE(aisle_response_counts_read(resp, NULL), AISLE_INVALID_ARGUMENT, "out");
      CHECK_CODE(aisle_response_counts_read(NULL, &counts), AISLE_INVALID_ARGUMENT, "response");
    }
    /* response accessor NULL checks */
    CHECK_CODE(aisle_response_item_count(NULL, &n), AISLE_INVALID_ARGUMENT, "response");
    CHECK_CODE(aisle_response_item_count(resp, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_indices(resp, &idx, NULL), AISLE_INVALID_ARGUMENT, "out_count");
    CHECK_CODE(aisle_response_indices(NULL, &idx, &n), AISLE_INVALID_ARGUMENT, "response");
    CHECK_CODE(aisle_response_scores(resp, NULL, &n), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_scores(resp, &scores, NULL), AISLE_INVALID_ARGUMENT, "out_count");
    CHECK_CODE(aisle_response_sources(resp, NULL, &n), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_sources(resp, &sources, NULL), AISLE_INVALID_ARGUMENT, "out_count");
    CHECK_CODE(aisle_response_item_id(resp, 0, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_item_reason(NULL, 0, &str), AISLE_INVALID_ARGUMENT, "response");
    CHECK_CODE(aisle_response_source_count(NULL, &n), AISLE_INVALID_ARGUMENT, "response");
    CHECK_CODE(aisle_response_source_name(resp, 0, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_tier(resp, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_fallback_level(NULL, &v), AISLE_INVALID_ARGUMENT, "response");
    CHECK_CODE(aisle_response_fallback_reason(resp, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_fallback_detail(resp, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_request_id(NULL, &str), AISLE_INVALID_ARGUMENT, "response");
    CHECK_CODE(aisle_response_snapshot_version(resp, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_ranker_version(NULL, &str), AISLE_INVALID_ARGUMENT, "response");
    CHECK_CODE(aisle_response_latency_micros(resp, 0, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_quality(resp, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_experiment_count(NULL, &n), AISLE_INVALID_ARGUMENT, "response");
  }
  /* The served feature matrix for the first recommended item. */
  if (resp != NULL) {
    const char* first = NULL;
    const char* ask[2];
    const char* ghost[1] = {"no-such-item"};
    aisle_feature_matrix* fm = NULL;
    size_t rows = 0, cols = 0;
    const float* values = NULL;
    const uint8_t* retrieved = NULL;
    const char* name = NULL;
    CHECK_OK(aisle_response_item_id(resp, 0, &first));
    ask[0] = first;
    ask[1] = first;
    CHECK_OK(aisle_engine_assemble_features(e, r, ask, 2, &fm));
    CHECK_OK(aisle_feature_matrix_shape(fm, &rows, &cols));
    CHECK(rows == 2 && cols > 0);
    CHECK_OK(aisle_feature_matrix_values(fm, &values));
    CHECK(values != NULL && (values[0] == values[cols] || values[0] != values[0]));
    CHECK_OK(aisle_feature_matrix_retrieved(fm, &retrieved));
    CHECK(retrieved != NULL && retrieved[0] == 1);
    CHECK_OK(aisle_feature_matrix_feature_name(fm, 0, &name));
    CHECK(name != NULL && strlen(name) > 0);
    CHECK_CODE(aisle_feature_matrix_feature_name(fm, cols, &name), AISLE_OUT_OF_RANGE, "feature");
    CHECK_CODE(aisle_feature_matrix_shape(NULL, &rows, &cols), AISLE_INVALID_ARGUMENT, "matrix");
    CHECK_CODE(aisle_feature_matrix_shape(fm, NULL, &cols), AISLE_INVALID_ARGUMENT, "rows");
    CHECK_CODE(aisle_feature_matrix_values(fm, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_feature_matrix_retrieved(NULL, &retrieved), AISLE_INVALID_ARGUMENT, "matrix");
    aisle_feature_matrix_destroy(fm);
    aisle_feature_matrix_destroy(NULL);
    fm = NULL;
    CHECK_CODE(aisle_engine_assemble_features(e, r, ghost, 1, &fm), AISLE_NOT_FOUND,
               "no-such-item");
    CHECK(fm == NULL);
    CHECK_CODE(aisle_engine_assemble_features(NULL, r, ask, 1, &fm), AISLE_INVALID_ARGUMENT,
               "engine");
    CHECK_CODE(aisle_engine_assemble_features(e, r, NULL, 1, &fm), AISLE_INVALID_ARGUMENT,
               "item_ids");
  }
  aisle_response_destroy(resp);
  aisle_response_destroy(NULL);

  /* home, anonymous, no signal: global popular, item 0 first */
  CHECK_OK(aisle_request_set_surface(r, "home"));
  CHECK_OK(aisle_request_set_seed_items(r, NULL, 0));
  CHECK_OK(aisle_request_set_request_id(r, NULL));
  resp = Recommend(e, r, &requests);
  if (resp != NULL) {
    CHECK_OK(aisle_response_fallback_level(resp, &v));
    CHECK(v == AISLE_LEVEL_GLOBAL_POPULAR);
    CHECK_OK(aisle_response_fallback_reason(resp, &v));
    CHECK(v == AISLE_REASON_EMPTY_STAGE);
    CHECK_OK(aisle_response_item_id(resp, 0, &str));
    CHECK(strcmp(str, "sku-0") == 0);
    CHECK_OK(aisle_response_item_reason(resp, 0, &str));
    CHECK(strcmp(str, "popular") == 0);
    CHECK_OK(aisle_response_request_id(resp, &str));
    CHECK(strlen(str) > 0); /* generated */
  }
  aisle_response_destroy(resp);

  /* context category scopes category popular */
  CHECK_OK(aisle_request_add_context(r, "category", CategoryPath(2)));
  CHECK_OK(aisle_request_add_context(r, "device", "mobile"));
  resp = Recommend(e, r, &requests);
  if (resp != NULL) {
    CHECK_OK(aisle_response_fallback_level(resp, &v));
    CHECK(v == AISLE_LEVEL_CATEGORY_POPULAR);
    CHECK(InCategory(resp, 2, &total) == (int)total && total > 0);
  }
  aisle_response_destroy(resp);
  CHECK_OK(aisle_request_clear_context(r));
  CHECK_CODE(aisle_request_add_context(r, NULL, "x"), AISLE_INVALID_ARGUMENT, "key");
  CHECK_CODE(aisle_request_add_context(r, "x", NULL), AISLE_INVALID_ARGUMENT, "value");

  /* home with a seed: personalized and ranked by the price model */
  seeds[0] = Id(3);
  CHECK_OK(aisle_request_set_seed_items(r, seeds, 1));
  CHECK_OK(aisle_request_set_user_id(r, "u-1"));
  CHECK_OK(aisle_request_set_session_id(r, "s-1"));
  CHECK_OK(aisle_request_set_k(r, 4));
  CHECK_OK(aisle_request_set_budget(r, 2000000));
  CHECK_OK(aisle_request_set_segment(r, 0));
  resp = Recommend(e, r, &requests);
  if (resp != NULL) {
    CHECK_OK(aisle_response_fallback_level(resp, &v));
    CHECK(v == AISLE_LEVEL_PERSONALIZED);
    CHECK_OK(aisle_response_item_count(resp, &n));
    CHECK(n == 4);
    CHECK_OK(aisle_response_ranker_version(resp, &str));
    CHECK(strncmp(str, "linear:price", 12) == 0);
    CHECK_OK(aisle_response_scores(resp, &scores, &n));
    for (i = 1; i < n; ++i) CHECK(scores[i - 1] >= scores[i]);
    CHECK_OK(aisle_response_source_count(resp, &n));
    CHECK(n == 3);
  }
  aisle_response_destroy(resp);

  /* cart and bought items are never recommended back */
  {
    const char* cart[1];
    const char* bought[1];
    cart[0] = Id(1);
    bought[0] = Id(2);
    CHECK_OK(aisle_request_set_cart_items(r, cart, 1));
    CHECK_OK(aisle_request_set_bought_items(r, bought, 1));
    CHECK_OK(aisle_request_set_k(r, 10));
    resp = Recommend(e, r, &requests);
    if (resp != NULL) {
      CHECK_OK(aisle_response_indices(resp, &idx, &n));
      CHECK(n > 0 && !Contains(idx, n, 1) && !Contains(idx, n, 2) && !Contains(idx, n, 3));
    }
    aisle_response_destroy(resp);
    CHECK_OK(aisle_request_set_cart_items(r, NULL, 0));
    CHECK_OK(aisle_request_set_bought_items(r, NULL, 0));
    CHECK_CODE(aisle_request_set_cart_items(r, NULL, 1), AISLE_INVALID_ARGUMENT, "ids");
  }

  /* a user vector of the wrong dimension is a malformed request */
  {
    float uv[kDim + 1];
    memset(uv, 0, sizeof(uv));
    uv[0] = 1.0f;
    CHECK_OK(aisle_request_set_user_vector(r, uv, kDim + 1));
    resp = (aisle_response*)&n;
    ++requests;
    ++errors;
    CHECK(aisle_engine_recommend(e, r, &resp) == AISLE_INVALID_ARGUMENT);
    CHECK(resp == NULL);
    CHECK_OK(aisle_request_set_user_vector(r, uv, kDim));
    resp = Recommend(e, r, &requests);
    aisle_response_destroy(resp);
    CHECK_OK(aisle_request_set_user_vector(r, NULL, 0));
    CHECK_CODE(aisle_request_set_user_vector(r, NULL, 3), AISLE_INVALID_ARGUMENT, "values");
  }
  /* an unknown surface is an error */
  CHECK_OK(aisle_request_set_surface(r, "nope"));
  ++requests;
  ++errors;
  CHECK(aisle_engine_recommend(e, r, &resp) != AISLE_OK && resp == NULL);
  CHECK(strstr(aisle_last_error_message(), "nope") != NULL);
  CHECK_CODE(aisle_engine_recommend(NULL, r, &resp), AISLE_INVALID_ARGUMENT, "engine");
  CHECK_CODE(aisle_engine_recommend(e, NULL, &resp), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_engine_recommend(e, r, NULL), AISLE_INVALID_ARGUMENT, "out");

  /* search rerank keeps to the query's candidates */
  {
    const char* cands[3];
    cands[0] = Id(5);
    cands[1] = Id(7);
    cands[2] = Id(9);
    CHECK_OK(aisle_request_set_surface(r, "search"));
    CHECK_OK(aisle_request_set_seed_items(r, NULL, 0));
    CHECK_OK(aisle_request_set_search_candidates(r, cands, 3));
    resp = Recommend(e, r, &requests);
    if (resp != NULL) {
      CHECK_OK(aisle_response_indices(resp, &idx, &n));
      CHECK(n == 3);
      for (i = 0; i < n; ++i) CHECK(idx[i] == 5 || idx[i] == 7 || idx[i] == 9);
    }
    aisle_response_destroy(resp);
    CHECK_OK(aisle_request_set_search_candidates(r, NULL, 0));
  }

  /* the promo surface: pinned item served, blocked item and category never served */
  CHECK_OK(aisle_request_set_surface(r, "promo"));
  seeds[0] = Id(12);
  CHECK_OK(aisle_request_set_seed_items(r, seeds, 1));
  CHECK_OK(aisle_request_set_k(r, 0));
  resp = Recommend(e, r, &requests);
  if (resp != NULL) {
    CHECK_OK(aisle_response_item_count(resp, &n));
    CHECK(n == 8);
    CHECK_OK(aisle_response_indices(resp, &idx, &n));
    /* the forced pin brings sku-35 (outside every source) into the response; its
       position is not asserted: the engine runs diversification after rules */
    CHECK(Contains(idx, n, 35));
    CHECK(!Contains(idx, n, 13));
    CHECK(InCategory(resp, 2, &total) == 0);
  }
  aisle_response_destroy(resp);

  /* switches */
  CHECK_OK(aisle_request_set_surface(r, "home"));
  seeds[0] = Id(3);
  CHECK_OK(aisle_request_set_seed_items(r, seeds, 1));
  CHECK_OK(aisle_engine_set_flag(e, "home", AISLE_SWITCH_PERSONALIZATION, 0, "test:oncall"));
  resp = Recommend(e, r, &requests);
  if (resp != NULL) {
    CHECK_OK(aisle_response_fallback_reason(resp, &v));
    CHECK(v == AISLE_REASON_SWITCHED_OFF);
    CHECK_OK(aisle_response_fallback_level(resp, &v));
    CHECK(v != AISLE_LEVEL_PERSONALIZED);
    CHECK_OK(aisle_response_fallback_detail(resp, &str));
    CHECK(strstr(str, "switched off") != NULL);
  }
  aisle_response_destroy(resp);
  CHECK_OK(aisle_engine_set_flag(e, "*", AISLE_SWITCH_PERSONALIZATION, 1, NULL));
  CHECK_CODE(aisle_engine_set_flag(e, "nope", AISLE_SWITCH_EXPLORATION, 0, "t"), AISLE_NOT_FOUND,
             "nope");
  CHECK_CODE(aisle_engine_set_flag(e, "home", 9, 0, "t"), AISLE_INVALID_ARGUMENT, "flag 9");
  CHECK_CODE(aisle_engine_set_flag(e, NULL, 0, 0, "t"), AISLE_INVALID_ARGUMENT, "surface");
  CHECK_CODE(aisle_engine_set_flag(NULL, "home", 0, 0, "t"), AISLE_INVALID_ARGUMENT, "engine");
  CHECK_OK(aisle_engine_set_source(e, "home", "ann", 0, "test"));
  resp = Recommend(e, r, &requests);
  if (resp != NULL) {
    CHECK_OK(aisle_response_sources(resp, &sources, &n));
    for (i = 0; i < n; ++i) CHECK((sources[i] & 1u) == 0); /* ann is source 0 */
  }
  aisle_response_destroy(resp);
  CHECK_OK(aisle_engine_set_source(e, "home", "ann", 1, "test"));
  CHECK_CODE(aisle_engine_set_source(e, "home", "nope", 0, "t"), AISLE_NOT_FOUND, "nope");
  CHECK_CODE(aisle_engine_set_source(e, "home", NULL, 0, "t"), AISLE_INVALID_ARGUMENT, "source");
  CHECK_CODE(aisle_engine_set_source(e, NULL, "ann", 0, "t"), AISLE_INVALID_ARGUMENT, "surface");
  CHECK_CODE(aisle_engine_set_source(NULL, "home", "ann", 0, "t"), AISLE_INVALID_ARGUMENT,
             "engine");

  /* live events */
  CHECK_OK(aisle_engine_apply_interaction(e, "u-1", "s-1", Id(4), AISLE_INTERACTION_CLICK,
                                          AISLE_UNKNOWN_TIME, 0));
  CHECK_OK(aisle_engine_apply_interaction(e, NULL, NULL, Id(5), AISLE_INTERACTION_PURCHASE,
                                          AISLE_UNKNOWN_TIME, 0));
  CHECK_CODE(aisle_engine_apply_interaction(e, "u-1", "s-1", "ghost", AISLE_INTERACTION_VIEW,
                                            AISLE_UNKNOWN_TIME, 0),
             AISLE_NOT_FOUND, "ghost");
  CHECK_CODE(aisle_engine_apply_interaction(e, "u-1", "s-1", Id(4), 7, 0, 0),
             AISLE_INVALID_ARGUMENT, "type 7");
  CHECK_CODE(aisle_engine_apply_interaction(e, "u-1", "s-1", NULL, 0, 0, 0), AISLE_INVALID_ARGUMENT,
             "item_id");
  CHECK_CODE(aisle_engine_apply_interaction(NULL, "u-1", "s-1", Id(4), 0, 0, 0),
             AISLE_INVALID_ARGUMENT, "engine");
  CHECK_OK(aisle_engine_publish_live_state(e));
  CHECK_CODE(aisle_engine_publish_live_state(NULL), AISLE_INVALID_ARGUMENT, "engine");

  CHECK_OK(aisle_engine_quality(e, "home", &q));
  CHECK(q > 0.0 && q <= 1.0);
  CHECK_CODE(aisle_engine_quality(e, NULL, &q), AISLE_INVALID_ARGUMENT, "surface");
  CHECK_CODE(aisle_engine_quality(e, "home", NULL), AISLE_INVALID_ARGUMENT, "out");
  CHECK_CODE(aisle_engine_quality(NULL, "home", &q), AISLE_INVALID_ARGUMENT, "engine");

  /* host scorers: registered, then used by a swapped-in snapshot */
  {
    aisle_breaker_options bo;
    aisle_pipeline_builder* p = NULL;
    memset(&bo, 0, sizeof(bo));
    bo.size = sizeof(bo);
    bo.call_timeout_micros = 1000000;
    bo.open_micros = 1000000;
    bo.min_requests = 100;
    bo.failure_rate = 0.9;
    bo.consecutive_timeouts = 3;
    CHECK_OK(aisle_engine_register_scorer(e, "host", PositionScorer, &good, &bo));
    CHECK_OK(aisle_engine_register_scorer(e, "bad", FailingScorer, &bad, NULL));
    CHECK_CODE(aisle_engine_register_scorer(e, "host", PositionScorer, &good, NULL),
               AISLE_ALREADY_EXISTS, "host");
    CHECK_CODE(aisle_engine_register_scorer(e, "x", NULL, NULL, NULL), AISLE_INVALID_ARGUMENT,
               "fn");
    CHECK_CODE(aisle_engine_register_scorer(e, NULL, PositionScorer, NULL, NULL),
               AISLE_INVALID_ARGUMENT, "name");
    CHECK_CODE(aisle_engine_register_scorer(NULL, "x", PositionScorer, NULL, NULL),
               AISLE_INVALID_ARGUMENT, "engine");
    bo.size = 0;
    CHECK_CODE(aisle_engine_register_scorer(e, "y", PositionScorer, NULL, &bo),
               AISLE_INVALID_ARGUMENT, "size");

    s = MakeSnapshot("v2", c, ann, price);
    CHECK_OK(aisle_pipeline_builder_create("hosted", &p));
    CHECK_OK(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 20, 0));
    CHECK_OK(aisle_pipeline_builder_set_ranker(p, "host", NULL));
    CHECK_OK(aisle_pipeline_builder_set_default_k(p, 5));
    CHECK_OK(aisle_pipeline_builder_set_budget(p, 5000000));
    CHECK_OK(aisle_snapshot_add_pipeline(s, p));
    aisle_pipeline_builder_destroy(p);
    CHECK_OK(aisle_pipeline_builder_create("broken", &p));
    CHECK_OK(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 20, 0));
    CHECK_OK(aisle_pipeline_builder_set_ranker(p, "bad", NULL));
    CHECK_OK(aisle_pipeline_builder_set_default_k(p, 5));
    CHECK_OK(aisle_pipeline_builder_set_budget(p, 5000000));
    CHECK_OK(aisle_snapshot_add_pipeline(s, p));
    aisle_pipeline_builder_destroy(p);
    CHECK_OK(aisle_engine_swap(e, s));
    CHECK_OK(aisle_engine_snapshot_version(e, buf, sizeof(buf), &n));
    CHECK(strcmp(buf, "v2") == 0);

    CHECK_OK(aisle_request_set_surface(r, "hosted"));
    CHECK_OK(aisle_request_set_k(r, 5));
    resp = Recommend(e, r, &requests);
    if (resp != NULL) {
      CHECK(good.calls == 1 && good.last_rows >= 5);
      CHECK(good.last_remaining > 0 && good.last_remaining <= 5000000);
      CHECK_OK(aisle_response_ranker_version(resp, &str));
      CHECK(strcmp(str, "host:host") == 0);
      CHECK_OK(aisle_response_scores(resp, &scores, &n));
      CHECK(n == 5);
      /* the scorer gave row i the score i: the best is the last row */
      CHECK(n == 5 && scores[0] == (float)(good.last_rows - 1));
      for (i = 1; i < n; ++i) CHECK(scores[i - 1] > scores[i]);
    }
    aisle_response_destroy(resp);

    CHECK_OK(aisle_request_set_surface(r, "broken"));
    resp = Recommend(e, r, &requests);
    if (resp != NULL) {
      CHECK(bad.calls == 1);
      CHECK_OK(aisle_response_fallback_reason(resp, &v));
      CHECK(v == AISLE_REASON_ERROR);
      CHECK_OK(aisle_response_fallback_level(resp, &v));
      CHECK(v != AISLE_LEVEL_PERSONALIZED);
      CHECK_OK(aisle_response_fallback_detail(resp, &str));
      CHECK(strstr(str, "INTERNAL") != NULL);
      CHECK_OK(aisle_response_item_count(resp, &n));
      CHECK(n > 0);
    }
    aisle_response_destroy(resp);

    /* a snapshot naming an unknown ranker is rejected; v2 keeps serving */
    CHECK_OK(aisle_pipeline_builder_create("lost", &p));
    CHECK_OK(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 20, 0));
    CHECK_OK(aisle_pipeline_builder_set_ranker(p, "no_such_model", NULL));
    CHECK_OK(aisle_snapshot_add_pipeline(s, p));
    aisle_pipeline_builder_destroy(p);
    CHECK_CODE(aisle_engine_swap(e, s), AISLE_NOT_FOUND, "no_such_model");
    CHECK_OK(aisle_engine_snapshot_version(e, buf, sizeof(buf), &n));
    CHECK(strcmp(buf, "v2") == 0);
    CHECK_CODE(aisle_engine_swap(e, NULL), AISLE_INVALID_ARGUMENT, "snapshot");
    CHECK_CODE(aisle_engine_swap(NULL, s), AISLE_INVALID_ARGUMENT, "engine");
    aisle_snapshot_destroy(s);
    aisle_snapshot_destroy(NULL);
  }

  /* inventory: everything sold out but item 31: retrieval reads live stock,
   * so the personalized level's sources skip the sold-out items and find it */
  CHECK_OK(aisle_request_set_surface(r, "home"));
  for (i = 0; i < kItems; ++i) {
    if (i != 31) CHECK_OK(aisle_engine_set_stock(e, Id((int)i), 0));
  }
  CHECK_OK(aisle_engine_add_stock(e, Id(31), 2));
  CHECK_CODE(aisle_engine_set_stock(e, "ghost", 1), AISLE_NOT_FOUND, "ghost");
  CHECK_CODE(aisle_engine_add_stock(e, "ghost", 1), AISLE_NOT_FOUND, "ghost");
  CHECK_CODE(aisle_engine_set_stock(e, NULL, 1), AISLE_INVALID_ARGUMENT, "item_id");
  CHECK_CODE(aisle_engine_add_stock(e, NULL, 1), AISLE_INVALID_ARGUMENT, "item_id");
  CHECK_CODE(aisle_engine_set_stock(NULL, "a", 1), AISLE_INVALID_ARGUMENT, "engine");
  CHECK_CODE(aisle_engine_add_stock(NULL, "a", 1), AISLE_INVALID_ARGUMENT, "engine");
  resp = Recommend(e, r, &requests);
  if (resp != NULL) {
    CHECK_OK(aisle_response_fallback_level(resp, &v));
    CHECK(v == AISLE_LEVEL_PERSONALIZED);
    CHECK_OK(aisle_response_item_count(resp, &n));
    CHECK(n == 1);
    CHECK_OK(aisle_response_item_id(resp, 0, &str));
    CHECK(strcmp(str, "sku-31") == 0);
    CHECK_OK(aisle_response_item_reason(resp, 0, &str));
    CHECK(strcmp(str, "ranked") == 0);
  }
  aisle_response_destroy(resp);

  /* metrics; a short `size` writes only the fields it covers */
  {
    aisle_engine_metrics m;
    memset(&m, 0, sizeof(m));
    m.size = sizeof(m);
    CHECK_OK(aisle_engine_metrics_read(e, &m));
    CHECK(m.requests == (uint64_t)requests);
    CHECK(m.errors == (uint64_t)errors);
    CHECK(m.served_by_level[AISLE_LEVEL_GLOBAL_POPULAR] >= 1);
    CHECK(m.served_by_level[6] == 0 && m.served_by_level[7] == 0);
    CHECK(m.fallback_reasons[AISLE_REASON_SWITCHED_OFF] >= 1);
    CHECK(m.events_applied >= 2 && m.events_rejected >= 1);
    CHECK(m.swaps >= 1 && m.swaps_rejected == 1);
    memset(&m, 0, sizeof(m));
    m.size = offsetof(aisle_engine_metrics, errors);
    m.errors = 777;
    CHECK_OK(aisle_engine_metrics_read(e, &m));
    CHECK(m.requests == (uint64_t)requests && m.errors == 777);
    m.size = 0;
    CHECK_CODE(aisle_engine_metrics_read(e, &m), AISLE_INVALID_ARGUMENT, "size");
    CHECK_CODE(aisle_engine_metrics_read(e, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_engine_metrics_read(NULL, &m), AISLE_INVALID_ARGUMENT, "engine");
  }

  /* request setter NULL checks */
  CHECK_CODE(aisle_request_set_surface(NULL, "a"), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_request_set_request_id(NULL, "a"), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_request_set_user_id(NULL, "a"), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_request_set_session_id(NULL, "a"), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_request_add_context(NULL, "a", "b"), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_request_clear_context(NULL), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_request_set_seed_items(NULL, NULL, 0), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_request_set_cart_items(NULL, NULL, 0), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_request_set_bought_items(NULL, NULL, 0), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_request_set_search_candidates(NULL, NULL, 0), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_request_set_user_vector(NULL, NULL, 0), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_request_set_segment(NULL, 1), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_request_set_k(NULL, 1), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_request_set_budget(NULL, 1), AISLE_INVALID_ARGUMENT, "request");
  CHECK_CODE(aisle_request_set_budget(r, -5), AISLE_INVALID_ARGUMENT, "budget");
  CHECK_CODE(aisle_request_create("x", NULL), AISLE_INVALID_ARGUMENT, "out");
  {
    const char* holes[2];
    holes[0] = "a";
    holes[1] = NULL;
    CHECK_CODE(aisle_request_set_seed_items(r, holes, 2), AISLE_INVALID_ARGUMENT, "ids[1]");
  }
  aisle_request_destroy(r);
  aisle_request_destroy(NULL);
  aisle_engine_destroy(e);
  aisle_engine_destroy(NULL);
  aisle_model_destroy(price);
  aisle_ann_index_destroy(ann);
  aisle_catalog_destroy(c);
}

/* Serves `r` and checks it was ranked at the personalized level by the
 * "price" linear model. */
static void ExpectServedByPrice(aisle_engine* e, aisle_request* r, int* requests) {
  const char* str = NULL;
  int32_t level = -1;
  aisle_response* resp = Recommend(e, r, requests);
  if (resp == NULL) return;
  CHECK_OK(aisle_response_fallback_level(resp, &level));
  CHECK(level == AISLE_LEVEL_PERSONALIZED);
  CHECK_OK(aisle_response_ranker_version(resp, &str));
  CHECK(str != NULL && strncmp(str, "linear:price", 12) == 0);
  aisle_response_destroy(resp);
}

/* A snapshot with an explicit feature schema and item feature store. */
static void TestSnapshotFeatures(void) {
  aisle_catalog* c = MakeStorefrontCatalog();
  aisle_ann_index* ann = NULL;
  aisle_model* price = NULL;
  aisle_snapshot* s = NULL;
  aisle_engine* e = NULL;
  aisle_request* r = NULL;
  aisle_feature_schema_builder* sb = NULL;
  aisle_feature_schema* schema = NULL;
  aisle_item_feature_store_builder* ib = NULL;
  aisle_item_feature_store* store = NULL;
  float margin[kItems];
  const char* seeds[1];
  int requests = 0, i;

  CHECK_OK(aisle_ann_index_build_from_catalog(c, NULL, &ann));
  CHECK_OK(aisle_model_parse(kPriceModel, strlen(kPriceModel), AISLE_MODEL_LINEAR, &price));
  CHECK_OK(aisle_feature_schema_builder_create(&sb));
  CHECK_OK(aisle_feature_schema_builder_add_group(sb, AISLE_FEATURE_GROUP_RETRIEVAL, INFINITY,
                                                  AISLE_STALE_USE_VALUE));
  CHECK_OK(aisle_feature_schema_builder_add_group(sb, AISLE_FEATURE_GROUP_ITEM, INFINITY,
                                                  AISLE_STALE_USE_VALUE));
  CHECK_OK(aisle_feature_schema_builder_add_feature(sb, "ann_score", AISLE_FEATURE_GROUP_RETRIEVAL,
                                                    0.0f, -1));
  CHECK_OK(
      aisle_feature_schema_builder_add_feature(sb, "price", AISLE_FEATURE_GROUP_ITEM, 0.0f, -1));
  CHECK_OK(
      aisle_feature_schema_builder_add_feature(sb, "margin", AISLE_FEATURE_GROUP_ITEM, 0.0f, -1));
  CHECK_OK(aisle_feature_schema_builder_build(sb, &schema));
  CHECK_OK(aisle_item_feature_store_builder_create(kItems, &ib));
  for (i = 0; i < kItems; ++i) margin[i] = 10.0f + (float)i;
  CHECK_OK(
      aisle_item_feature_store_builder_add_column(ib, "price", margin, kItems, 1767225600000000LL));
  for (i = 0; i < kItems; ++i) margin[i] = (float)i / 10.0f;
  CHECK_OK(aisle_item_feature_store_builder_add_column(ib, "margin", margin, kItems,
                                                       1767225600000000LL));
  CHECK_OK(aisle_item_feature_store_builder_build(ib, &store));

  s = MakeSnapshot("f1", c, ann, price);
  CHECK_OK(aisle_snapshot_set_feature_schema(s, schema));
  CHECK_OK(aisle_snapshot_set_item_features(s, store));
  CHECK_OK(aisle_engine_create(s, &e));
  CHECK_OK(aisle_request_create("home", &r));
  seeds[0] = Id(12);
  CHECK_OK(aisle_request_set_seed_items(r, seeds, 1));
  ExpectServedByPrice(e, r, &requests);
  aisle_request_destroy(r);
  aisle_engine_destroy(e);
  aisle_snapshot_destroy(s);
  aisle_item_feature_store_destroy(store);
  aisle_item_feature_store_builder_destroy(ib);
  aisle_feature_schema_destroy(schema);
  aisle_feature_schema_builder_destroy(sb);
  aisle_model_destroy(price);
  aisle_ann_index_destroy(ann);
  aisle_catalog_destroy(c);
}

/* A surface that isolates its ranker answers as in-line and counts the call. */
static void TestIsolatedRanker(void) {
  aisle_catalog* c = MakeStorefrontCatalog();
  aisle_ann_index* ann = NULL;
  aisle_model* price = NULL;
  aisle_snapshot* s = NULL;
  aisle_pipeline_builder* p = NULL;
  aisle_engine* e = NULL;
  aisle_request* r = NULL;
  aisle_engine_metrics m;
  const char* seeds[1];
  int requests = 0;

  CHECK_OK(aisle_ann_index_build_from_catalog(c, NULL, &ann));
  CHECK_OK(aisle_model_parse(kPriceModel, strlen(kPriceModel), AISLE_MODEL_LINEAR, &price));
  s = MakeSnapshot("iso1", c, ann, price);
  CHECK_OK(aisle_pipeline_builder_create("iso", &p));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 20, 0));
  CHECK_OK(aisle_pipeline_builder_set_ranker(p, "price", NULL));
  CHECK_OK(aisle_pipeline_builder_set_default_k(p, 5));
  CHECK_OK(aisle_pipeline_builder_set_budget(p, 5000000));
  CHECK_OK(aisle_pipeline_builder_isolate_ranker(p, 1));
  CHECK_OK(aisle_snapshot_add_pipeline(s, p));
  CHECK_CODE(aisle_pipeline_builder_isolate_ranker(NULL, 1), AISLE_INVALID_ARGUMENT, "builder");
  aisle_pipeline_builder_destroy(p);
  CHECK_OK(aisle_engine_create(s, &e));
  CHECK_OK(aisle_request_create("iso", &r));
  seeds[0] = Id(12);
  CHECK_OK(aisle_request_set_seed_items(r, seeds, 1));
  ExpectServedByPrice(e, r, &requests);
  memset(&m, 0, sizeof(m));
  m.size = sizeof(m);
  CHECK_OK(aisle_engine_metrics_read(e, &m));
  CHECK(m.isolated_calls == 1 && m.isolated_timeouts == 0 && m.isolated_rejected == 0);
  aisle_engine_destroy(e);
  e = NULL;

  /* Options: an engine that may start no thread refuses the isolating
   * snapshot, naming the surface; one with its own thread count serves it. */
  {
    aisle_engine_options o;
    memset(&o, 0, sizeof(o));
    o.size = sizeof(o);
    o.no_threads = 1;
    CHECK_CODE(aisle_engine_create_with_options(s, &o, &e), AISLE_FAILED_PRECONDITION, "'iso'");
    CHECK(e == NULL);
    o.no_threads = 0;
    o.isolation_threads = 1;
    o.isolation_max_outstanding = 2;
    o.history_length = 3;
    o.publish_every = -1;
    CHECK_OK(aisle_engine_create_with_options(s, &o, &e));
    ExpectServedByPrice(e, r, &requests);
    aisle_engine_destroy(e);
    e = NULL;
    o.publish_every = -2;
    CHECK_CODE(aisle_engine_create_with_options(s, &o, &e), AISLE_INVALID_ARGUMENT,
               "publish_every");
    o.size = 0;
    CHECK_CODE(aisle_engine_create_with_options(s, &o, &e), AISLE_INVALID_ARGUMENT, "size");
    CHECK_CODE(aisle_engine_create_with_options(NULL, NULL, &e), AISLE_INVALID_ARGUMENT,
               "snapshot");
    CHECK_OK(aisle_engine_create_with_options(s, NULL, &e)); /* NULL: defaults */
    aisle_engine_destroy(e);
  }
  aisle_request_destroy(r);
  aisle_snapshot_destroy(s);
  aisle_model_destroy(price);
  aisle_ann_index_destroy(ann);
  aisle_catalog_destroy(c);
}

/* ------------------------------------------------------------------ routing
 * Experiments that change the served ranker, the kill switch, holdouts,
 * rollback, shadow rankers, cold-start tiers and their pipelines, launch
 * boosts and the engine's logs. */

static const char kCheapModel[] =
    "{\"format\": \"aisle.linear\", \"format_version\": 1, \"name\": \"cheap\", \"link\": "
    "\"identity\", \"bias\": 0.0, \"weights\": [{\"feature\": \"ann_score\", \"weight\": 1.0}, "
    "{\"feature\": \"price\", \"weight\": 0.05}]}";

/* Layer "ranking": half of the units on home get the "cheap" ranker. Layer
 * "retrieval": an experiment every unit is held out of (share 1). */
static const char kExperiments[] =
    "{\"layers\": ["
    "{\"key\": \"ranking\", \"salt\": \"ranking-c-test\", \"experiments\": ["
    "{\"key\": \"cheap-ranker\", \"surfaces\": [\"home\"], \"variants\": ["
    "{\"key\": \"control\", \"weight\": 0.5},"
    "{\"key\": \"treatment\", \"weight\": 0.5, \"params\": {\"ranker\": \"cheap\"}}]}]},"
    "{\"key\": \"retrieval\", \"salt\": \"retrieval-c-test\", \"experiments\": ["
    "{\"key\": \"wide-ann\", \"surfaces\": [\"home\"], \"variants\": ["
    "{\"key\": \"control\", \"weight\": 0.5},"
    "{\"key\": \"wide\", \"weight\": 0.5, \"params\": {\"source.ann.quota\": \"25\"}}]}]}],"
    "\"holdouts\": [{\"key\": \"retrieval-holdout\", \"salt\": \"retrieval-holdout-salt\", "
    "\"share\": 1.0, \"layers\": [\"retrieval\"]}]}";

/* The index of `layer` among the response's assignments, or -1. */
static int Assignment(const aisle_response* resp, const char* layer, const char** variant,
                      uint8_t* in_experiment) {
  size_t n = 0, i;
  CHECK_OK(aisle_response_experiment_count(resp, &n));
  for (i = 0; i < n; ++i) {
    const char* l = NULL;
    CHECK_OK(aisle_response_experiment(resp, i, &l, NULL, variant, in_experiment));
    if (strcmp(l, layer) == 0) return (int)i;
  }
  return -1;
}

/* Serves home with seed sku-3 for user `unit`. */
static aisle_response* ServeUnit(aisle_engine* e, aisle_request* r, const char* unit,
                                 int* requests) {
  const char* seeds[1];
  seeds[0] = Id(3);
  CHECK_OK(aisle_request_set_surface(r, "home"));
  CHECK_OK(aisle_request_set_user_id(r, unit));
  CHECK_OK(aisle_request_set_seed_items(r, seeds, 1));
  return Recommend(e, r, requests);
}

/* A unit in `variant` of layer "ranking" (into buf), among unit-0..unit-399. */
static int FindUnit(aisle_engine* e, aisle_request* r, const char* variant, char* buf, size_t cap,
                    int* requests) {
  int u;
  for (u = 0; u < 400; ++u) {
    const char* v = NULL;
    uint8_t in = 0;
    int found = 0;
    aisle_response* resp;
    snprintf(buf, cap, "unit-%d", u);
    resp = ServeUnit(e, r, buf, requests);
    if (resp == NULL) return 0;
    found = Assignment(resp, "ranking", &v, &in) >= 0 && in == 1 && strcmp(v, variant) == 0;
    aisle_response_destroy(resp);
    if (found) return 1;
  }
  return 0;
}

static int StartsWith(const char* s, const char* prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void ExpectRanker(const aisle_response* resp, const char* prefix) {
  const char* str = NULL;
  CHECK_OK(aisle_response_ranker_version(resp, &str));
  CHECK(StartsWith(str, prefix));
}

/* A copy of a log (JSON) into a static buffer. */
static const char* LogJson(int32_t (*fn)(const aisle_engine*, char*, size_t, size_t*),
                           const aisle_engine* e) {
  static char buf[8192];
  size_t n = 0;
  CHECK_OK(fn(e, buf, sizeof(buf), &n));
  CHECK(n < sizeof(buf) && strlen(buf) == n);
  return buf;
}

static void SleepMillis(long ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

static void TestRouting(void) {
  aisle_catalog* c = MakeStorefrontCatalog();
  aisle_ann_index* ann = NULL;
  aisle_model* price = NULL;
  aisle_model* cheap = NULL;
  aisle_snapshot* s1 = NULL;
  aisle_snapshot* s2 = NULL;
  aisle_pipeline_builder* p = NULL;
  aisle_engine* e = NULL;
  aisle_engine* bare = NULL;
  aisle_request* r = NULL;
  aisle_response* resp = NULL;
  aisle_shadow_result* sr = (aisle_shadow_result*)&c; /* garbage: must be reset */
  aisle_engine_options o;
  aisle_engine_metrics m;
  char treated[32], control[32], buf[64];
  const char* str = NULL;
  const char* key = NULL;
  const char* value = NULL;
  const char* v = NULL;
  uint8_t in = 0, forced = 9, holdout = 9, killed = 9;
  size_t n = 0, i;
  int32_t tier = -1;
  int requests = 0, at;
  const char* bad_experiments =
      "{\"layers\": [{\"key\": \"l\", \"experiments\": [{\"key\": \"x\", \"coverage\": 2, "
      "\"variants\": [{\"key\": \"a\"}]}]}]}";
  const char* segmenter = "{\"num_segments\": 4, \"keys\": [\"geo\"]}";
  const char* bad_segmenter =
      "{\"num_segments\": 4, \"rules\": [{\"match\": {\"geo\": \"DE\"}, \"segment\": 9}]}";

  CHECK_OK(aisle_ann_index_build_from_catalog(c, NULL, &ann));
  CHECK_OK(aisle_model_parse(kPriceModel, strlen(kPriceModel), AISLE_MODEL_LINEAR, &price));
  CHECK_OK(aisle_model_parse(kCheapModel, strlen(kCheapModel), AISLE_MODEL_LINEAR, &cheap));

  /* r1: home's ranker is "price"; the experiments put "cheap" on half the units. */
  s1 = MakeSnapshot("r1", c, ann, price);
  CHECK_OK(aisle_snapshot_add_model(s1, "cheap", cheap));
  CHECK_OK(aisle_snapshot_set_experiments_json(s1, kExperiments, strlen(kExperiments)));
  CHECK_OK(aisle_snapshot_set_segmenter_json(s1, segmenter, strlen(segmenter)));
  /* errors name the JSON path; the snapshot keeps what it had */
  CHECK_CODE(aisle_snapshot_set_experiments_json(s1, bad_experiments, strlen(bad_experiments)),
             AISLE_INVALID_ARGUMENT, "layers[0].experiments[0].coverage");
  str = "{\"layers\": [";
  CHECK_CODE(aisle_snapshot_set_experiments_json(s1, str, strlen(str)), AISLE_INVALID_ARGUMENT,
             "aisle_snapshot_set_experiments_json: ");
  str = "{\"layers\": [], \"version\": 7}";
  CHECK_CODE(aisle_snapshot_set_experiments_json(s1, str, strlen(str)), AISLE_UNIMPLEMENTED,
             "version");
  CHECK_CODE(aisle_snapshot_set_experiments_json(s1, NULL, 4), AISLE_INVALID_ARGUMENT,
             "json is NULL");
  CHECK_CODE(
      aisle_snapshot_set_experiments_json(s1, kExperiments, (size_t)AISLE_MAX_CONFIG_BYTES + 1),
      AISLE_INVALID_ARGUMENT,
      "aisle_snapshot_set_experiments_json: len = 16777217 is outside [0, 16777216]");
  CHECK_CODE(aisle_snapshot_set_experiments_json(NULL, kExperiments, strlen(kExperiments)),
             AISLE_INVALID_ARGUMENT, "snapshot");
  CHECK_CODE(aisle_snapshot_set_segmenter_json(s1, bad_segmenter, strlen(bad_segmenter)),
             AISLE_INVALID_ARGUMENT, "rules[0].segment");
  CHECK_CODE(aisle_snapshot_set_segmenter_json(s1, "{", 1), AISLE_INVALID_ARGUMENT,
             "context segmenter");
  CHECK_CODE(aisle_snapshot_set_segmenter_json(s1, NULL, 2), AISLE_INVALID_ARGUMENT,
             "json is NULL");
  CHECK_CODE(aisle_snapshot_set_segmenter_json(s1, segmenter, (size_t)-1), AISLE_INVALID_ARGUMENT,
             "len = 18446744073709551615 is outside [0, 16777216]");
  CHECK_CODE(aisle_snapshot_set_segmenter_json(NULL, segmenter, 2), AISLE_INVALID_ARGUMENT,
             "snapshot");

  /* Options: shadow threads are range-checked, and the outstanding bound
   * must cover the threads. */
  memset(&o, 0, sizeof(o));
  o.size = sizeof(o);
  o.shadow_threads = 300;
  CHECK_CODE(aisle_engine_create_with_options(s1, &o, &e), AISLE_INVALID_ARGUMENT,
             "aisle_engine_options.shadow_threads = 300 is outside [0, 256]");
  o.shadow_threads = 0;
  o.shadow_max_outstanding = 70000;
  CHECK_CODE(aisle_engine_create_with_options(s1, &o, &e), AISLE_INVALID_ARGUMENT,
             "aisle_engine_options.shadow_max_outstanding = 70000 is outside [0, 65536]");
  o.shadow_threads = 4;
  o.shadow_max_outstanding = 2;
  CHECK_CODE(aisle_engine_create_with_options(s1, &o, &e), AISLE_INVALID_ARGUMENT, "shadow");
  CHECK(e == NULL);
  o.shadow_threads = 1;
  o.shadow_max_outstanding = 4;
  CHECK_OK(aisle_engine_create_with_options(s1, &o, &e));
  CHECK_OK(aisle_request_create("home", &r));

  /* No swap yet: nothing to roll back to. */
  CHECK_CODE(aisle_engine_rollback(e, "nothing to undo", "test"), AISLE_FAILED_PRECONDITION,
             "no previous snapshot");

  /* A unit in each arm: the treatment is ranked by "cheap", control by "price". */
  CHECK(FindUnit(e, r, "treatment", treated, sizeof(treated), &requests));
  CHECK(FindUnit(e, r, "control", control, sizeof(control), &requests));
  resp = ServeUnit(e, r, treated, &requests);
  if (resp != NULL) {
    ExpectRanker(resp, "linear:cheap:");
    at = Assignment(resp, "ranking", &v, &in);
    CHECK(at >= 0 && strcmp(v, "treatment") == 0 && in == 1);
    CHECK_OK(aisle_response_experiment_flags(resp, (size_t)at, &forced, &holdout, &killed));
    CHECK(forced == 0 && holdout == 0 && killed == 0);
    /* every unit is held out of the retrieval layer's experiment */
    at = Assignment(resp, "retrieval", &v, &in);
    CHECK(at >= 0 && strcmp(v, "control") == 0 && in == 0);
    CHECK_OK(aisle_response_experiment_flags(resp, (size_t)at, &forced, &holdout, &killed));
    CHECK(forced == 0 && holdout == 1 && killed == 0);
    CHECK_OK(aisle_response_experiment_flags(resp, (size_t)at, NULL, NULL, NULL));
    holdout = 0;
    CHECK_OK(aisle_response_holdout(resp, &holdout));
    CHECK(holdout == 1);
    /* the treatment's parameters, as written in the JSON */
    CHECK_OK(aisle_response_param_count(resp, &n));
    CHECK(n == 1);
    CHECK_OK(aisle_response_param(resp, 0, &key, &value));
    CHECK(strcmp(key, "ranker") == 0 && strcmp(value, "cheap") == 0);
    CHECK_OK(aisle_response_param(resp, 0, NULL, NULL));
    CHECK_CODE(aisle_response_param(resp, 1, &key, &value), AISLE_OUT_OF_RANGE, "parameter 1");
    CHECK_CODE(aisle_response_param(NULL, 0, &key, &value), AISLE_INVALID_ARGUMENT, "response");
    /* route fields: served by home itself; the unit has no history */
    CHECK_OK(aisle_response_pipeline(resp, &str));
    CHECK(strcmp(str, "home") == 0);
    CHECK_OK(aisle_response_tier(resp, &tier));
    CHECK(tier == AISLE_TIER_ANONYMOUS);
    CHECK_OK(aisle_response_tier_reason(resp, &str));
    CHECK(strcmp(str, "no history") == 0);
    CHECK_OK(aisle_response_shadow_count(resp, &n));
    CHECK(n == 0);
    CHECK_CODE(aisle_response_shadow_ranker(resp, 0, &str), AISLE_OUT_OF_RANGE, "shadow ranker 0");
    CHECK_CODE(aisle_response_experiment_flags(resp, 9, &forced, NULL, NULL), AISLE_OUT_OF_RANGE,
               "experiment 9");
    CHECK_CODE(aisle_response_experiment_flags(NULL, 0, NULL, NULL, NULL), AISLE_INVALID_ARGUMENT,
               "response");
    CHECK_CODE(aisle_response_holdout(resp, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_holdout(NULL, &holdout), AISLE_INVALID_ARGUMENT, "response");
    CHECK_CODE(aisle_response_pipeline(resp, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_pipeline(NULL, &str), AISLE_INVALID_ARGUMENT, "response");
    CHECK_CODE(aisle_response_tier_reason(resp, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_tier_reason(NULL, &str), AISLE_INVALID_ARGUMENT, "response");
    CHECK_CODE(aisle_response_param_count(NULL, &n), AISLE_INVALID_ARGUMENT, "response");
    CHECK_CODE(aisle_response_param_count(resp, NULL), AISLE_INVALID_ARGUMENT, "out");
    CHECK_CODE(aisle_response_shadow_count(NULL, &n), AISLE_INVALID_ARGUMENT, "response");
    CHECK_CODE(aisle_response_shadow_ranker(resp, 0, NULL), AISLE_INVALID_ARGUMENT, "out");
  }
  aisle_response_destroy(resp);
  resp = ServeUnit(e, r, control, &requests);
  if (resp != NULL) {
    ExpectRanker(resp, "linear:price:");
    CHECK_OK(aisle_response_param_count(resp, &n));
    CHECK(n == 0); /* control has no parameters; the held-out layer gives none */
  }
  aisle_response_destroy(resp);

  /* The kill switch sends the treated unit back to control. */
  CHECK_CODE(aisle_engine_kill_experiment(e, "no-such-experiment", "typo", "test"), AISLE_NOT_FOUND,
             "no-such-experiment");
  CHECK_CODE(aisle_engine_kill_experiment(e, NULL, "r", "a"), AISLE_INVALID_ARGUMENT, "experiment");
  CHECK_CODE(aisle_engine_kill_experiment(e, "cheap-ranker", NULL, "a"), AISLE_INVALID_ARGUMENT,
             "reason");
  CHECK_CODE(aisle_engine_kill_experiment(e, "cheap-ranker", "r", ""), AISLE_INVALID_ARGUMENT,
             "aisle_engine_kill_experiment: actor: id is empty");
  CHECK_CODE(aisle_engine_kill_experiment(NULL, "cheap-ranker", "r", "a"), AISLE_INVALID_ARGUMENT,
             "engine");
  CHECK_CODE(aisle_engine_revive_experiment(e, "cheap-ranker", "r\x01", "a"),
             AISLE_INVALID_ARGUMENT, "aisle_engine_revive_experiment: reason");
  CHECK_CODE(aisle_engine_revive_experiment(NULL, "cheap-ranker", "r", "a"), AISLE_INVALID_ARGUMENT,
             "engine");
  CHECK(strcmp(LogJson(aisle_engine_experiment_audit_json, e), "[]") == 0);
  CHECK_OK(aisle_engine_kill_experiment(e, "cheap-ranker", "CTR -30% on home", "oncall \"ana\""));
  resp = ServeUnit(e, r, treated, &requests);
  if (resp != NULL) {
    ExpectRanker(resp, "linear:price:");
    at = Assignment(resp, "ranking", &v, &in);
    CHECK(at >= 0 && strcmp(v, "control") == 0 && in == 0);
    CHECK_OK(aisle_response_experiment_flags(resp, (size_t)at, &forced, &holdout, &killed));
    CHECK(forced == 0 && holdout == 0 && killed == 1);
    CHECK_OK(aisle_response_param_count(resp, &n));
    CHECK(n == 0);
  }
  aisle_response_destroy(resp);
  str = LogJson(aisle_engine_killed_experiments_json, e);
  CHECK(StartsWith(str, "[{\"experiment\": \"cheap-ranker\", \"since_micros\": "));
  CHECK(strstr(str, "\"reason\": \"CTR -30% on home\", \"actor\": \"oncall \\\"ana\\\"\"}]") !=
        NULL);
  str = LogJson(aisle_engine_experiment_audit_json, e);
  CHECK(StartsWith(str, "[{\"at_micros\": "));
  CHECK(strstr(str, "\"action\": \"kill\", \"experiment\": \"cheap-ranker\"") != NULL);
  CHECK(strstr(str, "Z\", \"action\"") != NULL); /* RFC 3339, UTC */
  CHECK(strstr(str, "\"changed\": true}]") != NULL);
  CHECK_OK(aisle_engine_revive_experiment(e, "cheap-ranker", "fixed", "test"));
  CHECK_OK(aisle_engine_revive_experiment(e, "cheap-ranker", "again", "test"));
  str = LogJson(aisle_engine_experiment_audit_json, e);
  CHECK(strstr(str,
               "\"action\": \"revive\", \"experiment\": \"cheap-ranker\", \"reason\": "
               "\"fixed\", \"actor\": \"test\", \"changed\": true}") != NULL);
  CHECK(strstr(str, "\"reason\": \"again\", \"actor\": \"test\", \"changed\": false}]") != NULL);
  CHECK(strcmp(LogJson(aisle_engine_killed_experiments_json, e), "[]") == 0);
  resp = ServeUnit(e, r, treated, &requests);
  if (resp != NULL) ExpectRanker(resp, "linear:cheap:");
  aisle_response_destroy(resp);
  {
    /* a short buffer gets a NUL-terminated prefix and the full length */
    char small[8];
    size_t full = 0;
    CHECK_OK(aisle_engine_experiment_audit_json(e, NULL, 0, &full));
    CHECK(full > sizeof(small));
    CHECK_OK(aisle_engine_experiment_audit_json(e, small, sizeof(small), &n));
    CHECK(n == full && strcmp(small, "[{\"at_m") == 0);
    CHECK_CODE(aisle_engine_experiment_audit_json(e, NULL, 4, &n), AISLE_INVALID_ARGUMENT, "buf");
    CHECK_CODE(aisle_engine_experiment_audit_json(e, small, 8, NULL), AISLE_INVALID_ARGUMENT,
               "out_len");
    CHECK_CODE(aisle_engine_experiment_audit_json(NULL, small, 8, &n), AISLE_INVALID_ARGUMENT,
               "engine");
    CHECK_CODE(aisle_engine_killed_experiments_json(e, NULL, 4, &n), AISLE_INVALID_ARGUMENT, "buf");
    CHECK_CODE(aisle_engine_killed_experiments_json(NULL, small, 8, &n), AISLE_INVALID_ARGUMENT,
               "engine");
    CHECK_CODE(aisle_engine_snapshot_log_json(e, small, 8, NULL), AISLE_INVALID_ARGUMENT,
               "out_len");
    CHECK_CODE(aisle_engine_snapshot_log_json(NULL, small, 8, &n), AISLE_INVALID_ARGUMENT,
               "engine");
  }

  /* r2: a surface with a shadow ranker, a tiered surface, a launch boost. */
  s2 = MakeSnapshot("r2", c, ann, price);
  CHECK_OK(aisle_snapshot_add_model(s2, "cheap", cheap));
  CHECK_OK(aisle_snapshot_set_experiments_json(s2, kExperiments, strlen(kExperiments)));
  CHECK_OK(aisle_pipeline_builder_create("shadowed", &p));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 20, 0));
  CHECK_OK(aisle_pipeline_builder_set_ranker(p, "price", NULL));
  CHECK_OK(aisle_pipeline_builder_add_shadow(p, "cheap"));
  CHECK_OK(aisle_pipeline_builder_set_default_k(p, 5));
  CHECK_OK(aisle_pipeline_builder_set_budget(p, 5000000));
  CHECK_OK(aisle_snapshot_add_pipeline(s2, p));
  aisle_pipeline_builder_destroy(p);
  CHECK_OK(aisle_pipeline_builder_create("browse", &p));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "popular", AISLE_SOURCE_POPULAR, 20, 0));
  CHECK_OK(aisle_pipeline_builder_set_default_k(p, 5));
  CHECK_OK(aisle_pipeline_builder_set_budget(p, 5000000));
  CHECK_OK(aisle_snapshot_add_pipeline(s2, p));
  aisle_pipeline_builder_destroy(p);
  CHECK_OK(aisle_pipeline_builder_create("tiered", &p));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 20, 0));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "popular", AISLE_SOURCE_POPULAR, 20, 0));
  CHECK_OK(aisle_pipeline_builder_set_ranker(p, "price", NULL));
  CHECK_OK(aisle_pipeline_builder_set_cold_start(p, 3));
  CHECK_OK(aisle_pipeline_builder_set_tier_pipeline(p, AISLE_TIER_ANONYMOUS, "browse"));
  CHECK_OK(aisle_pipeline_builder_set_tier_pipeline(p, AISLE_TIER_KNOWN, ""));
  CHECK_OK(aisle_pipeline_builder_set_default_k(p, 5));
  CHECK_OK(aisle_pipeline_builder_set_budget(p, 5000000));
  CHECK_OK(aisle_snapshot_add_pipeline(s2, p));
  aisle_pipeline_builder_destroy(p);
  /* "boosted" is home with a launch boost of 5 over 1000 years: every item
   * (all launched 2025-01-01) gets the same ~5, so the order is home's. */
  CHECK_OK(aisle_pipeline_builder_create("boosted", &p));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 20, 0));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "covis", AISLE_SOURCE_COVISITATION, 10, 0));
  CHECK_OK(aisle_pipeline_builder_add_source(p, "popular", AISLE_SOURCE_POPULAR, 10, 0));
  CHECK_OK(aisle_pipeline_builder_set_max_candidates(p, 30));
  CHECK_OK(aisle_pipeline_builder_set_ranker(p, "price", NULL));
  CHECK_OK(aisle_pipeline_builder_set_launch_boost(p, 1000LL * 365 * 86400 * 1000000, 5.0f,
                                                   AISLE_LAUNCH_BOOST_ADD));
  CHECK_OK(aisle_pipeline_builder_set_default_k(p, 5));
  CHECK_OK(aisle_pipeline_builder_set_budget(p, 5000000));
  CHECK_OK(aisle_snapshot_add_pipeline(s2, p));
  /* setter errors */
  CHECK_CODE(aisle_pipeline_builder_set_launch_boost(p, 0, 0.1f, AISLE_LAUNCH_BOOST_ADD),
             AISLE_INVALID_ARGUMENT,
             "aisle_pipeline_builder_set_launch_boost: window_micros = 0 is outside "
             "[1, 9223372036854775807]");
  CHECK_CODE(aisle_pipeline_builder_set_launch_boost(p, 1, -0.5f, AISLE_LAUNCH_BOOST_ADD),
             AISLE_INVALID_ARGUMENT, "boost = -0.5");
  CHECK_CODE(aisle_pipeline_builder_set_launch_boost(p, 1, NAN, AISLE_LAUNCH_BOOST_MULTIPLY),
             AISLE_INVALID_ARGUMENT, "boost");
  CHECK_CODE(aisle_pipeline_builder_set_launch_boost(p, 1, 0.1f, 2), AISLE_INVALID_ARGUMENT,
             "aisle_pipeline_builder_set_launch_boost: mode = 2 is outside [0, 1]");
  CHECK_CODE(aisle_pipeline_builder_set_launch_boost(NULL, 1, 0.1f, 0), AISLE_INVALID_ARGUMENT,
             "builder");
  CHECK_CODE(aisle_pipeline_builder_add_shadow(p, NULL), AISLE_INVALID_ARGUMENT, "ranker");
  CHECK_CODE(aisle_pipeline_builder_add_shadow(p, ""), AISLE_INVALID_ARGUMENT,
             "aisle_pipeline_builder_add_shadow: ranker: id is empty");
  CHECK_CODE(aisle_pipeline_builder_add_shadow(NULL, "cheap"), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_pipeline_builder_set_cold_start(p, 0), AISLE_INVALID_ARGUMENT,
             "aisle_pipeline_builder_set_cold_start: known_min_interactions = 0 is outside "
             "[1, 4294967295]");
  CHECK_CODE(aisle_pipeline_builder_set_cold_start(NULL, 3), AISLE_INVALID_ARGUMENT, "builder");
  CHECK_CODE(aisle_pipeline_builder_set_tier_pipeline(p, 3, "browse"), AISLE_INVALID_ARGUMENT,
             "aisle_pipeline_builder_set_tier_pipeline: tier = 3 is outside [0, 2]");
  CHECK_CODE(aisle_pipeline_builder_set_tier_pipeline(p, -1, "browse"), AISLE_INVALID_ARGUMENT,
             "tier = -1");
  CHECK_CODE(aisle_pipeline_builder_set_tier_pipeline(p, AISLE_TIER_KNOWN, NULL),
             AISLE_INVALID_ARGUMENT, "surface");
  CHECK_CODE(aisle_pipeline_builder_set_tier_pipeline(p, AISLE_TIER_KNOWN, "a\tb"),
             AISLE_INVALID_ARGUMENT, "control character");
  CHECK_CODE(aisle_pipeline_builder_set_tier_pipeline(NULL, 0, "browse"), AISLE_INVALID_ARGUMENT,
             "builder");
  aisle_pipeline_builder_destroy(p);

  /* An engine that may start no thread refuses the shadowed snapshot. */
  memset(&o, 0, sizeof(o));
  o.size = sizeof(o);
  o.no_threads = 1;
  CHECK_CODE(aisle_engine_create_with_options(s2, &o, &bare), AISLE_FAILED_PRECONDITION, "shadow");
  CHECK(bare == NULL);

  CHECK_OK(aisle_engine_swap(e, s2));
  CHECK_OK(aisle_engine_snapshot_version(e, buf, sizeof(buf), &n));
  CHECK(strcmp(buf, "r2") == 0);

  /* A shadow scores the served candidates; its result carries the request id. */
  {
    const char* seeds[1];
    const char* served = NULL;
    const float* scores = NULL;
    int32_t code = -1;
    int64_t us = -1;
    int tries;
    seeds[0] = Id(3);
    CHECK_OK(aisle_request_set_surface(r, "shadowed"));
    CHECK_OK(aisle_request_set_seed_items(r, seeds, 1));
    CHECK_OK(aisle_request_set_request_id(r, "req-shadow-1"));
    resp = Recommend(e, r, &requests);
    if (resp != NULL) {
      ExpectRanker(resp, "linear:price:");
      CHECK_OK(aisle_response_shadow_count(resp, &n));
      CHECK(n == 1);
      CHECK_OK(aisle_response_shadow_ranker(resp, 0, &served));
      CHECK(strncmp(served, "linear:cheap:", 13) == 0);
    }
    CHECK_CODE(aisle_engine_next_shadow_result(NULL, &sr), AISLE_INVALID_ARGUMENT, "engine");
    CHECK(sr == NULL);
    CHECK_CODE(aisle_engine_next_shadow_result(e, NULL), AISLE_INVALID_ARGUMENT, "out");
    for (tries = 0; tries < 500 && sr == NULL; ++tries) {
      CHECK_OK(aisle_engine_next_shadow_result(e, &sr));
      if (sr == NULL) SleepMillis(10);
    }
    CHECK(sr != NULL);
    if (sr != NULL) {
      CHECK_OK(aisle_shadow_result_request_id(sr, &str));
      CHECK(strcmp(str, "req-shadow-1") == 0);
      CHECK_OK(aisle_shadow_result_surface(sr, &str));
      CHECK(strcmp(str, "shadowed") == 0);
      CHECK_OK(aisle_shadow_result_ranker(sr, &str));
      CHECK(served != NULL && strcmp(str, served) == 0);
      CHECK_OK(aisle_shadow_result_status(sr, &code, &str));
      CHECK(code == AISLE_OK && strcmp(str, "") == 0);
      CHECK_OK(aisle_shadow_result_status(sr, NULL, NULL));
      CHECK_OK(aisle_shadow_result_latency_micros(sr, &us));
      CHECK(us >= 0);
      CHECK_OK(aisle_shadow_result_item_count(sr, &n));
      CHECK(n >= 5);
      CHECK_OK(aisle_shadow_result_scores(sr, &scores, &i));
      CHECK(i == n);
      for (i = 0; i < n; ++i) {
        uint32_t index = AISLE_INVALID_ITEM;
        CHECK_OK(aisle_shadow_result_item_id(sr, i, &str));
        CHECK_OK(aisle_catalog_find(c, str, &index));
        CHECK(index != 3 && isfinite(scores[i]));
        /* cheap: 1 * ann_score + 0.05 * price, and the price is 10 + index */
        CHECK(scores[i] >= 0.05f * (10.0f + (float)index) - 1.01f);
      }
      CHECK_CODE(aisle_shadow_result_item_id(sr, n, &str), AISLE_OUT_OF_RANGE, "item");
      CHECK_CODE(aisle_shadow_result_item_id(sr, 0, NULL), AISLE_INVALID_ARGUMENT, "out");
      CHECK_CODE(aisle_shadow_result_scores(sr, &scores, NULL), AISLE_INVALID_ARGUMENT,
                 "out_count");
      CHECK_CODE(aisle_shadow_result_scores(NULL, &scores, &n), AISLE_INVALID_ARGUMENT, "result");
      CHECK_CODE(aisle_shadow_result_request_id(NULL, &str), AISLE_INVALID_ARGUMENT, "result");
      CHECK_CODE(aisle_shadow_result_surface(sr, NULL), AISLE_INVALID_ARGUMENT, "out");
      CHECK_CODE(aisle_shadow_result_ranker(NULL, &str), AISLE_INVALID_ARGUMENT, "result");
      CHECK_CODE(aisle_shadow_result_status(NULL, &code, &str), AISLE_INVALID_ARGUMENT, "result");
      CHECK_CODE(aisle_shadow_result_latency_micros(sr, NULL), AISLE_INVALID_ARGUMENT, "out");
      CHECK_CODE(aisle_shadow_result_item_count(NULL, &n), AISLE_INVALID_ARGUMENT, "result");
    }
    aisle_shadow_result_destroy(sr);
    aisle_shadow_result_destroy(NULL);
    aisle_response_destroy(resp);
    /* nothing left: OK with *out NULL */
    sr = (aisle_shadow_result*)&c;
    CHECK_OK(aisle_engine_next_shadow_result(e, &sr));
    CHECK(sr == NULL);
    CHECK_OK(aisle_request_set_request_id(r, NULL));
  }

  /* Cold-start tiers: anonymous goes to "browse"; 1..2 interactions are
   * few_interactions and 3 make a known user, both served by "tiered". */
  CHECK_OK(aisle_request_set_surface(r, "tiered"));
  CHECK_OK(aisle_request_set_seed_items(r, NULL, 0));
  CHECK_OK(aisle_request_set_user_id(r, "cold-user"));
  resp = Recommend(e, r, &requests);
  if (resp != NULL) {
    CHECK_OK(aisle_response_tier(resp, &tier));
    CHECK(tier == AISLE_TIER_ANONYMOUS);
    CHECK_OK(aisle_response_pipeline(resp, &str));
    CHECK(strcmp(str, "browse") == 0);
    CHECK_OK(aisle_response_tier_reason(resp, &str));
    CHECK(strcmp(str, "no history") == 0);
  }
  aisle_response_destroy(resp);
  CHECK_OK(aisle_engine_apply_interaction(e, "warm-user", NULL, Id(4), AISLE_INTERACTION_VIEW,
                                          AISLE_UNKNOWN_TIME, 0));
  CHECK_OK(aisle_request_set_user_id(r, "warm-user"));
  resp = Recommend(e, r, &requests);
  if (resp != NULL) {
    CHECK_OK(aisle_response_tier(resp, &tier));
    CHECK(tier == AISLE_TIER_FEW_INTERACTIONS);
    CHECK_OK(aisle_response_pipeline(resp, &str));
    CHECK(strcmp(str, "tiered") == 0);
    CHECK_OK(aisle_response_tier_reason(resp, &str));
    CHECK(strcmp(str, "user has 1 interaction") == 0);
  }
  aisle_response_destroy(resp);
  CHECK_OK(aisle_engine_apply_interaction(e, "warm-user", NULL, Id(5), AISLE_INTERACTION_VIEW,
                                          AISLE_UNKNOWN_TIME, 0));
  CHECK_OK(aisle_engine_apply_interaction(e, "warm-user", NULL, Id(6), AISLE_INTERACTION_CLICK,
                                          AISLE_UNKNOWN_TIME, 0));
  resp = Recommend(e, r, &requests);
  if (resp != NULL) {
    CHECK_OK(aisle_response_tier(resp, &tier));
    CHECK(tier == AISLE_TIER_KNOWN);
    CHECK_OK(aisle_response_tier_reason(resp, &str));
    CHECK(strcmp(str, "user has 3 interactions") == 0);
    CHECK_OK(aisle_response_pipeline(resp, &str));
    CHECK(strcmp(str, "tiered") == 0);
  }
  aisle_response_destroy(resp);

  /* The launch boost adds the same ~5 to every item: same order as home. */
  {
    const char* seeds[1];
    const float* plain = NULL;
    const float* lifted = NULL;
    size_t np = 0, nb = 0;
    aisle_response* boosted = NULL;
    seeds[0] = Id(3);
    CHECK_OK(aisle_request_set_user_id(r, NULL));
    CHECK_OK(aisle_request_set_seed_items(r, seeds, 1));
    CHECK_OK(aisle_request_set_surface(r, "home"));
    resp = Recommend(e, r, &requests);
    CHECK_OK(aisle_request_set_surface(r, "boosted"));
    boosted = Recommend(e, r, &requests);
    if (resp != NULL && boosted != NULL) {
      const char* a = NULL;
      const char* b = NULL;
      CHECK_OK(aisle_response_scores(resp, &plain, &np));
      CHECK_OK(aisle_response_scores(boosted, &lifted, &nb));
      CHECK(np == 5 && nb == 5);
      for (i = 0; i < np && i < nb; ++i) {
        CHECK_OK(aisle_response_item_id(resp, i, &a));
        CHECK_OK(aisle_response_item_id(boosted, i, &b));
        CHECK(strcmp(a, b) == 0);
        CHECK(lifted[i] - plain[i] > 4.9f && lifted[i] - plain[i] <= 5.0f);
      }
    }
    aisle_response_destroy(boosted);
    aisle_response_destroy(resp);
  }

  /* Rollback serves r1 again; a second one undoes it. */
  CHECK_CODE(aisle_engine_rollback(e, NULL, "test"), AISLE_INVALID_ARGUMENT, "reason is NULL");
  CHECK_CODE(aisle_engine_rollback(e, "", "test"), AISLE_INVALID_ARGUMENT,
             "aisle_engine_rollback: reason: id is empty");
  CHECK_CODE(aisle_engine_rollback(e, "bad", "te\x7fst"), AISLE_INVALID_ARGUMENT,
             "aisle_engine_rollback: actor");
  CHECK_CODE(aisle_engine_rollback(NULL, "bad", "test"), AISLE_INVALID_ARGUMENT, "engine");
  CHECK_OK(aisle_engine_rollback(e, "r2 breaks the shadowed rail", "test"));
  CHECK_OK(aisle_engine_snapshot_version(e, buf, sizeof(buf), &n));
  CHECK(strcmp(buf, "r1") == 0);
  resp = ServeUnit(e, r, treated, &requests);
  if (resp != NULL) {
    CHECK_OK(aisle_response_snapshot_version(resp, &str));
    CHECK(strcmp(str, "r1") == 0);
    ExpectRanker(resp, "linear:cheap:");
  }
  aisle_response_destroy(resp);
  CHECK_OK(aisle_request_set_surface(r, "shadowed")); /* not a surface of r1 */
  CHECK_CODE(aisle_engine_recommend(e, r, &resp), AISLE_NOT_FOUND, "shadowed");
  ++requests;
  str = LogJson(aisle_engine_snapshot_log_json, e);
  CHECK(StartsWith(str, "[{\"at_micros\": "));
  CHECK(strstr(str,
               "\"from_version\": \"r1\", \"to_version\": \"r2\", \"rollback\": false, "
               "\"reason\": \"\", \"actor\": \"\"}, {") != NULL);
  CHECK(strstr(str,
               "\"from_version\": \"r2\", \"to_version\": \"r1\", \"rollback\": true, "
               "\"reason\": \"r2 breaks the shadowed rail\", \"actor\": \"test\"}]") != NULL);
  CHECK_OK(aisle_engine_rollback(e, "undo", NULL));
  CHECK_OK(aisle_engine_snapshot_version(e, buf, sizeof(buf), &n));
  CHECK(strcmp(buf, "r2") == 0);
  str = LogJson(aisle_engine_snapshot_log_json, e);
  CHECK(strstr(str,
               "\"to_version\": \"r2\", \"rollback\": true, \"reason\": \"undo\", "
               "\"actor\": \"\"}]") != NULL);

  /* Metrics of all this. */
  memset(&m, 0, sizeof(m));
  m.size = sizeof(m);
  CHECK_OK(aisle_engine_metrics_read(e, &m));
  CHECK(m.requests == (uint64_t)requests);
  CHECK(m.rollbacks == 2 && m.swaps == 2);
  CHECK(m.served_by_tier[AISLE_TIER_ANONYMOUS] >= 1);
  CHECK(m.served_by_tier[AISLE_TIER_FEW_INTERACTIONS] == 1);
  CHECK(m.served_by_tier[AISLE_TIER_KNOWN] == 1);
  CHECK(m.served_by_tier[3] == 0);
  CHECK(m.stage_runs[AISLE_STAGE_RETRIEVE] >= 1 && m.stage_runs[AISLE_STAGE_RANK] >= 1);
  CHECK(m.stage_runs[AISLE_STAGE_POST] == m.stage_runs[AISLE_STAGE_RULES] +
                                              m.stage_runs[AISLE_STAGE_DIVERSIFY] +
                                              m.stage_runs[AISLE_STAGE_EXPLORE]);
  CHECK(m.stage_micros[AISLE_STAGE_POST] == m.stage_micros[AISLE_STAGE_RULES] +
                                                m.stage_micros[AISLE_STAGE_DIVERSIFY] +
                                                m.stage_micros[AISLE_STAGE_EXPLORE]);
  CHECK(m.stage_runs[AISLE_STAGE_TOTAL] == 0 && m.stage_micros[AISLE_STAGE_TOTAL] == 0);
  CHECK(m.stage_failures[AISLE_STAGE_TOTAL] == 0);
  for (i = AISLE_STAGE_RESPOND + 1; i < 16; ++i) {
    CHECK(m.stage_runs[i] == 0 && m.stage_micros[i] == 0 && m.stage_failures[i] == 0);
  }
  CHECK(m.holdout_requests >= 3);
  CHECK(m.killed_assignments == 1);
  CHECK(m.shadow_calls == 1 && m.shadow_failed == 0 && m.shadow_skipped == 0);
  CHECK(m.shadow_dropped == 0);
  /* a caller built before these fields gets the old ones only */
  memset(&m, 0, sizeof(m));
  m.size = offsetof(aisle_engine_metrics, rollbacks);
  CHECK_OK(aisle_engine_metrics_read(e, &m));
  CHECK(m.requests == (uint64_t)requests && m.rollbacks == 0 && m.shadow_calls == 0);

  aisle_request_destroy(r);
  aisle_engine_destroy(e);
  aisle_snapshot_destroy(s2);
  aisle_snapshot_destroy(s1);
  aisle_model_destroy(cheap);
  aisle_model_destroy(price);
  aisle_ann_index_destroy(ann);
  aisle_catalog_destroy(c);
}

/* ------------------------------------------------------------------ boundary
 * Hostile integers and ids: each is refused with AISLE_INVALID_ARGUMENT and a
 * message naming the function, the parameter, the value and the accepted
 * range (or the id and its first bad byte), and the engine built before keeps
 * serving exactly what it served. */

/* What `e` serves for a fixed request on product_page: ids, scores, level. */
static void Answer(aisle_engine* e, aisle_request* r, char* buf, size_t cap) {
  aisle_response* resp = NULL;
  const char* id = NULL;
  const float* scores = NULL;
  size_t n = 0, i, used = 0;
  int32_t level = -1;
  buf[0] = '\0';
  if (aisle_engine_recommend(e, r, &resp) != AISLE_OK) {
    snprintf(buf, cap, "error: %s", aisle_last_error_message());
    return;
  }
  CHECK_OK(aisle_response_scores(resp, &scores, &n));
  for (i = 0; i < n && used < cap; ++i) {
    CHECK_OK(aisle_response_item_id(resp, i, &id));
    used += (size_t)snprintf(buf + used, cap - used, "%s:%.9g,", id, scores[i]);
  }
  CHECK_OK(aisle_response_fallback_level(resp, &level));
  if (used < cap) snprintf(buf + used, cap - used, "|%d", (int)level);
  aisle_response_destroy(resp);
}

static void ExpectSameAnswer(aisle_engine* e, aisle_request* r, const char* before, int line) {
  char now[1024];
  Answer(e, r, now, sizeof(now));
  ++checks;
  if (strcmp(now, before) != 0) {
    fprintf(stderr, "%s:%d: the engine now serves '%s', before '%s'\n", __FILE__, line, now,
            before);
    ++failures;
  }
}

/* `expr` is refused as INVALID_ARGUMENT with `needle` in its message, and the
 * engine `e` still serves `before` for request `r`. */
#define CHECK_REFUSED(expr, needle)                   \
  do {                                                \
    CHECK_CODE(expr, AISLE_INVALID_ARGUMENT, needle); \
    ExpectSameAnswer(e, r, before, __LINE__);         \
  } while (0)

static int32_t ZeroScorer(void* user_data, const float* features, size_t rows, size_t cols,
                          float* scores, int64_t remaining_micros) {
  size_t i;
  (void)user_data;
  (void)features;
  (void)cols;
  (void)remaining_micros;
  for (i = 0; i < rows; ++i) scores[i] = 0.0f;
  return AISLE_OK;
}

static void TestBoundary(void) {
  const size_t huge = (size_t)1 << 63; /* a count from a buggy caller: 9223372036854775808 */
  aisle_catalog* c = MakeStorefrontCatalog();
  aisle_ann_index* ann = NULL;
  aisle_model* price = NULL;
  aisle_snapshot* s = NULL;
  aisle_snapshot* s2 = NULL;
  aisle_engine* e = NULL;
  aisle_engine* e2 = (aisle_engine*)&c; /* non-NULL garbage: must be reset */
  aisle_request* r = NULL;
  aisle_pipeline_builder* p = NULL;
  aisle_covisitation* cv = NULL;
  aisle_popularity* pop = NULL;
  aisle_feature_matrix* fm = NULL;
  aisle_item_feature_store_builder* ib = NULL;
  aisle_catalog_builder* cb = NULL;
  aisle_catalog* c2 = NULL;
  aisle_model* m2 = NULL;
  aisle_ann_index* ann2 = NULL;
  aisle_feature_schema_builder* sb = NULL;
  aisle_feature_schema* schema = NULL;
  aisle_online_feature_store* users = NULL;
  const char* seeds[1];
  const char* ids[3];
  const uint32_t items[2] = {0, 1};
  const int64_t times[2] = {1767225600000000LL, 1767225601000000LL};
  const int32_t types[2] = {AISLE_INTERACTION_VIEW, AISLE_INTERACTION_VIEW};
  const float data[4] = {1.0f, 0.0f, 0.0f, 1.0f};
  const float vec[8] = {0};
  uint32_t out_items[4];
  float out_scores[4];
  size_t n = 0;
  uint32_t index = 0;
  char before[1024];

  CHECK_OK(aisle_ann_index_build_from_catalog(c, NULL, &ann));
  CHECK_OK(aisle_model_parse(kPriceModel, strlen(kPriceModel), AISLE_MODEL_LINEAR, &price));
  s = MakeSnapshot("b1", c, ann, price);
  CHECK_OK(aisle_engine_create(s, &e));
  CHECK_OK(aisle_request_create("product_page", &r));
  seeds[0] = Id(12);
  CHECK_OK(aisle_request_set_seed_items(r, seeds, 1));
  CHECK_OK(aisle_request_set_k(r, 5));
  Answer(e, r, before, sizeof(before));
  CHECK(strncmp(before, "sku-", 4) == 0 && strstr(before, "|0") != NULL);
  CHECK_OK(aisle_snapshot_create("b2", &s2));
  CHECK_OK(aisle_pipeline_builder_create("boundary", &p));

  /* Huge counts fail before anything is read or allocated. */
  CHECK_REFUSED(aisle_request_set_seed_items(r, seeds, huge),
                "aisle_request_set_seed_items: count = 9223372036854775808 is outside "
                "[0, 268435456]");
  CHECK_REFUSED(aisle_request_set_cart_items(r, seeds, (size_t)-1),
                "aisle_request_set_cart_items: count = 18446744073709551615 is outside "
                "[0, 268435456]");
  CHECK_REFUSED(aisle_request_set_user_vector(r, vec, huge),
                "aisle_request_set_user_vector: count = 9223372036854775808 is outside "
                "[0, 65536]");
  CHECK_REFUSED(aisle_snapshot_add_campaign_set(s2, "c", seeds, huge),
                "aisle_snapshot_add_campaign_set: count = 9223372036854775808 is outside "
                "[0, 268435456]");
  CHECK_REFUSED(aisle_pipeline_builder_block_items(p, seeds, (size_t)AISLE_MAX_ITEMS + 1),
                "aisle_pipeline_builder_block_items: count = 268435457 is outside "
                "[0, 268435456]");
  fm = (aisle_feature_matrix*)&c;
  CHECK_REFUSED(aisle_engine_assemble_features(e, r, seeds, huge, &fm),
                "aisle_engine_assemble_features: count = 9223372036854775808 is outside");
  CHECK(fm == NULL);
  CHECK_REFUSED(aisle_snapshot_add_warm_interactions(s2, NULL, items, times, types, huge),
                "aisle_snapshot_add_warm_interactions: count = 9223372036854775808 is outside "
                "[0, 268435456]");
  CHECK_REFUSED(aisle_ann_index_build(data, huge, 2, NULL, &ann2),
                "aisle_ann_index_build: rows = 9223372036854775808 is outside [0, 268435456]");
  CHECK(ann2 == NULL);
  CHECK_REFUSED(aisle_ann_index_build(data, 2, (size_t)AISLE_MAX_DIM + 1, NULL, &ann2),
                "aisle_ann_index_build: dim = 65537 is outside [1, 65536]");
  CHECK_REFUSED(aisle_model_parse(kPriceModel, (size_t)-1, AISLE_MODEL_LINEAR, &m2),
                "aisle_model_parse: len = 18446744073709551615 is outside [0, 2147483648]");
  CHECK(m2 == NULL);
  CHECK_REFUSED(aisle_item_feature_store_builder_create(huge, &ib),
                "aisle_item_feature_store_builder_create: num_items = 9223372036854775808 is "
                "outside [0, 268435456]");
  CHECK(ib == NULL);
  CHECK_REFUSED(aisle_catalog_create_synthetic((size_t)1 << 40, 8, 1, &c2),
                "aisle_catalog_create_synthetic: items = 1099511627776 is outside "
                "[1, 268435456]");
  CHECK_REFUSED(aisle_catalog_create_synthetic(10, (size_t)1 << 20, 1, &c2),
                "aisle_catalog_create_synthetic: dim = 1048576 is outside [0, 65536]");
  CHECK(c2 == NULL);
  {
    aisle_popularity_options po;
    uint32_t cats[2] = {0, 0};
    memset(&po, 0, sizeof(po));
    po.size = sizeof(po);
    po.num_items = huge; /* with item_categories: used to be copied before any check */
    po.item_categories = cats;
    po.num_categories = 1;
    CHECK_REFUSED(aisle_popularity_create(&po, &pop),
                  "aisle_popularity_create: aisle_popularity_options.num_items = "
                  "9223372036854775808 is outside [1, 268435456]");
    CHECK(pop == NULL);
    po.num_items = 2;
    po.num_segments = 4000000000u;
    CHECK_REFUSED(aisle_popularity_create(&po, &pop),
                  "aisle_popularity_options.num_segments = 4000000000 is outside [0, 65536]");
    po.num_segments = 2;
    po.top_n = huge;
    CHECK_REFUSED(aisle_popularity_create(&po, &pop),
                  "aisle_popularity_options.top_n = 9223372036854775808 is outside "
                  "[0, 1048576]");
    po.top_n = 0;
    CHECK_OK(aisle_popularity_create(&po, &pop));
    CHECK_REFUSED(aisle_popularity_apply(pop, NULL, items, times, types, 2, 70000),
                  "aisle_popularity_apply: segment = 70000 is outside [0, 65536]");
    CHECK_REFUSED(aisle_popularity_apply(pop, NULL, items, times, types, huge, 0),
                  "aisle_popularity_apply: count = 9223372036854775808 is outside");
    CHECK_REFUSED(aisle_popularity_retrieve(pop, AISLE_POPULARITY_POPULAR, NULL, 0, 0, huge, NULL,
                                            out_items, out_scores, &n),
                  "aisle_popularity_retrieve: quota = 9223372036854775808 is outside "
                  "[0, 1048576]");
    CHECK_REFUSED(aisle_popularity_retrieve(pop, AISLE_POPULARITY_POPULAR, cats, huge, 0, 4, NULL,
                                            out_items, out_scores, &n),
                  "aisle_popularity_retrieve: category_count = 9223372036854775808");
    aisle_popularity_destroy(pop);
  }
  {
    aisle_covisitation_options co;
    aisle_search_params sp;
    memset(&co, 0, sizeof(co));
    co.size = sizeof(co);
    co.num_items = 2;
    co.max_distance = -1;
    CHECK_REFUSED(aisle_covisitation_create(&co, &cv),
                  "aisle_covisitation_create: aisle_covisitation_options.max_distance = -1 is "
                  "outside [0, 64]");
    co.max_distance = 0;
    co.top_n = (size_t)-1;
    CHECK_REFUSED(aisle_covisitation_create(&co, &cv),
                  "aisle_covisitation_options.top_n = 18446744073709551615 is outside "
                  "[0, 1048576]");
    co.top_n = 0;
    co.num_items = huge;
    CHECK_REFUSED(aisle_covisitation_create(&co, &cv),
                  "aisle_covisitation_options.num_items = 9223372036854775808 is outside "
                  "[1, 268435456]");
    CHECK(cv == NULL);
    co.num_items = 2;
    CHECK_OK(aisle_covisitation_create(&co, &cv));
    CHECK_REFUSED(aisle_covisitation_add_log(cv, NULL, items, times, types, (size_t)1 << 62),
                  "aisle_covisitation_add_log: count = 4611686018427387904 is outside "
                  "[0, 268435456]");
    CHECK_REFUSED(aisle_covisitation_retrieve(cv, items, 1, huge, NULL, out_items, out_scores, &n),
                  "aisle_covisitation_retrieve: quota = 9223372036854775808 is outside "
                  "[0, 1048576]");
    CHECK_REFUSED(aisle_covisitation_retrieve(cv, items, huge, 4, NULL, out_items, out_scores, &n),
                  "aisle_covisitation_retrieve: seed_count = 9223372036854775808 is outside");
    memset(&sp, 0, sizeof(sp));
    sp.size = sizeof(sp);
    sp.allowed = items;
    sp.allowed_count = huge;
    CHECK_REFUSED(aisle_covisitation_retrieve(cv, items, 1, 4, &sp, out_items, out_scores, &n),
                  "aisle_covisitation_retrieve: aisle_search_params.allowed_count = "
                  "9223372036854775808 is outside [0, 268435456]");
    sp.allowed_count = 0;
    sp.ef = huge;
    CHECK_REFUSED(aisle_ann_index_search(ann, vec, 8, 4, &sp, out_items, out_scores, &n),
                  "aisle_ann_index_search: aisle_search_params.ef = 9223372036854775808 is "
                  "outside [0, 1048576]");
    CHECK_REFUSED(aisle_ann_index_search(ann, vec, 8, huge, NULL, out_items, out_scores, &n),
                  "aisle_ann_index_search: k = 9223372036854775808 is outside [0, 10000]");
    CHECK_REFUSED(aisle_ann_index_search_by_seeds(ann, items, 1, (size_t)AISLE_MAX_K + 1, NULL,
                                                  out_items, out_scores, &n),
                  "aisle_ann_index_search_by_seeds: k = 10001 is outside [0, 10000]");
    aisle_covisitation_destroy(cv);
  }
  {
    aisle_ann_options ao;
    memset(&ao, 0, sizeof(ao));
    ao.size = sizeof(ao);
    ao.threads = 100000;
    CHECK_REFUSED(aisle_ann_index_build(data, 2, 2, &ao, &ann2),
                  "aisle_ann_index_build: aisle_ann_options.threads = 100000 is outside "
                  "[0, 256]");
    ao.threads = 0;
    ao.m = huge;
    CHECK_REFUSED(aisle_ann_index_build_from_catalog(c, &ao, &ann2),
                  "aisle_ann_index_build_from_catalog: aisle_ann_options.m = "
                  "9223372036854775808 is outside [0, 10000]");
    ao.m = 0;
    ao.ef_construction = (size_t)AISLE_MAX_EF + 1;
    CHECK_REFUSED(aisle_ann_index_build(data, 2, 2, &ao, &ann2),
                  "aisle_ann_options.ef_construction = 1048577 is outside [0, 1048576]");
    CHECK(ann2 == NULL);
    CHECK_REFUSED(aisle_ann_index_load("/nonexistent.ann", 70000, &ann2),
                  "aisle_ann_index_load: expected_dim = 70000 is outside [0, 65536]");
  }
  CHECK_REFUSED(aisle_catalog_builder_create(100000, &cb),
                "aisle_catalog_builder_create: embedding_dim = 100000 is outside [-1, 65536]");
  CHECK(cb == NULL);
  {
    aisle_item_spec spec;
    const char* keys[1] = {"color"};
    const char* values[1] = {"red"};
    CHECK_OK(aisle_catalog_builder_create(-1, &cb));
    memset(&spec, 0, sizeof(spec));
    spec.size = sizeof(spec);
    spec.id = "x-1";
    spec.attribute_keys = keys;
    spec.attribute_values = values;
    spec.attribute_count = huge;
    CHECK_REFUSED(aisle_catalog_builder_add_item(cb, &spec),
                  "aisle_catalog_builder_add_item: aisle_item_spec.attribute_count = "
                  "9223372036854775808 is outside [0, 268435456]");
    spec.attribute_count = 1;
    spec.embedding = data;
    spec.embedding_len = huge; /* would have become the catalog's dimension */
    CHECK_REFUSED(aisle_catalog_builder_add_item(cb, &spec),
                  "aisle_item_spec.embedding_len = 9223372036854775808 is outside [0, 65536]");
    spec.embedding_len = 2;
    spec.id = "a\tb";
    CHECK_REFUSED(aisle_catalog_builder_add_item(cb, &spec),
                  "aisle_catalog_builder_add_item: aisle_item_spec.id: id 'a\\x09b' has "
                  "control character 0x09");
    spec.id = "caf\xc3";
    CHECK_REFUSED(aisle_catalog_builder_add_item(cb, &spec),
                  "aisle_item_spec.id: id 'caf\\xC3' is not valid UTF-8 (byte 0xC3 at byte 3)");
    CHECK_OK(aisle_catalog_builder_size(cb, &n));
    CHECK(n == 0); /* every refused item left the builder as it was */
    spec.id = "caf\xc3\xa9";
    CHECK_OK(aisle_catalog_builder_add_item(cb, &spec));
    CHECK_OK(aisle_catalog_builder_size(cb, &n));
    CHECK(n == 1);
    aisle_catalog_builder_destroy(cb);
  }

  /* k, quotas, positions, thread counts, segments. */
  CHECK_REFUSED(aisle_request_set_k(r, 4000000000u),
                "aisle_request_set_k: k = 4000000000 is outside [0, 10000]");
  CHECK_REFUSED(aisle_request_set_k(r, AISLE_MAX_K + 1),
                "aisle_request_set_k: k = 10001 is outside [0, 10000]");
  CHECK_REFUSED(aisle_request_set_segment(r, AISLE_MAX_SEGMENTS + 1),
                "aisle_request_set_segment: segment = 65537 is outside [0, 65536]");
  CHECK_REFUSED(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 4000000000u, 0),
                "aisle_pipeline_builder_add_source: quota = 4000000000 is outside [1, 1048576]");
  CHECK_REFUSED(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 0, 0),
                "aisle_pipeline_builder_add_source: quota = 0 is outside [1, 1048576]");
  CHECK_REFUSED(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 10, huge),
                "aisle_pipeline_builder_add_source: ef = 9223372036854775808 is outside "
                "[0, 1048576]");
  CHECK_OK(
      aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, AISLE_MAX_QUOTA, AISLE_MAX_EF));
  CHECK_REFUSED(aisle_pipeline_builder_set_max_candidates(p, 0),
                "aisle_pipeline_builder_set_max_candidates: max_candidates = 0 is outside "
                "[1, 1048576]");
  CHECK_REFUSED(aisle_pipeline_builder_add_pin(p, Id(1), 4000000000u, 1),
                "aisle_pipeline_builder_add_pin: position = 4000000000 is outside [0, 9999]");
  CHECK_OK(aisle_pipeline_builder_add_pin(p, Id(1), AISLE_MAX_POSITION, 1));
  CHECK_REFUSED(aisle_pipeline_builder_set_default_k(p, AISLE_MAX_K + 1),
                "aisle_pipeline_builder_set_default_k: k = 10001 is outside [1, 10000]");
  {
    const uint32_t positions[2] = {1, AISLE_MAX_POSITION + 1};
    const int32_t ladder[7] = {0, 1, 2, 3, 4, 5, 0};
    CHECK_REFUSED(aisle_pipeline_builder_set_exploration(p, positions, 2, 1000000, 10),
                  "aisle_pipeline_builder_set_exploration: positions[1] = 10000 is outside "
                  "[0, 9999]");
    CHECK_REFUSED(aisle_pipeline_builder_set_exploration(p, positions, huge, 1000000, 10),
                  "aisle_pipeline_builder_set_exploration: count = 9223372036854775808 is "
                  "outside [0, 10000]");
    CHECK_REFUSED(aisle_pipeline_builder_set_ladder(p, ladder, 7),
                  "aisle_pipeline_builder_set_ladder: count = 7 is outside [0, 6]");
    CHECK_REFUSED(aisle_pipeline_builder_set_ladder(p, ladder, huge),
                  "aisle_pipeline_builder_set_ladder: count = 9223372036854775808 is outside");
  }
  {
    aisle_engine_options o;
    memset(&o, 0, sizeof(o));
    o.size = sizeof(o);
    o.isolation_threads = 100000;
    CHECK_REFUSED(aisle_engine_create_with_options(s, &o, &e2),
                  "aisle_engine_create_with_options: aisle_engine_options.isolation_threads = "
                  "100000 is outside [0, 256]");
    CHECK(e2 == NULL);
    o.isolation_threads = 0;
    o.history_length = 4000000000u;
    CHECK_REFUSED(aisle_engine_create_with_options(s, &o, &e2),
                  "aisle_engine_options.history_length = 4000000000 is outside [0, 1024]");
  }
  CHECK_REFUSED(aisle_engine_apply_interaction(e, "u-1", "s-1", Id(4), AISLE_INTERACTION_VIEW,
                                               1767225600000000LL, 70000),
                "aisle_engine_apply_interaction: segment = 70000 is outside [0, 65536]");
  {
    aisle_breaker_options bo;
    memset(&bo, 0, sizeof(bo));
    bo.size = sizeof(bo);
    bo.min_requests = -1;
    CHECK_REFUSED(aisle_engine_register_scorer(e, "zero", ZeroScorer, NULL, &bo),
                  "aisle_engine_register_scorer: aisle_breaker_options.min_requests = -1 is "
                  "outside [0, 2147483647]");
    bo.min_requests = 0;
    bo.call_timeout_micros = -5;
    CHECK_REFUSED(aisle_engine_register_scorer(e, "zero", ZeroScorer, NULL, &bo),
                  "aisle_breaker_options.call_timeout_micros = -5 is outside "
                  "[0, 9223372036854775807]");
    bo.call_timeout_micros = 0;
    bo.failure_rate = 1.5;
    CHECK_REFUSED(aisle_engine_register_scorer(e, "zero", ZeroScorer, NULL, &bo),
                  "aisle_breaker_options.failure_rate = 1.5 is outside [0, 1]");
    bo.failure_rate = 0.25;
    /* nothing was registered by the refused calls: the name is still free */
    CHECK_OK(aisle_engine_register_scorer(e, "zero", ZeroScorer, NULL, &bo));
  }

  /* Ids the library stores follow the id rule; lookups by such ids find nothing. */
  CHECK_REFUSED(aisle_pipeline_builder_add_pin(p, "sku-\xff", 0, 0),
                "aisle_pipeline_builder_add_pin: item_id: id 'sku-\\xFF' is not valid UTF-8 "
                "(byte 0xFF at byte 4)");
  ids[0] = Id(1);
  ids[1] = "sku\x01";
  CHECK_REFUSED(aisle_pipeline_builder_block_items(p, ids, 2),
                "aisle_pipeline_builder_block_items: ids[1]: id 'sku\\x01' has control "
                "character 0x01");
  ids[1] = "Shop>\x7f";
  CHECK_REFUSED(aisle_pipeline_builder_block_categories(p, ids, 2),
                "aisle_pipeline_builder_block_categories: paths[1]: id 'Shop>\\x7F' has "
                "control character 0x7F");
  ids[1] = Id(2);
  ids[2] = "\xc0\xaf"; /* an overlong '/' */
  CHECK_REFUSED(aisle_snapshot_add_campaign_set(s2, "promo", ids, 3),
                "aisle_snapshot_add_campaign_set: ids[2]: id '\\xC0\\xAF' is not valid UTF-8");
  CHECK_REFUSED(aisle_snapshot_add_campaign_set(s2, "pro\nmo", ids, 2),
                "aisle_snapshot_add_campaign_set: name: id 'pro\\x0Amo' has control character");
  CHECK_REFUSED(aisle_pipeline_builder_add_source(p, "an\x1bn", AISLE_SOURCE_ANN, 10, 0),
                "aisle_pipeline_builder_add_source: name: id 'an\\x1Bn' has control character");
  CHECK_REFUSED(aisle_pipeline_builder_set_ranker(p, "price", "\xed\xa0\x80"),
                "aisle_pipeline_builder_set_ranker: cheaper: id '\\xED\\xA0\\x80' is not "
                "valid UTF-8");
  CHECK_REFUSED(aisle_pipeline_builder_set_campaign_set(p, "black\x1f"),
                "aisle_pipeline_builder_set_campaign_set: name: id 'black\\x1F' has control");
  CHECK_OK(aisle_pipeline_builder_set_campaign_set(p, "")); /* "" = none, as before */
  CHECK_OK(aisle_pipeline_builder_set_ranker(p, "", NULL)); /* "" = no ranker */
  CHECK_REFUSED(aisle_pipeline_builder_add_source(p, "", AISLE_SOURCE_ANN, 10, 0),
                "aisle_pipeline_builder_add_source: name: id is empty");
  aisle_pipeline_builder_destroy(p); /* the refused create below resets p to NULL */
  CHECK_REFUSED(aisle_pipeline_builder_create("home\x01", &p),
                "aisle_pipeline_builder_create: surface: id 'home\\x01'");
  CHECK(p == NULL);
  CHECK_OK(aisle_pipeline_builder_create("boundary", &p));
  aisle_snapshot_destroy(s2);
  CHECK_REFUSED(aisle_snapshot_create("v\xff", &s2),
                "aisle_snapshot_create: version: id 'v\\xFF' is not valid UTF-8");
  CHECK(s2 == NULL);
  CHECK_OK(aisle_snapshot_create("b2", &s2));
  CHECK_REFUSED(aisle_snapshot_add_model(s2, "pri\tce", price),
                "aisle_snapshot_add_model: name: id 'pri\\x09ce' has control character 0x09");
  CHECK_REFUSED(aisle_engine_register_scorer(e, "zero\xff", ZeroScorer, NULL, NULL),
                "aisle_engine_register_scorer: name: id 'zero\\xFF' is not valid UTF-8");
  CHECK_REFUSED(aisle_engine_apply_interaction(e, "u\x02", NULL, Id(4), AISLE_INTERACTION_VIEW,
                                               1767225600000000LL, 0),
                "aisle_engine_apply_interaction: user_id: id 'u\\x02' has control character");
  CHECK_REFUSED(aisle_engine_apply_interaction(e, NULL, "s\xfe", Id(4), AISLE_INTERACTION_VIEW,
                                               1767225600000000LL, 0),
                "aisle_engine_apply_interaction: session_id: id 's\\xFE' is not valid UTF-8");
  CHECK_OK(aisle_feature_schema_builder_create(&sb));
  CHECK_OK(aisle_feature_schema_builder_add_group(sb, AISLE_FEATURE_GROUP_USER, INFINITY,
                                                  AISLE_STALE_USE_VALUE));
  CHECK_REFUSED(
      aisle_feature_schema_builder_add_feature(sb, "pr\x03ice", AISLE_FEATURE_GROUP_USER, 0.0f, -1),
      "aisle_feature_schema_builder_add_feature: name: id 'pr\\x03ice' has control");
  CHECK_OK(
      aisle_feature_schema_builder_add_feature(sb, "clicks", AISLE_FEATURE_GROUP_USER, 0.0f, -1));
  CHECK_OK(aisle_feature_schema_builder_build(sb, &schema));
  CHECK_OK(aisle_online_feature_store_create(schema, AISLE_FEATURE_GROUP_USER, &users));
  CHECK_REFUSED(aisle_online_feature_store_put(users, "u-\xff", vec, 1, 0),
                "aisle_online_feature_store_put: key: id 'u-\\xFF' is not valid UTF-8");
  {
    char long_id[1100];
    memset(long_id, 'x', 1025);
    long_id[1025] = '\0';
    CHECK_REFUSED(aisle_pipeline_builder_add_pin(p, long_id, 0, 0),
                  "is 1025 bytes long; at most 1024 are allowed");
    long_id[1024] = '\0';
    CHECK_OK(aisle_pipeline_builder_add_pin(p, long_id, 0, 0));
  }
  CHECK_CODE(aisle_catalog_find(c, "sku-\xff", &index), AISLE_NOT_FOUND, "");
  CHECK_CODE(aisle_catalog_find(c, "sku\x01", &index), AISLE_NOT_FOUND, "");
  CHECK_OK(aisle_pipeline_builder_add_pin(p,
                                          "gr\xc3\xb6\xc3\x9f"
                                          "e",
                                          1, 0)); /* UTF-8 text */

  /* The request refused above still asks for what it did, and the engine
   * serves what it served before any of this. */
  ExpectSameAnswer(e, r, before, __LINE__);

  aisle_online_feature_store_destroy(users);
  aisle_feature_schema_destroy(schema);
  aisle_feature_schema_builder_destroy(sb);
  aisle_pipeline_builder_destroy(p);
  aisle_snapshot_destroy(s2);
  aisle_request_destroy(r);
  aisle_engine_destroy(e);
  aisle_snapshot_destroy(s);
  aisle_model_destroy(price);
  aisle_ann_index_destroy(ann);
  aisle_catalog_destroy(c);
}

#undef CHECK_REFUSED

int main(void) {
  char tmpl[] = "/tmp/aisle_capi_test_XXXXXX";
  if (mkdtemp(tmpl) == NULL) {
    perror("mkdtemp");
    return 2;
  }
  snprintf(tmp_dir, sizeof(tmp_dir), "%s", tmpl);

  TestLibrary();
  TestCatalog();
  TestAnn();
  TestCoVisitation();
  TestPopularity();
  TestFeatures();
  TestModels();
  TestEngine();
  TestSnapshotFeatures();
  TestIsolatedRanker();
  TestRouting();
  TestBoundary();

  {
    const char* names[] = {"corrupt.npy", "bad.jsonl", "items.ann",
                           "corrupt.ann", "model.txt", "linear.json"};
    char path[512];
    size_t i;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); ++i) {
      TmpPath(path, sizeof(path), names[i]);
      remove(path);
    }
    rmdir(tmp_dir);
  }
  if (failures == 0) {
    printf("c_api_test: all %d checks passed\n", checks);
    return 0;
  }
  fprintf(stderr, "c_api_test: %d of %d checks failed\n", failures, checks);
  return 1;
}
