/* File: capi/aisle.h
 *
 * The stable C ABI of aisle, an embeddable recommendation and reranking
 * serving library. Everything a host needs is reachable through this header;
 * the Python package binds to it with ctypes.
 *
 *   aisle_catalog* catalog = NULL;
 *   if (aisle_catalog_load("items.csv", "items.npy", &catalog) != AISLE_OK) {
 *     fprintf(stderr, "%s\n", aisle_last_error_message());
 *   }
 *   ... build an ANN index, pipelines, a snapshot, an engine ...
 *   aisle_request* req = NULL;
 *   aisle_request_create("home", &req);
 *   aisle_response* resp = NULL;
 *   if (aisle_engine_recommend(engine, req, &resp) == AISLE_OK) {
 *     const uint32_t* items; size_t n;
 *     aisle_response_indices(resp, &items, &n);
 *   }
 *   aisle_response_destroy(resp);
 *   aisle_request_destroy(req);
 *
 * Contract
 * --------
 * - Handles are typed and opaque (e.g. `aisle_engine*`). Each is created by an
 *   `aisle_<noun>_create` (or `_load`, `_build`, ...) function and destroyed by
 *   the matching `aisle_<noun>_destroy`, which accepts NULL. Every handle a
 *   function returns through an out pointer is OWNED BY THE CALLER and must be
 *   destroyed with its `_destroy` function.
 * - Handles given to another object (a catalog to a snapshot, a snapshot to an
 *   engine, ...) are shared or copied, never taken over: the caller may
 *   destroy its handle right after the call.
 * - Every fallible function returns an `int32_t` status equal to the canonical
 *   absl::StatusCode (`AISLE_OK == 0`) and writes its results through trailing
 *   out pointers. On failure an out handle is set to NULL (never half-built),
 *   other outs are left unspecified, and a message naming the problem is
 *   readable from this thread with `aisle_last_error_message()` until the next
 *   failing call on this thread.
 * - A NULL argument where a value is required returns
 *   AISLE_INVALID_ARGUMENT; it never crashes. No C++ exception crosses this
 *   boundary.
 * - Strings passed in are NUL-terminated UTF-8. Strings passed out are
 *   NUL-terminated unless the function also returns a length. Pointers
 *   returned by accessors are BORROWED: they belong to the handle they were
 *   read from and stay valid until that handle is destroyed (or, where said,
 *   modified). The caller never frees them.
 * - Ids and names that the library stores (item ids, pinned, blocked and
 *   campaign ids, blocked category paths, surface, source, model, snapshot,
 *   campaign-set, scorer, feature and column names, online feature keys,
 *   an event's user and session, shadow rankers and tier pipelines,
 *   experiment keys, and the reasons and actors of rollbacks and kill
 *   switches) follow one rule: 1 to 1024 bytes of valid
 *   UTF-8 without control characters (no byte below 0x20, no DEL); "" only
 *   where it means "none" (a ranker, a campaign set, a snapshot version, an
 *   event's user or session, a rollback's actor, a tier's pipeline).
 *   Breaking it is AISLE_INVALID_ARGUMENT naming the function, the parameter
 *   (and the position in a list) and the first bad byte; a lookup by such an
 *   id simply finds nothing (NOT_FOUND or "unknown").
 * - Arrays are (pointer, count) pairs. Booleans are `uint8_t` (0 = false).
 *   Enumerations are `int32_t` with the AISLE_* constants below.
 * - Integer arguments and struct fields are range-checked before anything is
 *   allocated or stored: a value outside its documented range (the
 *   AISLE_MAX_* limits below, or the set of AISLE_* constants) is
 *   AISLE_INVALID_ARGUMENT with the message "<function>: <parameter> =
 *   <value> is outside [<low>, <high>]", and nothing changes.
 * - Times are unix microseconds (`int64_t`); durations are microseconds
 *   (`int64_t`) unless a name says seconds.
 * - Logs (swaps and rollbacks, the experiment kill switch) come out as JSON
 *   text copied into a caller's buffer (buf, buf_len, *out_len), as
 *   aisle_engine_snapshot_version copies the version: UTF-8, times both as
 *   unix microseconds and as RFC 3339 in UTC.
 * - A released signature never changes; new behaviour gets a new `_v2`
 *   function. Structs passed in start with a `size` field that the caller
 *   sets to sizeof(the struct) and only grow at the end; the library reads
 *   only the fields the caller's size covers (the others take defaults).
 *   Structs passed out also start with `size`, set by the caller; the
 *   library writes only what fits. Bindings check `aisle_abi_version()` at
 *   load.
 *
 * Thread-safety is stated on every function. In short: immutable objects
 * (catalog, ANN index, feature schema, item feature store, model, response,
 * shadow result) are thread-safe; the engine, co-visitation, popularity and online feature
 * store are thread-safe; builders and requests are not thread-safe (use one
 * per thread or lock around them).
 */
#ifndef AISLE_CAPI_AISLE_H_
#define AISLE_CAPI_AISLE_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define AISLE_API __declspec(dllexport)
#else
#define AISLE_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* Constants                                                               */
/* ===================================================================== */

/* Status codes: equal to absl::StatusCode. */
#define AISLE_OK 0
#define AISLE_CANCELLED 1
#define AISLE_UNKNOWN 2
#define AISLE_INVALID_ARGUMENT 3
#define AISLE_DEADLINE_EXCEEDED 4
#define AISLE_NOT_FOUND 5
#define AISLE_ALREADY_EXISTS 6
#define AISLE_PERMISSION_DENIED 7
#define AISLE_RESOURCE_EXHAUSTED 8
#define AISLE_FAILED_PRECONDITION 9
#define AISLE_ABORTED 10
#define AISLE_OUT_OF_RANGE 11
#define AISLE_UNIMPLEMENTED 12
#define AISLE_INTERNAL 13
#define AISLE_UNAVAILABLE 14
#define AISLE_DATA_LOSS 15

/* The ABI version this header describes. Incremented only on an incompatible
 * change (which aisle avoids); bindings compare it with aisle_abi_version(). */
#define AISLE_ABI_VERSION 1

/* An unknown time (launch time of an item, ...). */
#define AISLE_UNKNOWN_TIME INT64_MIN
/* An item index that names no item. */
#define AISLE_INVALID_ITEM UINT32_MAX

/* Limits of integer arguments, checked at this boundary (see the contract
 * above). Each names the arguments and struct fields it bounds; a field
 * whose zero means "default" accepts 0 as well.
 *
 * Items of a catalog, ANN index, co-visitation or popularity index or item
 * feature store (num_items, items, rows), categories (num_categories), and
 * the entries of any array passed in: lists of ids or item indices, seeds,
 * allowed/exclude lists, interaction batches (count), prediction rows,
 * attribute lists. 2^28. */
#define AISLE_MAX_ITEMS 268435456
/* Embedding dimension (embedding_dim, dim, expected_dim, embedding_len) and
 * the length of a user vector. Equal to the ANN index's own limit. */
#define AISLE_MAX_DIM 65536
/* Items a request or an ANN search asks for (k) and a surface's default_k.
 * A surface also has its own max_k (200), checked when a request is served. */
#define AISLE_MAX_K 10000
/* A 0-based position in a served list (pins, exploration slots): a position
 * at or past AISLE_MAX_K could never be filled. */
#define AISLE_MAX_POSITION 9999
/* Candidates one source may propose (quota), candidates kept after merging
 * (max_candidates), neighbours or popular items kept per list (top_n). */
#define AISLE_MAX_QUOTA 1048576
/* HNSW search breadth: ef, ef_construction, default_ef. */
#define AISLE_MAX_EF 1048576
/* HNSW graph degree (aisle_ann_options.m); 0 = default, else at least 2. */
#define AISLE_MAX_ANN_M 10000
/* Threads: ANN build threads, the engine's isolation and shadow threads. */
#define AISLE_MAX_THREADS 256
/* Isolated ranker calls outstanding at most
 * (aisle_engine_options.isolation_max_outstanding; 0 = default, else at least
 * isolation_threads), and shadow ranker calls outstanding at most
 * (aisle_engine_options.shadow_max_outstanding; 0 = default, else at least
 * shadow_threads). */
#define AISLE_MAX_ISOLATION_OUTSTANDING 65536
/* Recent items kept per user and session (aisle_engine_options.history_length). */
#define AISLE_MAX_HISTORY 1024
/* Popularity segments: num_segments, and the segment of a request, an event
 * or a retrieval (0 = none). */
#define AISLE_MAX_SEGMENTS 65536
/* Co-visitation pair distance (aisle_covisitation_options.max_distance). */
#define AISLE_MAX_COVISITATION_DISTANCE 64
/* Bytes of a model passed in memory (aisle_model_parse len). 2^31. */
#define AISLE_MAX_MODEL_BYTES 2147483648u
/* Bytes of a JSON configuration passed in memory (the `len` of
 * aisle_snapshot_set_experiments_json and _set_segmenter_json). 2^24. */
#define AISLE_MAX_CONFIG_BYTES 16777216

/* Vector metrics (aisle_ann_options.metric). Higher scores are better. */
#define AISLE_METRIC_INNER_PRODUCT 0
#define AISLE_METRIC_COSINE 1
#define AISLE_METRIC_L2 2

