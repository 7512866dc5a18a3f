#include "aisle/features/feature_assembler.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aisle::features {
namespace {

using ::testing::HasSubstr;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

// Schema used by most tests (columns in this order):
//   0 user_ctr    user      default 0.1
//   1 price       item      default NaN (stays missing)
//   2 hour        context   default 12
//   3 ann_score   retrieval default 0    (retrieval matrix column 0)
//   4 stock       item      default 0
//   5 from_covis  retrieval source bit 2
//   6 covis_w     retrieval default -1   (retrieval matrix column 1)
//   7 sess_clicks session   default 0
//   8 user_spend  user      default NaN
struct Fixture {
  explicit Fixture(GroupOptions user = {}, GroupOptions item = {}, GroupOptions session = {})
      : clock(kT0) {
    FeatureSchemaBuilder b;
    b.AddGroup(FeatureGroup::kUser, user);
    b.AddGroup(FeatureGroup::kItem, item);
    b.AddGroup(FeatureGroup::kContext, {});
    b.AddGroup(FeatureGroup::kRetrieval, {});
    b.AddGroup(FeatureGroup::kSession, session);
    b.AddFeature({.name = "user_ctr", .group = FeatureGroup::kUser, .default_value = 0.1f});
    b.AddFeature({.name = "price", .group = FeatureGroup::kItem});
    b.AddFeature({.name = "hour", .group = FeatureGroup::kContext, .default_value = 12});
    b.AddFeature({.name = "ann_score", .group = FeatureGroup::kRetrieval, .default_value = 0});
    b.AddFeature({.name = "stock", .group = FeatureGroup::kItem, .default_value = 0});
    b.AddFeature({.name = "from_covis", .group = FeatureGroup::kRetrieval, .source_bit = 2});
    b.AddFeature({.name = "covis_w", .group = FeatureGroup::kRetrieval, .default_value = -1});
    b.AddFeature({.name = "sess_clicks", .group = FeatureGroup::kSession, .default_value = 0});
    b.AddFeature({.name = "user_spend", .group = FeatureGroup::kUser});
    schema = *std::move(b).Build();

    // Item store: 4 items; stock column built an hour after price.
    ItemFeatureStoreBuilder ib(4);
    EXPECT_TRUE(ib.AddColumn("stock", std::vector<float>{5, 0, kNaN, 2}, kT0).ok());
    EXPECT_TRUE(ib.AddColumn("price", std::vector<float>{10, 20, 30, kNaN}, kT0).ok());
    EXPECT_TRUE(ib.AddColumn("unused", std::vector<float>{1, 1, 1, 1}, kT0).ok());
    items = *std::move(ib).Build();

    // The store's column order differs from the schema's on purpose.
    users = *OnlineFeatureStore::Create({"user_spend", "user_ctr"});
    sessions = *OnlineFeatureStore::ForGroup(schema, FeatureGroup::kSession);
  }

  absl::StatusOr<FeatureAssembler> Assembler() {
    return FeatureAssembler::Create(
        schema, items,
        {.user_store = users.get(), .session_store = sessions.get(), .clock = &clock});
  }

  FakeClock clock;
  FeatureSchema schema;
  std::shared_ptr<const ItemFeatureStore> items;
  std::unique_ptr<OnlineFeatureStore> users;
  std::unique_ptr<OnlineFeatureStore> sessions;
};

struct Request {
  std::vector<ItemIndex> items = {2, 0, 9, 1};  // 9 is not in the item store
  std::vector<float> context = {18};
  // candidates x {ann_score, covis_w}
  std::vector<float> retrieval = {0.9f, kNaN,  //
                                  kNaN, 3.0f,  //
                                  0.5f, 1.0f,  //
                                  kNaN, kNaN};
  std::vector<uint32_t> sources = {0b001, 0b100, 0b101, 0b010};

