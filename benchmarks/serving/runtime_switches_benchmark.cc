// Cost of reading runtime switches on the request path: by pre-resolved
// surface index (one acquire load of a packed word), by surface name (plus a
// hash lookup), while a writer thread flips switches, and a peer: the other
// common design, an immutable snapshot behind an atomically swapped
// std::shared_ptr (std::atomic<std::shared_ptr<T>> in libstdc++ 12).
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "aisle/serving/runtime_switches.h"
#include "benchmark/benchmark.h"

namespace aisle {
namespace serving {
namespace {

RuntimeSwitches* Shared() {
  static RuntimeSwitches* s = [] {
    auto r = RuntimeSwitches::Create(
        {.surfaces = {"home", "pdp", "cart", "search", "email"},
         .sources = {"ann", "covisit", "popular", "category", "content", "new_items", "campaign"}});
    return r->release();
  }();
  return s;
}

void BM_RuntimeSwitches_GetByIndex(benchmark::State& state) {
  RuntimeSwitches* s = Shared();
  const int pdp = s->SurfaceIndex("pdp");
  uint64_t on = 0;
  for (auto _ : state) {
    SurfaceSwitches sw = s->Get(pdp);
    on += sw.personalization() + sw.source_enabled(2);
    benchmark::DoNotOptimize(on);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RuntimeSwitches_GetByIndex)->Threads(1)->Threads(2)->UseRealTime();

void BM_RuntimeSwitches_GetByName(benchmark::State& state) {
  RuntimeSwitches* s = Shared();
  uint64_t on = 0;
  for (auto _ : state) {
    absl::StatusOr<SurfaceSwitches> sw = s->Get("pdp");
    on += sw->personalization();
    benchmark::DoNotOptimize(on);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RuntimeSwitches_GetByName)->Threads(1)->Threads(2)->UseRealTime();

// Thread 0 writes (Apply of two switches) in a loop; the others read. The
// readers' time is what is reported for threads > 0.
void BM_RuntimeSwitches_GetWhileWriting(benchmark::State& state) {
  RuntimeSwitches* s = Shared();
  const int home = s->SurfaceIndex("home");
  uint64_t on = 0;
  bool flip = false;
  for (auto _ : state) {
    if (state.thread_index() == 0) {
      flip = !flip;
      const SwitchChange batch[] = {{"exploration", flip}, {"source:covisit", flip}};
      (void)s->Apply("home", batch, "bench");
    } else {
      on += s->Get(home).exploration();
      benchmark::DoNotOptimize(on);
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RuntimeSwitches_GetWhileWriting)->Threads(2)->UseRealTime();

struct SnapshotPeer {
  bool personalization = true;
  uint32_t sources = ~0u;
};

void BM_SharedPtrSnapshotPeer_Get(benchmark::State& state) {
  static auto* snap =
      new std::atomic<std::shared_ptr<const SnapshotPeer>>(std::make_shared<SnapshotPeer>());
  uint64_t on = 0;
  for (auto _ : state) {
    std::shared_ptr<const SnapshotPeer> p = snap->load(std::memory_order_acquire);
    on += p->personalization + ((p->sources >> 2) & 1);
    benchmark::DoNotOptimize(on);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SharedPtrSnapshotPeer_Get)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace serving
}  // namespace aisle

BENCHMARK_MAIN();