/* Interaction types. */
#define AISLE_INTERACTION_VIEW 0
#define AISLE_INTERACTION_CLICK 1
#define AISLE_INTERACTION_ADD_TO_CART 2
#define AISLE_INTERACTION_PURCHASE 3

/* Popularity source modes. */
#define AISLE_POPULARITY_POPULAR 0
#define AISLE_POPULARITY_TRENDING 1

/* Feature groups and stale policies. */
#define AISLE_FEATURE_GROUP_USER 0
#define AISLE_FEATURE_GROUP_SESSION 1
#define AISLE_FEATURE_GROUP_ITEM 2
#define AISLE_FEATURE_GROUP_CONTEXT 3
#define AISLE_FEATURE_GROUP_RETRIEVAL 4
#define AISLE_STALE_USE_VALUE 0
#define AISLE_STALE_USE_DEFAULT 1
#define AISLE_STALE_DROP_TO_FALLBACK 2

/* Model file formats and prediction outputs. */
#define AISLE_MODEL_XGBOOST 0      /* XGBoost JSON or legacy binary (told apart by content) */
#define AISLE_MODEL_LIGHTGBM 1     /* LightGBM text */
#define AISLE_MODEL_LINEAR 2       /* aisle.linear JSON or XGBoost gblinear JSON */
#define AISLE_OUTPUT_TRANSFORMED 0 /* probability / response scale (predict()) */
#define AISLE_OUTPUT_MARGIN 1      /* raw margin (output_margin / raw_score) */

/* Pipeline source kinds. */
#define AISLE_SOURCE_ANN 0
#define AISLE_SOURCE_EXACT 1
#define AISLE_SOURCE_COVISITATION 2
#define AISLE_SOURCE_POPULAR 3
#define AISLE_SOURCE_TRENDING 4
#define AISLE_SOURCE_NEW_ITEMS 5
/* 6 is the C++ API's own source objects (no C counterpart). */
#define AISLE_SOURCE_CONTENT 7 /* similar by embeddings and attributes to the seeds */

/* Surface kinds. */
#define AISLE_SURFACE_RECOMMENDATION 0
#define AISLE_SURFACE_SEARCH_RERANK 1

/* Fallback levels (a ladder is best first) and reasons. */
#define AISLE_LEVEL_PERSONALIZED 0
#define AISLE_LEVEL_SEGMENT 1
#define AISLE_LEVEL_CATEGORY_POPULAR 2
#define AISLE_LEVEL_GLOBAL_POPULAR 3
#define AISLE_LEVEL_CAMPAIGN 4
#define AISLE_LEVEL_LEXICAL 5
#define AISLE_REASON_NONE 0
#define AISLE_REASON_DEADLINE 1
#define AISLE_REASON_BREAKER_OPEN 2
#define AISLE_REASON_EMPTY_STAGE 3
#define AISLE_REASON_STALE_FEATURES 4
#define AISLE_REASON_SWITCHED_OFF 5
#define AISLE_REASON_OVERLOAD 6
#define AISLE_REASON_ERROR 7
#define AISLE_REASON_NON_FINITE_SCORE 8 /* the ranker answered NaN or infinity */

/* Cold-start tiers. */
#define AISLE_TIER_ANONYMOUS 0
#define AISLE_TIER_FEW_INTERACTIONS 1
#define AISLE_TIER_KNOWN 2

/* Pipeline stages (aisle_response_latency_micros); TOTAL is the whole call. */
#define AISLE_STAGE_RETRIEVE 0
#define AISLE_STAGE_FEATURES 1
#define AISLE_STAGE_RANK 2
#define AISLE_STAGE_POST 3 /* rules + diversify + explore */
#define AISLE_STAGE_TOTAL 4
/* Appended: the stages of the framework's order that POST and the first
 * three do not name on their own. */
#define AISLE_STAGE_FILTER 5
#define AISLE_STAGE_RULES 6 /* business rules, launch boosts and pins */
#define AISLE_STAGE_DIVERSIFY 7
#define AISLE_STAGE_EXPLORE 8
#define AISLE_STAGE_RESPOND 9

/* Runtime switch flags. */
#define AISLE_SWITCH_PERSONALIZATION 0
#define AISLE_SWITCH_DIVERSIFICATION 1
#define AISLE_SWITCH_EXPLORATION 2
#define AISLE_SWITCH_SHADOW_SCORING 3

/* Launch boost modes (aisle_pipeline_builder_set_launch_boost), with w the
 * boost left at the item's age (see there). */
#define AISLE_LAUNCH_BOOST_ADD 0      /* score + w */
#define AISLE_LAUNCH_BOOST_MULTIPLY 1 /* score * (1 + w) */

/* ===================================================================== */
/* Opaque handles                                                          */
/* ===================================================================== */

typedef struct aisle_catalog_builder aisle_catalog_builder;
typedef struct aisle_catalog aisle_catalog;
typedef struct aisle_ann_index aisle_ann_index;
typedef struct aisle_covisitation aisle_covisitation;
typedef struct aisle_popularity aisle_popularity;
typedef struct aisle_feature_schema_builder aisle_feature_schema_builder;
typedef struct aisle_feature_schema aisle_feature_schema;
typedef struct aisle_item_feature_store_builder aisle_item_feature_store_builder;
typedef struct aisle_item_feature_store aisle_item_feature_store;
typedef struct aisle_online_feature_store aisle_online_feature_store;
typedef struct aisle_model aisle_model;
typedef struct aisle_pipeline_builder aisle_pipeline_builder;
typedef struct aisle_snapshot aisle_snapshot;
typedef struct aisle_engine aisle_engine;
typedef struct aisle_request aisle_request;
typedef struct aisle_response aisle_response;
typedef struct aisle_feature_matrix aisle_feature_matrix;
typedef struct aisle_shadow_result aisle_shadow_result;

/* ===================================================================== */
/* Library                                                                 */
/* ===================================================================== */

/* The library's version, e.g. "0.1.0". The string is static.
 * Thread-safety: thread-safe. */
AISLE_API const char* aisle_version(void);

/* The ABI version of the loaded library (AISLE_ABI_VERSION it was built with).
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_abi_version(void);

/* The message of the last failing call on this thread, or "" if none. The
 * pointer is valid until the next aisle call on this thread.
 * Thread-safety: thread-safe (the message is thread-local). */
AISLE_API const char* aisle_last_error_message(void);

/* A short name for a status code ("OK", "INVALID_ARGUMENT", ...); static.
 * Thread-safety: thread-safe. */
AISLE_API const char* aisle_status_name(int32_t code);

/* Stable names of enumerations, static strings: "personalized",
 * "global_popular", ...; "deadline", "breaker_open", ...; "anonymous",
 * "few_interactions", "known". "unknown" for a value outside the range.
 * Thread-safety: thread-safe. */
AISLE_API const char* aisle_fallback_level_name(int32_t level);
AISLE_API const char* aisle_fallback_reason_name(int32_t reason);
AISLE_API const char* aisle_tier_name(int32_t tier);

/* ===================================================================== */
/* Catalog                                                                 */
/* ===================================================================== */

/* One item for aisle_catalog_builder_add_item. Every pointer is borrowed for
 * the duration of the call only. NULL strings mean "none". */
typedef struct aisle_item_spec {
  size_t size;          /* sizeof(aisle_item_spec) */
  const char* id;       /* required, unique */
  const char* category; /* "Electronics>Audio>Headphones"; NULL or "" = none */
  const char* brand;
  const char* title;
  float price; /* finite, >= 0 */
  int32_t stock;
  int64_t launch_time_micros;          /* AISLE_UNKNOWN_TIME = unknown */
  const char* const* attribute_keys;   /* attribute_count keys ... */
  const char* const* attribute_values; /* ... and their values */
  size_t attribute_count;
  const float* embedding; /* embedding_len floats, or NULL/0 = none */
  size_t embedding_len;
} aisle_item_spec;

/* Creates an empty catalog builder. `embedding_dim` is the embedding
 * dimension, 0 for none, -1 to take it from the first item.
 * Errors: INVALID_ARGUMENT for out == NULL or embedding_dim outside
 * [-1, AISLE_MAX_DIM].
 * Thread-safety: thread-safe. The builder is not thread-safe. */
AISLE_API int32_t aisle_catalog_builder_create(int32_t embedding_dim, aisle_catalog_builder** out);
/* Destroys a builder; NULL is a no-op. Thread-safety: not thread-safe. */
AISLE_API void aisle_catalog_builder_destroy(aisle_catalog_builder* builder);
/* Validates and appends one item (its index is the number added before it).
 * Errors: INVALID_ARGUMENT naming the item id (empty or duplicate id, bad
 * price, wrong-length or NaN embedding, empty category level, bad attribute);
 * the builder is unchanged then.
 * Thread-safety: not thread-safe (one builder per thread). */
AISLE_API int32_t aisle_catalog_builder_add_item(aisle_catalog_builder* builder,
                                                 const aisle_item_spec* item);