  AssemblyRequest Get(std::optional<uint64_t> user, std::optional<uint64_t> session) const {
    AssemblyRequest r;
    r.user_key = user;
    r.session_key = session;
    r.context = context;
    r.items = items;
    r.retrieval = MatrixView(retrieval.data(), items.size(), 2);
    r.sources = sources;
    return r;
  }
};

// Compares with NaN == NaN.
void ExpectRow(MatrixView m, size_t r, const std::vector<float>& want) {
  ASSERT_EQ(m.cols, want.size());
  for (size_t c = 0; c < want.size(); ++c) {
    if (std::isnan(want[c])) {
      EXPECT_TRUE(std::isnan(m.Row(r)[c])) << "row " << r << " col " << c << " = " << m.Row(r)[c];
    } else {
      EXPECT_EQ(m.Row(r)[c], want[c]) << "row " << r << " col " << c;
    }
  }
}

TEST(FeatureAssembler, FillsHandComputedMatrix) {
  Fixture f;
  ASSERT_TRUE(f.users->Put(7, std::vector<float>{250.0f, 0.04f}, kT0).ok());
  ASSERT_TRUE(f.sessions->Put(99, std::vector<float>{3}, kT0).ok());
  f.clock.Advance(absl::Seconds(30));
  auto a = f.Assembler();
  ASSERT_TRUE(a.ok()) << a.status();
  Request req;
  std::vector<float> buffer;
  FreshnessReport report;
  absl::StatusOr<MatrixView> m = a->Assemble(req.Get(7, 99), &buffer, &report);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->rows, 4u);
  // user_ctr price hour ann stock covis_bit covis_w sess user_spend
  ExpectRow(*m, 0, {0.04f, 30, 18, 0.9f, 0, 0, -1, 3, 250});      // item 2: stock NaN -> 0
  ExpectRow(*m, 1, {0.04f, 10, 18, 0, 5, 1, 3.0f, 3, 250});       // item 0
  ExpectRow(*m, 2, {0.04f, kNaN, 18, 0.5f, 0, 1, 1.0f, 3, 250});  // unknown item 9
  ExpectRow(*m, 3, {0.04f, 20, 18, 0, 0, 0, -1, 3, 250});         // item 1
  EXPECT_EQ(report.unknown_items, 1u);
  EXPECT_FALSE(report.drop_to_fallback);
  const GroupFreshness& item = report.group(FeatureGroup::kItem);
  EXPECT_EQ(item.cells, 8u);
  EXPECT_EQ(item.missing, 3u);    // price of 9, stock of 2 and of 9
  EXPECT_EQ(item.defaulted, 2u);  // stock has a default, price has none
  EXPECT_EQ(item.age, absl::Seconds(30));
  const GroupFreshness& ret = report.group(FeatureGroup::kRetrieval);
  EXPECT_EQ(ret.cells, 12u);
  EXPECT_EQ(ret.missing, 4u);
  EXPECT_EQ(ret.defaulted, 4u);
  const GroupFreshness& user = report.group(FeatureGroup::kUser);
  EXPECT_EQ(user.cells, 8u);
  EXPECT_EQ(user.missing, 0u);
  EXPECT_EQ(user.age, absl::Seconds(30));
  EXPECT_EQ(report.TotalStale(), 0u);
}

TEST(FeatureAssembler, AnonymousRequestGetsDefaultsOrNaN) {
  Fixture f;
  auto a = f.Assembler();
  ASSERT_TRUE(a.ok());
  Request req;
  req.context = {kNaN};
  std::vector<float> buffer;
  FreshnessReport report;
  absl::StatusOr<MatrixView> m = a->Assemble(req.Get(std::nullopt, 12345), &buffer, &report);
  ASSERT_TRUE(m.ok()) << m.status();
  // user_ctr -> 0.1, user_spend stays NaN, hour -> 12, sess_clicks -> 0.
  ExpectRow(*m, 1, {0.1f, 10, 12, 0, 5, 1, 3.0f, 0, kNaN});
  const GroupFreshness& user = report.group(FeatureGroup::kUser);
  EXPECT_EQ(user.missing, 8u);
  EXPECT_EQ(user.defaulted, 4u);
  EXPECT_EQ(user.age, absl::ZeroDuration());
  EXPECT_EQ(report.group(FeatureGroup::kContext).defaulted, 4u);
  EXPECT_EQ(report.group(FeatureGroup::kSession).missing, 4u);
}

