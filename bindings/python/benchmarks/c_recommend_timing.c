/* The C side of recommend_overhead.py: builds the same engine through the C
 * ABI (synthetic catalog, cosine ANN, co-visitation from the same warm
 * sessions, the same linear ranker) and times aisle_engine_recommend +
 * aisle_response_destroy, plus reading every item id (what the Python
 * Response materializes), over the same rotating seeds.
 *
 *   c_recommend_timing <items> <dim> <iterations> <linear_model.json>
 * prints: "<ns per recommend> <ns per recommend+read ids> <checksum>"
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aisle.h"

#define CHECK(call)                                                                     \
  do {                                                                                  \
    int32_t rc_ = (call);                                                               \
    if (rc_ != AISLE_OK) {                                                              \
      fprintf(stderr, "%s -> %s: %s\n", #call, aisle_status_name(rc_),                  \
              aisle_last_error_message());                                              \
      exit(1);                                                                          \
    }                                                                                   \
  } while (0)

static double NowNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc != 5) return 2;
  size_t items = strtoul(argv[1], NULL, 10), dim = strtoul(argv[2], NULL, 10);
  long iters = strtol(argv[3], NULL, 10);
  FILE* f = fopen(argv[4], "rb");
  if (!f) return 2;
  char text[4096];
  size_t len = fread(text, 1, sizeof text, f);
  fclose(f);

  aisle_catalog* catalog = NULL;
  CHECK(aisle_catalog_create_synthetic(items, dim, 7, &catalog));
  aisle_ann_options ao;
  memset(&ao, 0, sizeof ao);
  ao.size = sizeof ao;
  ao.metric = AISLE_METRIC_COSINE;
  aisle_ann_index* ann = NULL;
  CHECK(aisle_ann_index_build_from_catalog(catalog, &ao, &ann));
  aisle_model* model = NULL;
  CHECK(aisle_model_parse(text, len, AISLE_MODEL_LINEAR, &model));
  aisle_snapshot* snap = NULL;
  CHECK(aisle_snapshot_create("bench", &snap));
  CHECK(aisle_snapshot_set_catalog(snap, catalog));
  CHECK(aisle_snapshot_set_ann_index(snap, ann));
  CHECK(aisle_snapshot_add_model(snap, "ranker", model));
  aisle_pipeline_builder* p = NULL;
  CHECK(aisle_pipeline_builder_create("product_page", &p));
  CHECK(aisle_pipeline_builder_add_source(p, "ann", AISLE_SOURCE_ANN, 100, 0));
  CHECK(aisle_pipeline_builder_set_max_candidates(p, 100));
  CHECK(aisle_pipeline_builder_set_ranker(p, "ranker", NULL));
  CHECK(aisle_pipeline_builder_set_default_k(p, 10));
  CHECK(aisle_pipeline_builder_set_budget(p, 1000000));
  CHECK(aisle_snapshot_add_pipeline(snap, p));
  aisle_engine* engine = NULL;
  CHECK(aisle_engine_create(snap, &engine));

  char ids[64][32];
  for (int i = 0; i < 64; ++i) snprintf(ids[i], sizeof ids[i], "sku-%07d", (i * 37) % (int)items);
  aisle_request* req = NULL;
  CHECK(aisle_request_create("product_page", &req));
  CHECK(aisle_request_set_k(req, 10));

  unsigned long checksum = 0;
  double t_plain = 0, t_ids = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (int warm = 0; warm < 2; ++warm) {
      long n = warm ? iters : iters / 10;
      double t0 = NowNs();
      for (long it = 0; it < n; ++it) {
        const char* seed = ids[it % 64];
        CHECK(aisle_request_set_seed_items(req, &seed, 1));
        aisle_response* resp = NULL;
        CHECK(aisle_engine_recommend(engine, req, &resp));
        if (pass == 1) {
          size_t count = 0;
          CHECK(aisle_response_item_count(resp, &count));
          for (size_t i = 0; i < count; ++i) {
            const char* id = NULL;
            CHECK(aisle_response_item_id(resp, i, &id));
            checksum += (unsigned char)id[strlen(id) - 1];
          }
        }
        aisle_response_destroy(resp);
      }
      if (warm) {
        double per = (NowNs() - t0) / (double)n;
        if (pass == 0) t_plain = per; else t_ids = per;
      }
    }
  }
  printf("%.0f %.0f %lu\n", t_plain, t_ids, checksum);
  aisle_request_destroy(req);
  aisle_engine_destroy(engine);
  aisle_pipeline_builder_destroy(p);
  aisle_snapshot_destroy(snap);
  aisle_model_destroy(model);
  aisle_ann_index_destroy(ann);
  aisle_catalog_destroy(catalog);
  return 0;
}