/* Adds every item of a CSV or JSONL file (format by extension: .csv, .jsonl,
 * .ndjson); see docs/catalog.md for the columns. Errors name file, line and
 * field; NOT_FOUND for a missing file.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_catalog_builder_add_file(aisle_catalog_builder* builder, const char* path);
/* Attaches every item's embedding from a .npy or AISLEEMB file (checked at
 * build). Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_catalog_builder_attach_embeddings_file(aisle_catalog_builder* builder,
                                                               const char* path);
/* Items added so far. Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_catalog_builder_size(const aisle_catalog_builder* builder, size_t* out);
/* Builds the immutable catalog. The builder is left empty (destroy it).
 * Errors: FAILED_PRECONDITION for an empty catalog or missing embeddings.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_catalog_builder_build(aisle_catalog_builder* builder, aisle_catalog** out);

/* Loads items (.csv / .jsonl) and optional embeddings (.npy / AISLEEMB;
 * NULL or "" = none) into a catalog. Errors name the file, line and field.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_catalog_load(const char* items_path, const char* embeddings_path,
                                     aisle_catalog** out);
/* A deterministic synthetic storefront (3-level categories, brands,
 * log-normal prices, clustered embeddings of `dim`, 0 = none) for examples,
 * tests and benchmarks. Item ids are "sku-0000000", "sku-0000001", ...
 * Errors: INVALID_ARGUMENT for items outside [1, AISLE_MAX_ITEMS] or dim
 * above AISLE_MAX_DIM.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_catalog_create_synthetic(size_t items, size_t dim, uint64_t seed,
                                                 aisle_catalog** out);
/* Destroys a catalog handle; objects that share the catalog (snapshots,
 * engines) keep it alive. NULL is a no-op. Thread-safety: thread-safe. */
AISLE_API void aisle_catalog_destroy(aisle_catalog* catalog);
/* Number of items. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_catalog_size(const aisle_catalog* catalog, size_t* out);
/* Embedding dimension (0 when the catalog has none). Thread-safety: thread-safe. */
AISLE_API int32_t aisle_catalog_embedding_dim(const aisle_catalog* catalog, size_t* out);
/* Dense index of an external id. Errors: NOT_FOUND naming the id.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_catalog_find(const aisle_catalog* catalog, const char* id,
                                     uint32_t* out_index);
/* External id of an item, as (pointer, length); NOT NUL-terminated. Borrowed
 * from the catalog. Errors: OUT_OF_RANGE for a bad index.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_catalog_item_id(const aisle_catalog* catalog, uint32_t index,
                                        const char** out_data, size_t* out_len);
/* The item's embedding row (embedding_dim floats), borrowed from the catalog.
 * Errors: OUT_OF_RANGE for a bad index, FAILED_PRECONDITION without
 * embeddings. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_catalog_item_embedding(const aisle_catalog* catalog, uint32_t index,
                                               const float** out_data, size_t* out_len);

/* ===================================================================== */
/* Candidate sources on their own                                          */
/* ===================================================================== */

/* HNSW build options. Zero fields take the defaults shown. */
typedef struct aisle_ann_options {
  size_t size;            /* sizeof(aisle_ann_options) */
  int32_t metric;         /* AISLE_METRIC_*, default inner product */
  uint32_t threads;       /* build threads, default 1 */
  size_t m;               /* graph degree, default 16 */
  size_t ef_construction; /* default 200 */
  size_t default_ef;      /* default 64 */
  uint64_t seed;          /* default 100 */
} aisle_ann_options;

/* Per-query options shared by the sources. NULL means: default ef, every
 * item allowed, nothing excluded. */
typedef struct aisle_search_params {
  size_t size;             /* sizeof(aisle_search_params) */
  size_t ef;               /* ANN search breadth; 0 = the index default */
  const uint32_t* allowed; /* allowed item indices; NULL = every item */
  size_t allowed_count;
  const uint32_t* exclude; /* item indices never returned */
  size_t exclude_count;
} aisle_search_params;

/* Builds an ANN index over `rows` x `dim` row-major floats (row i is item i).
 * `options` may be NULL. Errors: INVALID_ARGUMENT naming row and column for
 * NaN/Inf, a zero row under cosine, dim == 0.
 * Thread-safety: thread-safe. The index is thread-safe. */
AISLE_API int32_t aisle_ann_index_build(const float* data, size_t rows, size_t dim,
                                        const aisle_ann_options* options, aisle_ann_index** out);
/* Builds over a catalog's embeddings. FAILED_PRECONDITION without embeddings.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_ann_index_build_from_catalog(const aisle_catalog* catalog,
                                                     const aisle_ann_options* options,
                                                     aisle_ann_index** out);
/* Writes the index (AISLEANN envelope, checksummed) atomically.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_ann_index_save(const aisle_ann_index* index, const char* path);
/* Reads an index written by save. `expected_dim` 0 = any; a mismatch is
 * INVALID_ARGUMENT naming the field; a corrupt file is an error naming it.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_ann_index_load(const char* path, size_t expected_dim,
                                       aisle_ann_index** out);
/* NULL is a no-op; snapshots sharing the index keep it alive.
 * Thread-safety: thread-safe. */
AISLE_API void aisle_ann_index_destroy(aisle_ann_index* index);
/* Items and dimension. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_ann_index_size(const aisle_ann_index* index, size_t* out);
AISLE_API int32_t aisle_ann_index_dim(const aisle_ann_index* index, size_t* out);
/* The k best items for `query` (query_len must equal the index dim), best
 * first, into out_items[k] and out_scores[k] (out_scores may be NULL);
 * *out_count gets how many were written (<= k). `params` may be NULL.
 * Errors: INVALID_ARGUMENT for a wrong dimension, NaN, an allowed/exclude
 * index outside the index. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_ann_index_search(const aisle_ann_index* index, const float* query,
                                         size_t query_len, size_t k,
                                         const aisle_search_params* params, uint32_t* out_items,
                                         float* out_scores, size_t* out_count);
/* As search, with the mean of the seeds' vectors; the seeds are never
 * returned. Errors: NOT_FOUND for a seed not in the index.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_ann_index_search_by_seeds(const aisle_ann_index* index,
                                                  const uint32_t* seeds, size_t seed_count,
                                                  size_t k, const aisle_search_params* params,
                                                  uint32_t* out_items, float* out_scores,
                                                  size_t* out_count);

/* Interactions are passed as columns of `count` entries: session keys,
 * item indices, unix-microsecond times and AISLE_INTERACTION_* types
 * (`sessions` may be NULL where sessions do not matter). */

/* Co-visitation options; zero fields take the defaults shown. */
typedef struct aisle_covisitation_options {
  size_t size;           /* sizeof(aisle_covisitation_options) */
  size_t num_items;      /* required: items are 0..num_items-1 */
  int32_t max_distance;  /* default 5, at most 64 */
  int64_t window_micros; /* default 1 hour; < 0 = no window */
  size_t top_n;          /* neighbours kept per item, default 50 */
} aisle_covisitation_options;

/* Creates an empty co-visitation index. INVALID_ARGUMENT naming the option.
 * Thread-safety: thread-safe. The index is thread-safe. */
AISLE_API int32_t aisle_covisitation_create(const aisle_covisitation_options* options,
                                            aisle_covisitation** out);
/* NULL is a no-op. Thread-safety: not thread-safe with other calls on it. */
AISLE_API void aisle_covisitation_destroy(aisle_covisitation* covisitation);
/* Accumulates the pairs of a log (batch). Nothing is published until
 * aisle_covisitation_publish. INVALID_ARGUMENT naming the position and item
 * for an item out of range or a bad type (nothing is accumulated then).
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_covisitation_add_log(aisle_covisitation* covisitation,
                                             const uint64_t* sessions, const uint32_t* items,
                                             const int64_t* times_micros, const int32_t* types,
                                             size_t count);
/* Publishes the table readers see; *out_version (may be NULL) gets its
 * version (1, 2, ...). Thread-safety: thread-safe. */
AISLE_API int32_t aisle_covisitation_publish(aisle_covisitation* covisitation,
                                             uint64_t* out_version);
/* Candidates for `seeds` from the published table (weights summed over the
 * seeds; seeds never returned), up to `quota`, into out_items/out_scores
 * (room for quota). `params` may be NULL (ef is ignored).
 * INVALID_ARGUMENT for a seed outside the table. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_covisitation_retrieve(const aisle_covisitation* covisitation,
                                              const uint32_t* seeds, size_t seed_count,
                                              size_t quota, const aisle_search_params* params,
                                              uint32_t* out_items, float* out_scores,
                                              size_t* out_count);

/* Popularity options; zero fields take the defaults shown. */
typedef struct aisle_popularity_options {
  size_t size;                     /* sizeof(aisle_popularity_options) */
  size_t num_items;                /* required */
  const uint32_t* item_categories; /* num_items entries or NULL */
  size_t num_categories;
  uint32_t num_segments;    /* segments 1..num_segments */
  int64_t half_life_micros; /* default 24 hours */
  size_t top_n;             /* default 500 */
} aisle_popularity_options;

/* Creates time-decayed popularity and trending counters. Categories may be
 * taken from a catalog instead with aisle_popularity_create_for_catalog.
 * INVALID_ARGUMENT naming the option. Thread-safety: thread-safe. The index
 * is thread-safe. */