TEST(FeatureAssembler, StaleUserValueUnderUseDefaultIsReplaced) {
  Fixture f({.max_age_seconds = 60, .stale_policy = StalePolicy::kUseDefault});
  ASSERT_TRUE(f.users->Update(7, {{1, 0.04f}}, kT0).ok());                       // user_ctr old
  ASSERT_TRUE(f.users->Update(7, {{0, 99.0f}}, kT0 + absl::Seconds(100)).ok());  // spend fresh
  f.clock.Advance(absl::Seconds(120));
  auto a = f.Assembler();
  ASSERT_TRUE(a.ok());
  Request req;
  std::vector<float> buffer;
  FreshnessReport report;
  absl::StatusOr<MatrixView> m = a->Assemble(req.Get(7, std::nullopt), &buffer, &report);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->Row(0)[0], 0.1f);   // stale user_ctr -> default
  EXPECT_EQ(m->Row(0)[8], 99.0f);  // fresh user_spend kept
  const GroupFreshness& user = report.group(FeatureGroup::kUser);
  EXPECT_EQ(user.stale, 4u);
  EXPECT_EQ(user.defaulted, 4u);
  EXPECT_EQ(user.age, absl::Seconds(120));
  EXPECT_FALSE(report.drop_to_fallback);
}

TEST(FeatureAssembler, StaleUserValueUnderUseValueIsKeptAndCounted) {
  Fixture f({.max_age_seconds = 60, .stale_policy = StalePolicy::kUseValue});
  ASSERT_TRUE(f.users->Put(7, std::vector<float>{1, 0.04f}, kT0).ok());
  f.clock.Advance(absl::Seconds(61));
  auto a = f.Assembler();
  Request req;
  std::vector<float> buffer;
  FreshnessReport report;
  absl::StatusOr<MatrixView> m = a->Assemble(req.Get(7, std::nullopt), &buffer, &report);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->Row(3)[0], 0.04f);
  EXPECT_EQ(report.group(FeatureGroup::kUser).stale, 8u);
  EXPECT_EQ(report.group(FeatureGroup::kUser).defaulted, 0u);
  EXPECT_FALSE(report.drop_to_fallback);
}

TEST(FeatureAssembler, ExactlyMaxAgeIsNotStale) {
  Fixture f({.max_age_seconds = 60, .stale_policy = StalePolicy::kDropToFallback});
  ASSERT_TRUE(f.users->Put(7, std::vector<float>{1, 0.04f}, kT0).ok());
  f.clock.Advance(absl::Seconds(60));
  auto a = f.Assembler();
  Request req;
  std::vector<float> buffer;
  FreshnessReport report;
  ASSERT_TRUE(a->Assemble(req.Get(7, std::nullopt), &buffer, &report).ok());
  EXPECT_EQ(report.group(FeatureGroup::kUser).stale, 0u);
  EXPECT_FALSE(report.drop_to_fallback);
  f.clock.Advance(absl::Nanoseconds(1));
  ASSERT_TRUE(a->Assemble(req.Get(7, std::nullopt), &buffer, &report).ok());
  EXPECT_EQ(report.group(FeatureGroup::kUser).stale, 8u);
  EXPECT_TRUE(report.group(FeatureGroup::kUser).drop_to_fallback);
  EXPECT_TRUE(report.drop_to_fallback);
}

