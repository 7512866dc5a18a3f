// Cost of overload control per request: Observe() (two EWMA CAS loops and
// the once-per-interval step), Enter()+Complete() with the real clock, and
// Plan() (one relaxed load), single and two threads on one controller.
#include <cstdint>

#include "aisle/serving/overload_controller.h"
#include "benchmark/benchmark.h"

namespace aisle {
namespace serving {
namespace {

OverloadController* Shared() {
  static OverloadController* c = new OverloadController(
      {.surface = "bench", .budget = absl::Milliseconds(50), .max_in_flight = 1 << 20});
  return c;
}

void BM_OverloadController_Observe(benchmark::State& state) {
  OverloadController* c = Shared();
  int64_t i = state.thread_index();
  for (auto _ : state) {
    // One in five requests over target: the controller is stepping down.
    c->Observe(absl::Milliseconds(++i % 5 == 0 ? 45 : 20));
  }
  state.counters["quality"] = benchmark::Counter(c->quality(), benchmark::Counter::kAvgThreads);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OverloadController_Observe)->Threads(1)->Threads(2)->UseRealTime();

void BM_OverloadController_EnterComplete(benchmark::State& state) {
  OverloadController* c = Shared();
  for (auto _ : state) {
    auto token = c->Enter();
    benchmark::DoNotOptimize(token.Complete());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OverloadController_EnterComplete)->Threads(1)->Threads(2)->UseRealTime();

void BM_OverloadController_Plan(benchmark::State& state) {
  OverloadController* c = Shared();
  uint64_t quota = 0;
  for (auto _ : state) {
    ShedPlan p = c->Plan();
    quota += p.ScaleQuota(200);
    benchmark::DoNotOptimize(quota);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OverloadController_Plan)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace serving
}  // namespace aisle

BENCHMARK_MAIN();