AISLE_API int32_t aisle_popularity_create(const aisle_popularity_options* options,
                                          aisle_popularity** out);
/* As create, with num_items, item_categories and num_categories from the
 * catalog's leaf categories (category indices as in the catalog's tree).
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_popularity_create_for_catalog(const aisle_catalog* catalog,
                                                      const aisle_popularity_options* options,
                                                      aisle_popularity** out);
/* NULL is a no-op. Thread-safety: not thread-safe with other calls on it. */
AISLE_API void aisle_popularity_destroy(aisle_popularity* popularity);
/* Counts events (sessions may be NULL) in the global, category and segment
 * (0 = none) scopes. INVALID_ARGUMENT naming the position of a bad event.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_popularity_apply(aisle_popularity* popularity, const uint64_t* sessions,
                                         const uint32_t* items, const int64_t* times_micros,
                                         const int32_t* types, size_t count, uint32_t segment);
/* Publishes; *out_version (may be NULL) gets the version.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_popularity_publish(aisle_popularity* popularity, uint64_t* out_version);
/* Most popular (AISLE_POPULARITY_POPULAR: scoped to `categories` if any, else
 * `segment` if non-zero, else global) or trending items, up to `quota`.
 * `params` may be NULL. INVALID_ARGUMENT for an unknown category or segment.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_popularity_retrieve(const aisle_popularity* popularity, int32_t mode,
                                            const uint32_t* categories, size_t category_count,
                                            uint32_t segment, size_t quota,
                                            const aisle_search_params* params, uint32_t* out_items,
                                            float* out_scores, size_t* out_count);

/* ===================================================================== */
/* Features                                                                */
/* ===================================================================== */

/* Thread-safety: thread-safe. The builder is not thread-safe. */
AISLE_API int32_t aisle_feature_schema_builder_create(aisle_feature_schema_builder** out);
/* NULL is a no-op. Thread-safety: not thread-safe. */
AISLE_API void aisle_feature_schema_builder_destroy(aisle_feature_schema_builder* builder);
/* Declares a group: values older than max_age_seconds (INFINITY = never) are
 * stale and handled by `stale_policy` (AISLE_STALE_*). Errors are reported by
 * build. INVALID_ARGUMENT for a group or policy outside the constants.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_feature_schema_builder_add_group(aisle_feature_schema_builder* builder,
                                                         int32_t group, double max_age_seconds,
                                                         int32_t stale_policy);
/* Adds a feature (column order = call order). default_value NAN keeps
 * missing values NaN; source_bit >= 0 (retrieval group only) makes it the
 * source-membership flag. Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_feature_schema_builder_add_feature(aisle_feature_schema_builder* builder,
                                                           const char* name, int32_t group,
                                                           float default_value, int32_t source_bit);
/* Validates and builds; the builder is left empty. INVALID_ARGUMENT naming
 * the offending feature or group. Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_feature_schema_builder_build(aisle_feature_schema_builder* builder,
                                                     aisle_feature_schema** out);
/* NULL is a no-op. Thread-safety: thread-safe. */
AISLE_API void aisle_feature_schema_destroy(aisle_feature_schema* schema);
/* Number of features. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_feature_schema_size(const aisle_feature_schema* schema, size_t* out);
/* Column of a feature; NOT_FOUND naming it. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_feature_schema_column_of(const aisle_feature_schema* schema,
                                                 const char* name, size_t* out);
/* Name of a column, borrowed from the schema; OUT_OF_RANGE.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_feature_schema_name(const aisle_feature_schema* schema, size_t column,
                                            const char** out);

/* A builder of item feature columns over `num_items` items.
 * Thread-safety: thread-safe. The builder is not thread-safe. */
AISLE_API int32_t aisle_item_feature_store_builder_create(size_t num_items,
                                                          aisle_item_feature_store_builder** out);
/* NULL is a no-op. Thread-safety: not thread-safe. */
AISLE_API void aisle_item_feature_store_builder_destroy(aisle_item_feature_store_builder* builder);
/* Adds a column of num_items values (NaN = missing) built at `built_at_micros`.
 * INVALID_ARGUMENT for a wrong count, empty or duplicate name, or +-Inf.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_item_feature_store_builder_add_column(
    aisle_item_feature_store_builder* builder, const char* name, const float* values, size_t count,
    int64_t built_at_micros);
/* Builds the immutable store; the builder is left empty.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_item_feature_store_builder_build(aisle_item_feature_store_builder* builder,
                                                         aisle_item_feature_store** out);
/* NULL is a no-op. Thread-safety: thread-safe. */
AISLE_API void aisle_item_feature_store_destroy(aisle_item_feature_store* store);
/* Items and columns. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_item_feature_store_num_items(const aisle_item_feature_store* store,
                                                     size_t* out);
AISLE_API int32_t aisle_item_feature_store_num_columns(const aisle_item_feature_store* store,
                                                       size_t* out);
/* A column by name, num_items floats borrowed from the store; NOT_FOUND.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_item_feature_store_column(const aisle_item_feature_store* store,
                                                  const char* name, const float** out_data,
                                                  size_t* out_len);

/* An online (user or session) feature store with the features of one group
 * of `schema` (AISLE_FEATURE_GROUP_USER or _SESSION), in schema order.
 * INVALID_ARGUMENT when the group has no features.
 * Thread-safety: thread-safe. The store is thread-safe (lock-free reads). */
AISLE_API int32_t aisle_online_feature_store_create(const aisle_feature_schema* schema,
                                                    int32_t group,
                                                    aisle_online_feature_store** out);
/* NULL is a no-op. Thread-safety: not thread-safe with other calls on it. */
AISLE_API void aisle_online_feature_store_destroy(aisle_online_feature_store* store);
/* Number of features per key. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_online_feature_store_width(const aisle_online_feature_store* store,
                                                   size_t* out);
/* Writes all `count` (== width) values of `key` (an external user/session id)
 * stamped `at_micros`. INVALID_ARGUMENT for a wrong count or a non-finite
 * value (nothing is written). Thread-safety: thread-safe. */
AISLE_API int32_t aisle_online_feature_store_put(aisle_online_feature_store* store, const char* key,
                                                 const float* values, size_t count,
                                                 int64_t at_micros);
/* Copies the key's values and stamps (unix micros, AISLE_UNKNOWN_TIME for a
 * column never written) into arrays of `count` (== width) entries;
 * `out_stamps_micros` may be NULL. *out_found is 0 (nothing written) for an
 * unknown key. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_online_feature_store_read(const aisle_online_feature_store* store,
                                                  const char* key, float* out_values,
                                                  int64_t* out_stamps_micros, size_t count,
                                                  uint8_t* out_found);

/* ===================================================================== */
/* Models (offline parity checks; also added to snapshots)                 */
/* ===================================================================== */

/* Loads a model file in `format` (AISLE_MODEL_*). Errors name the file, tree
 * and node or field; NOT_FOUND for a missing file; FAILED_PRECONDITION for an
 * unsupported booster or objective.
 * Thread-safety: thread-safe. The model is immutable: thread-safe. */
AISLE_API int32_t aisle_model_load(const char* path, int32_t format, aisle_model** out);
/* As load, from `len` bytes in memory. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_model_parse(const char* data, size_t len, int32_t format,
                                    aisle_model** out);
/* NULL is a no-op. Thread-safety: thread-safe. */
AISLE_API void aisle_model_destroy(aisle_model* model);
/* Columns a prediction matrix must have (GBDT: the model's num_features;
 * linear: its terms, in file order). Thread-safety: thread-safe. */
AISLE_API int32_t aisle_model_num_features(const aisle_model* model, size_t* out);
/* Outputs per row (classes of a multiclass GBDT, else 1).
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_model_num_outputs(const aisle_model* model, size_t* out);
/* The feature name of column `column`, borrowed ("" when the model has no
 * names). OUT_OF_RANGE. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_model_feature_name(const aisle_model* model, size_t column,
                                           const char** out);
/* Model identity ("gbdt:xgboost-json:binary:logistic:trees=..:sha=.." or
 * "logistic:<name>:xxh64=.."), borrowed. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_model_version(const aisle_model* model, const char** out);
/* Predicts `rows` x `cols` row-major floats (NaN = missing); cols must equal
 * num_features. Writes rows x num_outputs values to `out` (out_len must be
 * exactly that). `output` is AISLE_OUTPUT_TRANSFORMED or _MARGIN.
 * INVALID_ARGUMENT for wrong dims. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_model_predict(const aisle_model* model, const float* data, size_t rows,
                                      size_t cols, int32_t output, float* out, size_t out_len);

/* ===================================================================== */
/* Pipelines                                                               */
/* ===================================================================== */

/* A surface's pipeline, built by setters and added to a snapshot. Setters
 * only record; the engine validates when it compiles the snapshot (errors
 * then name the surface, source, model or item).
 * Thread-safety: thread-safe. The builder is not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_create(const char* surface, aisle_pipeline_builder** out);
/* NULL is a no-op. Thread-safety: not thread-safe. */
AISLE_API void aisle_pipeline_builder_destroy(aisle_pipeline_builder* builder);
/* AISLE_SURFACE_RECOMMENDATION (default) or _SEARCH_RERANK.
 * Thread-safety: not thread-safe (as every pipeline builder setter). */