TEST(FeatureAssembler, StaleItemColumnsFollowEachPolicy) {
  for (StalePolicy policy :
       {StalePolicy::kUseValue, StalePolicy::kUseDefault, StalePolicy::kDropToFallback}) {
    SCOPED_TRACE(std::string(StalePolicyName(policy)));
    Fixture f({}, {.max_age_seconds = 3600, .stale_policy = policy});
    f.clock.Advance(absl::Hours(2));
    auto a = f.Assembler();
    ASSERT_TRUE(a.ok());
    Request req;
    std::vector<float> buffer;
    FreshnessReport report;
    absl::StatusOr<MatrixView> m =
        a->Assemble(req.Get(std::nullopt, std::nullopt), &buffer, &report);
    ASSERT_TRUE(m.ok());
    const GroupFreshness& item = report.group(FeatureGroup::kItem);
    EXPECT_EQ(item.age, absl::Hours(2));
    if (policy == StalePolicy::kUseDefault) {
      EXPECT_TRUE(std::isnan(m->Row(1)[1]));  // price default is NaN
      EXPECT_EQ(m->Row(1)[4], 0.0f);          // stock default 0 instead of 5
      EXPECT_EQ(item.stale, 8u);
      EXPECT_EQ(item.defaulted, 8u);
    } else {
      EXPECT_EQ(m->Row(1)[1], 10.0f);
      EXPECT_EQ(m->Row(1)[4], 5.0f);
      EXPECT_EQ(item.stale, 5u);  // 8 cells minus 3 missing
    }
    EXPECT_EQ(report.drop_to_fallback, policy == StalePolicy::kDropToFallback);
    EXPECT_EQ(item.drop_to_fallback, policy == StalePolicy::kDropToFallback);
  }
}

TEST(FeatureAssembler, ReusesBufferAcrossRequestsOfManyBlocks) {
  Fixture f;
  auto a = f.Assembler();
  ASSERT_TRUE(a.ok());
  // 1000 candidates (8 blocks): every row gathers its own item's price.
  Request req;
  req.items.clear();
  for (int i = 0; i < 1000; ++i) req.items.push_back(i % 4);
  req.retrieval.assign(2000, 0.25f);
  req.sources.assign(1000, 0b100);
  std::vector<float> buffer;
  FreshnessReport report;
  absl::StatusOr<MatrixView> m = a->Assemble(req.Get(std::nullopt, std::nullopt), &buffer, &report);
  ASSERT_TRUE(m.ok());
  const float* first = buffer.data();
  const float prices[] = {10, 20, 30, kNaN};
  for (size_t r = 0; r < 1000; ++r) {
    const float want = prices[r % 4];
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(m->Row(r)[1]));
    } else {
      EXPECT_EQ(m->Row(r)[1], want) << r;
    }
    EXPECT_EQ(m->Row(r)[5], 1.0f);
  }
  m = a->Assemble(req.Get(std::nullopt, std::nullopt), &buffer, &report);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(buffer.data(), first);  // same storage: no reallocation
}

TEST(FeatureAssembler, RejectsWrongShapes) {
  Fixture f;
  auto a = f.Assembler();
  ASSERT_TRUE(a.ok());
  std::vector<float> buffer;
  FreshnessReport report;
  {
    Request req;
    req.context = {1, 2};
    absl::Status s = a->Assemble(req.Get(std::nullopt, std::nullopt), &buffer, &report).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("2 context values, schema has 1"));
  }
  {
    Request req;
    AssemblyRequest r = req.Get(std::nullopt, std::nullopt);
    r.retrieval.cols = 3;
    absl::Status s = a->Assemble(r, &buffer, &report).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("'ann_score'"));
  }
  {
    Request req;
    req.sources.pop_back();
    absl::Status s = a->Assemble(req.Get(std::nullopt, std::nullopt), &buffer, &report).status();
    EXPECT_THAT(s.message(), HasSubstr("3 source bitmasks"));
  }
  {
    Request req;
    std::vector<float> out(10);
    absl::Status s = a->Assemble(req.Get(std::nullopt, std::nullopt),
                                 MutableMatrixView(out.data(), 1, 10), &report);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(FeatureAssembler, ExpiredDeadlineIsDeadlineExceeded) {
  Fixture f;
  auto a = f.Assembler();
  ASSERT_TRUE(a.ok());
  Request req;
  AssemblyRequest r = req.Get(std::nullopt, std::nullopt);
  r.deadline = Deadline::In(absl::ZeroDuration(), f.clock);
  std::vector<float> buffer;
  FreshnessReport report;
  EXPECT_EQ(a->Assemble(r, &buffer, &report).status().code(), absl::StatusCode::kDeadlineExceeded);
  r.deadline = Deadline::In(absl::Seconds(1), f.clock);
  EXPECT_TRUE(a->Assemble(r, &buffer, &report).ok());
}

TEST(FeatureAssembler, BindingErrorsNameTheFeature) {
  Fixture f;
  ItemFeatureStoreBuilder ib(4);
  ASSERT_TRUE(ib.AddColumn("price", std::vector<float>{1, 2, 3, 4}, kT0).ok());
  auto only_price = *std::move(ib).Build();
  absl::Status s =
      FeatureAssembler::Create(
          f.schema, only_price,
          {.user_store = f.users.get(), .session_store = f.sessions.get(), .clock = &f.clock})
          .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("item feature 'stock'"));

  auto lenient = FeatureAssembler::Create(f.schema, only_price,
                                          {.user_store = f.users.get(),
                                           .session_store = f.sessions.get(),
                                           .clock = &f.clock,
                                           .allow_missing_item_columns = true});
  ASSERT_TRUE(lenient.ok()) << lenient.status();
  Request req;
  std::vector<float> buffer;
  FreshnessReport report;
  absl::StatusOr<MatrixView> m =
      lenient->Assemble(req.Get(std::nullopt, std::nullopt), &buffer, &report);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->Row(1)[4], 0.0f);  // stock: always missing -> default

  s = FeatureAssembler::Create(
          f.schema, f.items,
          {.user_store = nullptr, .session_store = f.sessions.get(), .clock = &f.clock})
          .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("user feature 'user_ctr'"));

  auto wrong_users = *OnlineFeatureStore::Create({"user_ctr"});
  s = FeatureAssembler::Create(
          f.schema, f.items,
          {.user_store = wrong_users.get(), .session_store = f.sessions.get(), .clock = &f.clock})
          .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("user feature 'user_spend'"));
}