AISLE_API int32_t aisle_pipeline_builder_set_kind(aisle_pipeline_builder* builder, int32_t kind);
/* Adds a candidate source: a stable name, a kind (AISLE_SOURCE_*), a quota
 * (1..AISLE_MAX_QUOTA) and an ANN search breadth (0 = index default, at most
 * AISLE_MAX_EF).
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_add_source(aisle_pipeline_builder* builder,
                                                    const char* name, int32_t kind, uint32_t quota,
                                                    size_t ef);
/* Candidates kept after merging. Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_set_max_candidates(aisle_pipeline_builder* builder,
                                                            uint32_t max_candidates);
/* The ranker: a snapshot model or registered host scorer name ("" = none:
 * the merged order is kept), and an optional cheaper one used under overload
 * (NULL or "" = none).
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_set_ranker(aisle_pipeline_builder* builder,
                                                    const char* model, const char* cheaper);
/* Items need more than `reserve` units of live stock to be served.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_set_inventory_reserve(aisle_pipeline_builder* builder,
                                                               int32_t reserve);
/* Never serve these external ids / category paths ("A>B"); replaces earlier
 * lists. Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_block_items(aisle_pipeline_builder* builder,
                                                     const char* const* ids, size_t count);
AISLE_API int32_t aisle_pipeline_builder_block_categories(aisle_pipeline_builder* builder,
                                                          const char* const* paths, size_t count);
/* Pins an item at a 0-based position, at most AISLE_MAX_POSITION (force =
 * bring it in even when no source proposed it, as long as it is in stock).
 * Note: diversification (category cap, MMR) runs after the rules and may
 * move a pinned item.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_add_pin(aisle_pipeline_builder* builder,
                                                 const char* item_id, uint32_t position,
                                                 uint8_t force);
/* At most max_per_category items of one category in the top top_m (depth < 0:
 * leaf category; d >= 0: the ancestor at depth d).
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_set_category_cap(aisle_pipeline_builder* builder,
                                                          uint32_t max_per_category, size_t top_m,
                                                          int32_t depth);
/* MMR diversification with relevance weight lambda in [0, 1].
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_set_mmr(aisle_pipeline_builder* builder, float lambda);
/* Positions reserved for new items (launched within new_item_window_micros),
 * each new item getting at most `budget` impressions.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_set_exploration(aisle_pipeline_builder* builder,
                                                         const uint32_t* positions, size_t count,
                                                         int64_t new_item_window_micros,
                                                         uint32_t budget);
/* The fallback ladder (AISLE_LEVEL_*, best first); count 0 = the default.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_set_ladder(aisle_pipeline_builder* builder,
                                                    const int32_t* levels, size_t count);
/* The snapshot campaign set served by the campaign level.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_set_campaign_set(aisle_pipeline_builder* builder,
                                                          const char* name);
/* Items served when a request says k = 0. Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_set_default_k(aisle_pipeline_builder* builder, uint32_t k);
/* Request time budget when a request gives none (> 0).
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_set_budget(aisle_pipeline_builder* builder,
                                                    int64_t budget_micros);
/* on != 0: run the surface's ranker (a host scorer, say) on the engine's
 * isolation threads and wait for it only until the rank stage's deadline; a
 * call still running then is abandoned and the level falls back with reason
 * AISLE_REASON_DEADLINE (or AISLE_REASON_OVERLOAD while every isolation slot
 * is held by stalled calls). Costs a copy of the feature matrix and a thread
 * hand-off per request. The engine creates its isolation threads (4, at most
 * 64 calls outstanding) with the first snapshot that needs them.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_isolate_ranker(aisle_pipeline_builder* builder,
                                                        int32_t on);
/* Adds a shadow ranker (a snapshot model or registered host scorer name):
 * it scores the candidates the served ranker scored, on the engine's shadow
 * threads (aisle_engine_options.shadow_threads), off the response's path; its
 * scores are never served but kept for aisle_engine_next_shadow_result, and
 * the response names it (aisle_response_shadow_ranker). An engine created
 * with no_threads refuses a snapshot with shadows (FAILED_PRECONDITION); an
 * unknown name fails the snapshot (NOT_FOUND). INVALID_ARGUMENT for a
 * `ranker` that breaks the id rule.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_add_shadow(aisle_pipeline_builder* builder,
                                                    const char* ranker);
/* Cold-start tiers: a request whose user (else session) has no interactions
 * the engine has seen is anonymous, 1..known_min_interactions-1 is
 * few_interactions, more is known (default 10; 1 = no few_interactions
 * tier). `known_min_interactions` is at least 1.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_set_cold_start(aisle_pipeline_builder* builder,
                                                        uint32_t known_min_interactions);
/* The pipeline that serves requests of a cold-start tier (AISLE_TIER_*): the
 * name of another surface of the snapshot, of the same kind, or "" for the
 * built-in plan (anonymous: popular in the context's segment, then category
 * and global popularity; few_interactions: content-based candidates with the
 * surface's other sources and ranker; known: this surface). A request with
 * its own signal (seed or cart items, a user vector, search candidates) is
 * served by this surface whatever its tier. An unknown surface fails the
 * snapshot (NOT_FOUND). INVALID_ARGUMENT for a tier outside [0, 2] or a
 * `surface` that is NULL or breaks the id rule.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_set_tier_pipeline(aisle_pipeline_builder* builder,
                                                           int32_t tier, const char* surface);
/* A launch boost in the rules stage: an item launched `age` ago gets
 * w = boost * (1 - age / window_micros) while 0 <= age < window_micros
 * (nothing once older, nothing for an unknown or future launch time), added
 * to its score (AISLE_LAUNCH_BOOST_ADD) or as score * (1 + w)
 * (AISLE_LAUNCH_BOOST_MULTIPLY); the list is then re-sorted by score. The
 * C++ default is a 72-hour window and a boost of 0.1, added.
 * INVALID_ARGUMENT for window_micros <= 0, a boost that is negative or not
 * finite, or a mode that is not an AISLE_LAUNCH_BOOST_* value.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_pipeline_builder_set_launch_boost(aisle_pipeline_builder* builder,
                                                          int64_t window_micros, float boost,
                                                          int32_t mode);

/* ===================================================================== */
/* Snapshots                                                               */
/* ===================================================================== */

/* An empty snapshot (a deployment: catalog, ANN, models, pipelines, ...)
 * named `version`. It is copied when handed to an engine, so it may be
 * changed and reused afterwards.
 * Thread-safety: thread-safe. The snapshot is not thread-safe. */
AISLE_API int32_t aisle_snapshot_create(const char* version, aisle_snapshot** out);
/* NULL is a no-op. Thread-safety: not thread-safe. */
AISLE_API void aisle_snapshot_destroy(aisle_snapshot* snapshot);
/* Shares the catalog / ANN index / item feature store (the caller keeps its
 * handle). Thread-safety: not thread-safe (as every snapshot setter). */
AISLE_API int32_t aisle_snapshot_set_catalog(aisle_snapshot* snapshot,
                                             const aisle_catalog* catalog);
AISLE_API int32_t aisle_snapshot_set_ann_index(aisle_snapshot* snapshot,
                                               const aisle_ann_index* index);
AISLE_API int32_t aisle_snapshot_set_item_features(aisle_snapshot* snapshot,
                                                   const aisle_item_feature_store* store);
/* Sets the feature schema rankers are bound to (default: "<source>_score"
 * per source plus the item features). Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_snapshot_set_feature_schema(aisle_snapshot* snapshot,
                                                    const aisle_feature_schema* schema);
/* Adds (or replaces) a model under `name`, as surfaces refer to it.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_snapshot_add_model(aisle_snapshot* snapshot, const char* name,
                                           const aisle_model* model);
/* Adds a copy of a surface's pipeline. Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_snapshot_add_pipeline(aisle_snapshot* snapshot,
                                              const aisle_pipeline_builder* pipeline);
/* Adds (or replaces) a curated list of external ids for campaign levels.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_snapshot_add_campaign_set(aisle_snapshot* snapshot, const char* name,
                                                  const char* const* ids, size_t count);
/* Appends warm interactions the live popularity and co-visitation start from
 * (columns as above; item indices in the snapshot's catalog).
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_snapshot_add_warm_interactions(aisle_snapshot* snapshot,
                                                       const uint64_t* sessions,
                                                       const uint32_t* items,
                                                       const int64_t* times_micros,
                                                       const int32_t* types, size_t count);
/* Sets (replaces) the snapshot's experiments from `len` bytes of JSON (the
 * format of docs/routing.md: layers of experiments whose variants carry
 * parameters such as {"ranker": "gbdt_v7"}, challengers, holdouts; it need
 * not be NUL-terminated). They take effect with the snapshot
 * (aisle_engine_create or _swap), which resolves the rankers, pipelines and
 * sources they name; {"layers": []} means no experiments.
 * INVALID_ARGUMENT with the JSON path of the offending value
 * ("layers[0].experiments[1].coverage") or the line and column of malformed
 * JSON, and for `json` NULL while len > 0 or len above
 * AISLE_MAX_CONFIG_BYTES; UNIMPLEMENTED for an unknown "version". On error
 * the snapshot is unchanged.
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_snapshot_set_experiments_json(aisle_snapshot* snapshot, const char* json,
                                                      size_t len);
/* Sets (replaces) how an anonymous visitor is put in a popularity segment
 * from the request's context, from `len` bytes of JSON (docs/routing.md,
 * "Context segments": num_segments, keys, rules, missing, salt, hour_key,
 * hour_buckets; omitted fields keep their defaults, so "{}" is the default
 * segmenter: geo and device hashed into 8 segments). Its num_segments must
 * not exceed the engine's (aisle_engine_options.num_segments), checked when
 * the snapshot is served. Errors as for the experiments, with the JSON
 * path ("rules[2].segment"). Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_snapshot_set_segmenter_json(aisle_snapshot* snapshot, const char* json,
                                                    size_t len);

/* ===================================================================== */
/* Engine                                                                  */
/* ===================================================================== */

/* Creates an engine serving a copy of `snapshot`. INVALID_ARGUMENT or
 * NOT_FOUND naming the surface, source, model, feature or item at fault.
 * Thread-safety: thread-safe. The engine is thread-safe. */
AISLE_API int32_t aisle_engine_create(const aisle_snapshot* snapshot, aisle_engine** out);
/* Engine options; zero fields take the defaults shown. */
typedef struct aisle_engine_options {
  size_t size;                        /* sizeof(aisle_engine_options) */
  uint32_t history_length;            /* recent items kept per user and session; default 10 */
  uint32_t isolation_threads;         /* threads of the isolation runner; default 4 */
  uint32_t isolation_max_outstanding; /* isolated calls outstanding at most; default 64 */
  int32_t no_threads;                 /* non-zero: the engine may start no thread of its own
                                         (edge hosts); a snapshot whose pipeline isolates its
                                         ranker is then refused (FAILED_PRECONDITION) */
  int64_t publish_every;              /* live events between publishes of popularity and
                                         co-visitation; default 256; -1: only on
                                         aisle_engine_publish_live_state */
  /* Appended after the first release (a caller built with the smaller struct
   * gets the defaults). The window live event times must fall in, around the
   * engine's clock (see aisle_engine_apply_interaction), and the segments
   * the live popularity counts. */
  int64_t event_max_age_micros;  /* older events are too old; default 7 days */
  int64_t event_max_lead_micros; /* events further ahead are too new; default 5 minutes */
  int32_t event_too_old;         /* AISLE_EVENT_TIME_*; default AISLE_EVENT_TIME_REJECT */
  int32_t event_too_new;         /* AISLE_EVENT_TIME_*; default AISLE_EVENT_TIME_CLAMP */
  uint32_t num_segments;         /* request/event segments 1..num_segments; default 64,
                                    at most AISLE_MAX_SEGMENTS */
  /* Appended: the threads shadow rankers (aisle_pipeline_builder_add_shadow,
   * an experiment arm's "shadow" parameter) score on, apart from the
   * isolation threads, and the shadow calls outstanding at most before
   * further ones are skipped (counted in shadow_skipped). Started with the
   * first snapshot that has shadows. */
  uint32_t shadow_threads;         /* default 2, at most AISLE_MAX_THREADS */
  uint32_t shadow_max_outstanding; /* default 16 (raised to shadow_threads when
                                      fewer); else in [shadow_threads, 65536] */
} aisle_engine_options;

/* What happens to a live event outside the time window (aisle_engine_options). */
#define AISLE_EVENT_TIME_DEFAULT 0 /* the side's default */
#define AISLE_EVENT_TIME_REJECT 1  /* refused (INVALID_ARGUMENT) and counted */
#define AISLE_EVENT_TIME_CLAMP 2   /* applied at the window's edge and counted */

/* As aisle_engine_create, with options (NULL = all defaults).
 * INVALID_ARGUMENT for a bad options->size, a publish_every below -1, or an
 * option beyond its bound (history_length above AISLE_MAX_HISTORY,
 * isolation_threads above AISLE_MAX_THREADS, isolation_max_outstanding
 * outside [isolation_threads, 65536], shadow_threads above
 * AISLE_MAX_THREADS, shadow_max_outstanding outside [shadow_threads,
 * 65536], num_segments above AISLE_MAX_SEGMENTS,
 * negative window durations, an unknown AISLE_EVENT_TIME_* value), naming
 * the field, its value and the range. RESOURCE_EXHAUSTED when the system
 * refuses a thread (none is left running).
 * Thread-safety: thread-safe. The engine is thread-safe. */
AISLE_API int32_t aisle_engine_create_with_options(const aisle_snapshot* snapshot,
                                                   const aisle_engine_options* options,
                                                   aisle_engine** out);
/* Destroys the engine. Responses already returned stay valid. NULL is a
 * no-op. Thread-safety: not thread-safe (no call may be in flight on it). */
AISLE_API void aisle_engine_destroy(aisle_engine* engine);
/* Validates and atomically swaps in a copy of `snapshot`; on error the old
 * one keeps serving. Thread-safety: thread-safe (with requests in flight). */
AISLE_API int32_t aisle_engine_swap(aisle_engine* engine, const aisle_snapshot* snapshot);
/* Copies the serving snapshot's version, NUL-terminated and truncated to
 * buf_len bytes, into `buf` (may be NULL when buf_len is 0); *out_len gets
 * the full length (excluding the NUL). Thread-safety: thread-safe. */
AISLE_API int32_t aisle_engine_snapshot_version(const aisle_engine* engine, char* buf,
                                                size_t buf_len, size_t* out_len);
/* Serves one request. Errors only for a malformed request (unknown surface,
 * k beyond max_k, bad user vector); everything else degrades and says so in
 * the response. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_engine_recommend(const aisle_engine* engine, const aisle_request* request,
                                         aisle_response** out);
/* Live inventory. NOT_FOUND naming an unknown id. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_engine_set_stock(aisle_engine* engine, const char* item_id, int32_t stock);
AISLE_API int32_t aisle_engine_add_stock(aisle_engine* engine, const char* item_id, int32_t delta);
/* One live event (user_id / session_id may be NULL or ""). NOT_FOUND naming
 * an unknown item; INVALID_ARGUMENT for a bad type, a segment beyond
 * num_segments, or ids that break the id rule. `at_micros` (unix
 * microseconds) is judged against the engine's event-time window: an event
 * older than event_max_age is refused (or clamped), one further than
 * event_max_lead ahead of the clock is applied at the clock's now (or
 * refused), a value that is no time at all (before 1900, after 2400) is
 * refused; AISLE_UNKNOWN_TIME means "no time": applied at the clock's now.
 * Each case is counted in aisle_engine_metrics. A refused event changes
 * nothing. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_engine_apply_interaction(aisle_engine* engine, const char* user_id,
                                                 const char* session_id, const char* item_id,
                                                 int32_t type, int64_t at_micros, uint32_t segment);
/* Makes live popularity and co-visitation visible now.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_engine_publish_live_state(aisle_engine* engine);
/* Runtime switches: a flag (AISLE_SWITCH_*) or a source of a surface ("*" =
 * every surface) on or off; `actor` goes into the audit log. NOT_FOUND naming
 * an unknown surface or source. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_engine_set_flag(aisle_engine* engine, const char* surface, int32_t flag,
                                        uint8_t enabled, const char* actor);
AISLE_API int32_t aisle_engine_set_source(aisle_engine* engine, const char* surface,
                                          const char* source, uint8_t enabled, const char* actor);
/* The overload controller's quality factor for a surface, in (0, 1].
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_engine_quality(const aisle_engine* engine, const char* surface,
                                       double* out);

/* Engine counters, monotonic since creation. The caller sets `size`. */
typedef struct aisle_engine_metrics {
  size_t size; /* sizeof(aisle_engine_metrics) */
  uint64_t requests;
  uint64_t errors;
  uint64_t empty_responses;
  uint64_t served_by_level[8];   /* by AISLE_LEVEL_*; unused entries 0 */
  uint64_t fallback_reasons[16]; /* by AISLE_REASON_*; unused entries 0 */
  uint64_t unknown_items;
  uint64_t events_applied;
  uint64_t events_rejected;
  uint64_t swaps;
  uint64_t swaps_rejected;
  /* Isolated ranker calls (aisle_pipeline_builder_isolate_ranker): made,
   * abandoned at the rank deadline, refused (all slots held), outstanding
   * now. Appended after the first release: a caller built with the smaller
   * struct (its size) gets the fields above only. */
  uint64_t isolated_calls;
  uint64_t isolated_timeouts;
  uint64_t isolated_rejected;
  uint64_t isolated_outstanding;
  /* Appended: live event times (aisle_engine_apply_interaction) applied at
   * the window's edge (too old / too far ahead), refused (too old / too far
   * ahead / no time at all; also in events_rejected), applied at now because
   * they carried AISLE_UNKNOWN_TIME; and ids a request repeated within one
   * of its lists (each item is used once). */
  uint64_t events_clamped_old;
  uint64_t events_clamped_new;
  uint64_t events_rejected_old;
  uint64_t events_rejected_new;
  uint64_t events_rejected_time;
  uint64_t events_time_missing;
  uint64_t duplicate_request_items;
  /* Appended: rollbacks (aisle_engine_rollback); requests by cold-start tier
   * (by AISLE_TIER_*; unused entries 0); per stage, indexed by AISLE_STAGE_*,
   * the times it ran, the microseconds it took in all and the times it failed
   * (the request then went on to its next fallback level): AISLE_STAGE_POST
   * holds the sums of RULES, DIVERSIFY and EXPLORE, AISLE_STAGE_TOTAL and
   * entries past AISLE_STAGE_RESPOND are 0; requests whose unit was in a
   * holdout; experiment assignments sent to control by a kill; shadow ranker
   * calls started, failed (an error, a non-finite score), skipped (too many
   * outstanding) and results dropped because nobody read them
   * (aisle_engine_next_shadow_result). */
  uint64_t rollbacks;
  uint64_t served_by_tier[4];
  uint64_t stage_runs[16];
  uint64_t stage_micros[16];
  uint64_t stage_failures[16];
  uint64_t holdout_requests;
  uint64_t killed_assignments;
  uint64_t shadow_calls;
  uint64_t shadow_failed;
  uint64_t shadow_skipped;
  uint64_t shadow_dropped;
} aisle_engine_metrics;