// Random stores (NaN cells, columns the store lacks, stale columns, extra
// store columns in another order) and random candidates (unknown items
// included): both item read paths write the matrix a per-cell reference
// writes, bit for bit, with the same report.
TEST(FeatureAssembler, ItemReadPathsMatchPerCellReferenceOnRandomStores) {
  std::mt19937_64 rng(20261123);
  std::uniform_real_distribution<float> u(0, 1);
  for (int trial = 0; trial < 24; ++trial) {
    SCOPED_TRACE(absl::StrCat("trial ", trial));
    const StalePolicy policy = static_cast<StalePolicy>(trial % 3);
    const size_t num_items = trial % 8 == 7 ? 0 : 1 + rng() % 900;
    const size_t num_item_features = 1 + rng() % 40;
    FakeClock clock(kT0);
    FeatureSchemaBuilder b;
    b.AddGroup(FeatureGroup::kItem, {.max_age_seconds = 3600, .stale_policy = policy});
    b.AddGroup(FeatureGroup::kContext, {});
    b.AddFeature({.name = "hour", .group = FeatureGroup::kContext});
    std::vector<float> defaults;
    for (size_t k = 0; k < num_item_features; ++k) {
      const float def = rng() % 3 == 0 ? kNaN : static_cast<float>(rng() % 5) - 1;
      defaults.push_back(def);
      b.AddFeature(
          {.name = absl::StrCat("item_", k), .group = FeatureGroup::kItem, .default_value = def});
      if (k % 9 == 4) {
        b.AddFeature({.name = absl::StrCat("ctx_", k), .group = FeatureGroup::kContext});
      }
    }
    auto schema = std::move(b).Build();
    ASSERT_TRUE(schema.ok()) << schema.status();
    // Store: ~80% of the schema's features plus extras, shuffled; some
    // columns two hours old (stale), the rest fresh.
    std::vector<std::string> names;
    for (size_t k = 0; k < num_item_features; ++k) {
      if (u(rng) < 0.8f) names.push_back(absl::StrCat("item_", k));
    }
    for (size_t e = 0; e < rng() % 4; ++e) names.push_back(absl::StrCat("extra_", e));
    std::shuffle(names.begin(), names.end(), rng);
    const float nan_rate = u(rng) * 0.4f;
    ItemFeatureStoreBuilder ib(num_items);
    std::vector<float> col(num_items);
    for (const std::string& name : names) {
      for (float& v : col) v = u(rng) < nan_rate ? kNaN : u(rng) * 100 - 50;
      const absl::Time built = u(rng) < 0.3f ? kT0 - absl::Hours(2) : kT0 - absl::Minutes(1);
      ASSERT_TRUE(ib.AddColumn(name, col, built).ok());
    }
    std::shared_ptr<const ItemFeatureStore> store = *std::move(ib).Build();

    // Candidates: several blocks, ~5% unknown items.
    const size_t n = rng() % (3 * kAssemblyBlockRows + 50);
    std::vector<ItemIndex> items(n);
    for (ItemIndex& it : items) {
      it = u(rng) < 0.05f || num_items == 0 ? static_cast<ItemIndex>(num_items + rng() % 10)
                                            : static_cast<ItemIndex>(rng() % num_items);
    }
    std::vector<float> context(schema->columns(FeatureGroup::kContext).size(), 0.5f);
    AssemblyRequest req;
    req.context = context;
    req.items = items;

    // Reference, cell by cell.
    const size_t cols = schema->size();
    std::vector<float> want(n * cols, kNaN);
    GroupFreshness want_item;
    size_t want_unknown = 0;
    for (ItemIndex it : items) want_unknown += it >= num_items;
    for (size_t j = 0; j < context.size(); ++j) {
      for (size_t r = 0; r < n; ++r)
        want[r * cols + schema->columns(FeatureGroup::kContext)[j]] = context[j];
    }
    for (size_t k = 0; k < num_item_features; ++k) {
      const size_t c = schema->columns(FeatureGroup::kItem)[k];
      const float def = defaults[k];
      absl::StatusOr<size_t> sc = store->ColumnOf(absl::StrCat("item_", k));
      bool stale = false;
      if (sc.ok()) {
        const absl::Duration age = kT0 - store->built_at(*sc);
        want_item.age = std::max(want_item.age, age);
        stale = age > absl::Hours(1);
      }
      for (size_t r = 0; r < n; ++r) {
        float v;
        ++want_item.cells;
        if (!sc.ok()) {
          v = def;
          ++want_item.missing;
          want_item.defaulted += !std::isnan(def);
        } else if (stale && policy == StalePolicy::kUseDefault) {
          v = def;
          ++want_item.stale;
          ++want_item.defaulted;
        } else {
          v = items[r] < num_items ? store->column(*sc)[items[r]] : kNaN;
          if (std::isnan(v)) {
            v = def;
            ++want_item.missing;
            want_item.defaulted += !std::isnan(def);
          } else if (stale) {
            ++want_item.stale;
          }
        }
        want[r * cols + c] = v;
      }
    }

    for (ItemReadPath path : {ItemReadPath::kItemMajor, ItemReadPath::kColumnMajor}) {
      SCOPED_TRACE(path == ItemReadPath::kItemMajor ? "item-major" : "column-major");
      auto a = FeatureAssembler::Create(
          *schema, store,
          {.clock = &clock, .allow_missing_item_columns = true, .item_read_path = path});
      ASSERT_TRUE(a.ok()) << a.status();
      std::vector<float> buffer;
      FreshnessReport report;
      absl::StatusOr<MatrixView> m = a->Assemble(req, &buffer, &report);
      ASSERT_TRUE(m.ok()) << m.status();
      ASSERT_EQ(buffer.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(std::bit_cast<uint32_t>(buffer[i]), std::bit_cast<uint32_t>(want[i]))
            << "row " << i / cols << " column " << i % cols << ": " << buffer[i] << " vs "
            << want[i];
      }
      const GroupFreshness& got = report.group(FeatureGroup::kItem);
      EXPECT_EQ(got.cells, want_item.cells);
      EXPECT_EQ(got.missing, want_item.missing);
      EXPECT_EQ(got.stale, want_item.stale);
      EXPECT_EQ(got.defaulted, want_item.defaulted);
      EXPECT_EQ(got.age, want_item.age);
      EXPECT_EQ(report.unknown_items, want_unknown);
      EXPECT_EQ(report.drop_to_fallback,
                policy == StalePolicy::kDropToFallback && want_item.stale > 0);
    }
  }
}

}  // namespace
}  // namespace aisle::features