/* Fills `out` up to out->size bytes. INVALID_ARGUMENT when out->size is
 * smaller than the first field. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_engine_metrics_read(const aisle_engine* engine, aisle_engine_metrics* out);

/* A host scorer: scores `rows` x `cols` row-major features (the pipeline's
 * schema) into scores[rows]. `remaining_micros` is the time left before the
 * request's deadline (-1 = none). Returns AISLE_OK or an error code (the
 * request then degrades to its next fallback level). Called from the threads
 * that call aisle_engine_recommend, concurrently: it must be thread-safe. */
typedef int32_t (*aisle_scorer_fn)(void* user_data, const float* features, size_t rows, size_t cols,
                                   float* scores, int64_t remaining_micros);

/* Circuit breaker for a host scorer; zero fields take the defaults shown,
 * negative ones (and a failure_rate outside [0, 1]) are INVALID_ARGUMENT. */
typedef struct aisle_breaker_options {
  size_t size;                  /* sizeof(aisle_breaker_options) */
  int64_t call_timeout_micros;  /* a slower call is a failure; default 50 ms */
  int64_t open_micros;          /* first cool-down when open; default 5 s */
  int32_t min_requests;         /* calls before the rate rule applies; default 20 */
  double failure_rate;          /* trips at this failure rate; default 0.5 */
  int32_t consecutive_timeouts; /* trips after this many timeouts; default 5 */
} aisle_breaker_options;

/* Registers `fn` (called with `user_data`, which must outlive the engine)
 * under `name`, usable as a pipeline ranker, behind a circuit breaker
 * (`breaker` may be NULL). ALREADY_EXISTS for a name in use.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_engine_register_scorer(aisle_engine* engine, const char* name,
                                               aisle_scorer_fn fn, void* user_data,
                                               const aisle_breaker_options* breaker);

/* ===================================================================== */
/* Rollback, the experiment kill switch, logs and shadow results          */
/* ===================================================================== */

/* Serves the previous snapshot again, at once (it stays compiled and warm
 * after a swap; nothing is recompiled). The snapshot rolled back from becomes
 * the previous one, so a second rollback undoes the first. Recorded in the
 * snapshot log with `reason` (required) and `actor` (NULL or "" = none).
 * FAILED_PRECONDITION when there is no previous snapshot (no swap yet);
 * INVALID_ARGUMENT for a reason or actor that breaks the id rule.
 * Thread-safety: thread-safe (with requests in flight). */
AISLE_API int32_t aisle_engine_rollback(aisle_engine* engine, const char* reason,
                                        const char* actor);
/* The kill switch: from the next request on, every unit of `experiment` (an
 * experiment or challenger key) gets its control variant (variant 0, no
 * parameters, not in the experiment; aisle_response_experiment_flags says
 * killed), forced variants included, in this and every later snapshot until
 * revived. Revive undoes it. Both are recorded with the time, `reason` and
 * `actor` (both required: 1 to 1024 bytes of text, the id rule); a repeated
 * kill or a revive of a live experiment is accepted and recorded as no
 * change. NOT_FOUND for a key no snapshot served by this engine has had;
 * INVALID_ARGUMENT for NULL or a breach of the id rule.
 * Thread-safety: thread-safe (with requests in flight). */
AISLE_API int32_t aisle_engine_kill_experiment(aisle_engine* engine, const char* experiment,
                                               const char* reason, const char* actor);
AISLE_API int32_t aisle_engine_revive_experiment(aisle_engine* engine, const char* experiment,
                                                 const char* reason, const char* actor);
/* Logs as JSON text, copied as aisle_engine_snapshot_version copies the
 * version: NUL-terminated and truncated to buf_len bytes into `buf` (may be
 * NULL when buf_len is 0); *out_len gets the full length (excluding the
 * NUL). The logs grow between calls: when *out_len >= buf_len the text was
 * cut, so call again with a larger buffer. Each is a JSON array, oldest
 * first; "at_micros" / "since_micros" are unix microseconds and "at" /
 * "since" the same time in RFC 3339, UTC, with 6 fractional digits
 * ("2026-01-01T00:00:00.000000Z"). Strings are UTF-8 (a byte that is not
 * becomes U+FFFD).
 *
 * The snapshot log: swaps and rollbacks (the last 256), e.g.
 *   [{"at_micros": 1767225600000000, "at": "2026-01-01T00:00:00.000000Z",
 *     "from_version": "v1", "to_version": "v2", "rollback": false,
 *     "reason": "", "actor": ""}]
 * (reason and actor are "" for a swap.)
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_engine_snapshot_log_json(const aisle_engine* engine, char* buf,
                                                 size_t buf_len, size_t* out_len);
/* The kill switch's audit log: every accepted kill and revive (the last
 * 4096), e.g.
 *   [{"at_micros": 1767225600000000, "at": "2026-01-01T00:00:00.000000Z",
 *     "action": "kill", "experiment": "gbdt-v8", "reason": "CTR -30% on home",
 *     "actor": "alice", "changed": true}]
 * "action" is "kill" or "revive"; "changed" is false when the experiment
 * already was in that state. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_engine_experiment_audit_json(const aisle_engine* engine, char* buf,
                                                     size_t buf_len, size_t* out_len);
/* The experiments killed now, by key, as the last kill left them, e.g.
 *   [{"experiment": "gbdt-v8", "since_micros": 1767225600000000,
 *     "since": "2026-01-01T00:00:00.000000Z", "reason": "CTR -30% on home",
 *     "actor": "alice"}]
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_engine_killed_experiments_json(const aisle_engine* engine, char* buf,
                                                       size_t buf_len, size_t* out_len);
/* Takes the oldest result a shadow ranker left (aisle_pipeline_builder_add_shadow),
 * removing it from the engine, into *out; *out is NULL (and AISLE_OK is
 * returned) when there is none. Shadows run off the response's path, so a
 * result arrives some time after its response. The engine keeps the last
 * 4096 results; older ones are dropped (shadow_dropped). Destroy a result
 * with aisle_shadow_result_destroy. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_engine_next_shadow_result(aisle_engine* engine, aisle_shadow_result** out);

/* What one shadow ranker scored for one served response: the candidates the
 * served ranker scored, in the same order. Immutable; every pointer below is
 * borrowed from the result. NULL is a no-op.
 * Thread-safety: not thread-safe (no call may be in flight on it). */
AISLE_API void aisle_shadow_result_destroy(aisle_shadow_result* result);
/* The served response's request id and surface, and the shadow ranker's
 * version. Thread-safety: thread-safe (as every shadow result accessor). */
AISLE_API int32_t aisle_shadow_result_request_id(const aisle_shadow_result* result,
                                                 const char** out);
AISLE_API int32_t aisle_shadow_result_surface(const aisle_shadow_result* result, const char** out);
AISLE_API int32_t aisle_shadow_result_ranker(const aisle_shadow_result* result, const char** out);
/* How the call ended: AISLE_OK, or the error code and its message ("" when
 * OK); a failed call has no scores. Either out pointer may be NULL.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_shadow_result_status(const aisle_shadow_result* result, int32_t* out_code,
                                             const char** out_message);
/* The time the shadow ranker took, in microseconds. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_shadow_result_latency_micros(const aisle_shadow_result* result,
                                                     int64_t* out);
/* The candidates scored, and the external id of candidate i (OUT_OF_RANGE
 * past the count). Thread-safety: thread-safe. */
AISLE_API int32_t aisle_shadow_result_item_count(const aisle_shadow_result* result, size_t* out);
AISLE_API int32_t aisle_shadow_result_item_id(const aisle_shadow_result* result, size_t i,
                                              const char** out);
/* The scores, one per candidate in the same order (*out_count is 0 when the
 * call failed). Thread-safety: thread-safe. */
AISLE_API int32_t aisle_shadow_result_scores(const aisle_shadow_result* result, const float** out,
                                             size_t* out_count);

/* ===================================================================== */
/* Requests                                                                */
/* ===================================================================== */

/* A request for `surface`. Setters replace what was set before, so a request
 * may be reused. Thread-safety: thread-safe. The request is not thread-safe
 * (concurrent aisle_engine_recommend calls may share it only when nobody
 * modifies it). */
AISLE_API int32_t aisle_request_create(const char* surface, aisle_request** out);
/* NULL is a no-op. Thread-safety: not thread-safe. */
AISLE_API void aisle_request_destroy(aisle_request* request);
/* String fields; NULL clears. Thread-safety: not thread-safe (as every
 * request setter). */
AISLE_API int32_t aisle_request_set_surface(aisle_request* request, const char* surface);
AISLE_API int32_t aisle_request_set_request_id(aisle_request* request, const char* request_id);
AISLE_API int32_t aisle_request_set_user_id(aisle_request* request, const char* user_id);
AISLE_API int32_t aisle_request_set_session_id(aisle_request* request, const char* session_id);
/* Appends a context key/value ("device" -> "mobile"; "category" scopes the
 * category-popular level). Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_request_add_context(aisle_request* request, const char* key,
                                            const char* value);
/* Removes every context entry. Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_request_clear_context(aisle_request* request);
/* External id lists: the viewed items, the cart, already bought, and a
 * search's candidates in lexical order. Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_request_set_seed_items(aisle_request* request, const char* const* ids,
                                               size_t count);
AISLE_API int32_t aisle_request_set_cart_items(aisle_request* request, const char* const* ids,
                                               size_t count);
AISLE_API int32_t aisle_request_set_bought_items(aisle_request* request, const char* const* ids,
                                                 size_t count);
AISLE_API int32_t aisle_request_set_search_candidates(aisle_request* request,
                                                      const char* const* ids, size_t count);
/* A user or query embedding (count 0 clears). Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_request_set_user_vector(aisle_request* request, const float* values,
                                                size_t count);
/* Segment for the segment level (0 = none, at most AISLE_MAX_SEGMENTS), items
 * wanted (0 = default, at most AISLE_MAX_K; the surface's max_k is checked
 * when the request is served) and time budget (0 = the surface's).
 * Thread-safety: not thread-safe. */
AISLE_API int32_t aisle_request_set_segment(aisle_request* request, uint32_t segment);
AISLE_API int32_t aisle_request_set_k(aisle_request* request, uint32_t k);
AISLE_API int32_t aisle_request_set_budget(aisle_request* request, int64_t budget_micros);

/* ===================================================================== */
/* Training/serving parity: the served feature matrix                    */
/* ===================================================================== */

/* The exact feature matrix the request's surface ranker would score for the
 * `count` items named in `item_ids` (rows in that order), from the engine's
 * current snapshot and live state: the same retrieval feeds the retrieval
 * features, the same assembly code fills missing values and defaults. Log it
 * with your labels to train on what serving sees. NOT_FOUND names an unknown
 * surface or item id. Destroy with aisle_feature_matrix_destroy.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_engine_assemble_features(const aisle_engine* engine,
                                                 const aisle_request* request,
                                                 const char* const* item_ids, size_t count,
                                                 aisle_feature_matrix** out);
/* NULL is a no-op. Thread-safety: not thread-safe (no call may be in flight on it). */
AISLE_API void aisle_feature_matrix_destroy(aisle_feature_matrix* matrix);
/* Rows (= items asked for) and columns (= schema features).
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_feature_matrix_shape(const aisle_feature_matrix* matrix, size_t* rows,
                                             size_t* cols);
/* rows x cols floats, row-major, owned by the matrix (NaN = missing).
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_feature_matrix_values(const aisle_feature_matrix* matrix,
                                              const float** out);
/* Column i's feature name, owned by the matrix. OUT_OF_RANGE past cols.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_feature_matrix_feature_name(const aisle_feature_matrix* matrix, size_t i,
                                                    const char** out);
/* One byte per row: 1 when a candidate source proposed the item for this
 * request (0: its retrieval features are missing, as when serving). Owned by
 * the matrix. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_feature_matrix_retrieved(const aisle_feature_matrix* matrix,
                                                 const uint8_t** out);

/* ===================================================================== */
/* Responses (immutable; every pointer below is borrowed from the response) */
/* ===================================================================== */

/* Destroys a response (it keeps its snapshot alive until then). NULL is a
 * no-op. Thread-safety: not thread-safe (no call may be in flight on it). */
AISLE_API void aisle_response_destroy(aisle_response* response);
/* Number of items. Thread-safety: thread-safe (as every response accessor). */
AISLE_API int32_t aisle_response_item_count(const aisle_response* response, size_t* out);
/* Per-item columns of item_count entries: catalog indices, scores, source
 * bitmasks (bit i = source i of the serving level, see source_name).
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_indices(const aisle_response* response, const uint32_t** out,
                                         size_t* out_count);
AISLE_API int32_t aisle_response_scores(const aisle_response* response, const float** out,
                                        size_t* out_count);
AISLE_API int32_t aisle_response_sources(const aisle_response* response, const uint32_t** out,
                                         size_t* out_count);
/* External id and reason ("ranked", "pinned", "exploration", "popular",
 * "campaign", "lexical", ...) of item i, NUL-terminated. OUT_OF_RANGE.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_item_id(const aisle_response* response, size_t i,
                                         const char** out);
AISLE_API int32_t aisle_response_item_reason(const aisle_response* response, size_t i,
                                             const char** out);
/* Names of the serving level's sources by bit. OUT_OF_RANGE.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_source_count(const aisle_response* response, size_t* out);
AISLE_API int32_t aisle_response_source_name(const aisle_response* response, size_t i,
                                             const char** out);
/* Cold-start tier (AISLE_TIER_*), fallback level (AISLE_LEVEL_*) and reason
 * (AISLE_REASON_*). Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_tier(const aisle_response* response, int32_t* out);
AISLE_API int32_t aisle_response_fallback_level(const aisle_response* response, int32_t* out);
AISLE_API int32_t aisle_response_fallback_reason(const aisle_response* response, int32_t* out);
/* A sentence for logs ("" when the first level served).
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_fallback_detail(const aisle_response* response, const char** out);
/* Request id, snapshot version and ranker version ("" when no ranker
 * scored). Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_request_id(const aisle_response* response, const char** out);
AISLE_API int32_t aisle_response_snapshot_version(const aisle_response* response, const char** out);
AISLE_API int32_t aisle_response_ranker_version(const aisle_response* response, const char** out);
/* Latency of a stage (AISLE_STAGE_*) in microseconds. OUT_OF_RANGE.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_latency_micros(const aisle_response* response, int32_t stage,
                                                int64_t* out);
/* The overload controller's quality factor when the request was served.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_quality(const aisle_response* response, double* out);
/* Experiment assignments: count, then layer / experiment / variant and
 * whether the unit is in the experiment (out pointers may be NULL).
 * OUT_OF_RANGE. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_experiment_count(const aisle_response* response, size_t* out);
AISLE_API int32_t aisle_response_experiment(const aisle_response* response, size_t i,
                                            const char** out_layer, const char** out_experiment,
                                            const char** out_variant, uint8_t* out_in_experiment);
/* Flags of assignment i (out pointers may be NULL): a QA override forced the
 * variant; the unit is in a holdout of the layer; the experiment is killed
 * (the unit got control). OUT_OF_RANGE. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_experiment_flags(const aisle_response* response, size_t i,
                                                  uint8_t* out_forced, uint8_t* out_holdout,
                                                  uint8_t* out_killed);
/* Whether the unit is held out of the experiments of some layer.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_holdout(const aisle_response* response, uint8_t* out);
/* The pipeline (surface configuration) that served: the requested surface,
 * a cold-start tier's pipeline, an experiment arm's "pipeline", or the
 * built-in few_interactions plan (the surface's name); and why the request
 * is in its tier ("no history", "user has 3 interactions", ...).
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_pipeline(const aisle_response* response, const char** out);
AISLE_API int32_t aisle_response_tier_reason(const aisle_response* response, const char** out);
/* The experiment parameters applied to this request, (key, value) as
 * written in the experiments JSON ("ranker", "gbdt_v7"); out pointers may be
 * NULL. OUT_OF_RANGE. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_param_count(const aisle_response* response, size_t* out);
AISLE_API int32_t aisle_response_param(const aisle_response* response, size_t i,
                                       const char** out_key, const char** out_value);
/* The shadow rankers started for this response, by version (their results
 * come through aisle_engine_next_shadow_result). OUT_OF_RANGE.
 * Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_shadow_count(const aisle_response* response, size_t* out);
AISLE_API int32_t aisle_response_shadow_ranker(const aisle_response* response, size_t i,
                                               const char** out);

/* Per-request counters. The caller sets `size`. */
typedef struct aisle_response_counts {
  size_t size;            /* sizeof(aisle_response_counts) */
  uint32_t candidates;    /* after merge */
  uint32_t filtered;      /* removed by filters */
  uint32_t unknown_items; /* request ids not in the snapshot */
  uint32_t stale_features;
  uint32_t defaulted_features;
} aisle_response_counts;

/* Fills `out` up to out->size bytes. Thread-safety: thread-safe. */
AISLE_API int32_t aisle_response_counts_read(const aisle_response* response,
                                             aisle_response_counts* out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AISLE_CAPI_AISLE_H_ */
