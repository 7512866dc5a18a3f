// capi/aisle.h: experiments and context segments of a snapshot, rollback,
// the experiment kill switch, the engine's logs as JSON, shadow results.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "aisle.h"
#include "aisle/core/external_id.h"
#include "aisle/core/status_macros.h"
#include "aisle/routing/context_segmenter.h"
#include "aisle/routing/experiment_config.h"
#include "aisle/routing/experiment_kill_switch.h"
#include "capi/internal.h"

using aisle::capi::CheckRange;
using aisle::capi::CheckStoredId;
using aisle::capi::CheckStoredOptionalId;
using aisle::capi::Guard;
using aisle::capi::GuardCreate;
using aisle::capi::NullError;

namespace {

// The JSON text passed to a snapshot setter: NULL only when empty, at most
// AISLE_MAX_CONFIG_BYTES.
absl::StatusOr<absl::string_view> JsonArg(absl::string_view fn, const char* json, size_t len) {
  AISLE_RETURN_IF_ERROR(CheckRange(fn, "len", len, 0, AISLE_MAX_CONFIG_BYTES));
  if (json == nullptr && len > 0) {
    return absl::InvalidArgumentError(absl::StrCat(fn, ": json is NULL but len is ", len));
  }
  return absl::string_view(json == nullptr ? "" : json, len);
}

// `status` with "<fn>: " in front of its message (same code).
absl::Status Prefixed(absl::string_view fn, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(fn, ": ", status.message()));
}

// Appends `s` as a JSON string (quotes included). Bytes that are not UTF-8
// become U+FFFD; control characters are escaped.
void AppendJsonString(std::string& out, absl::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  while (!s.empty()) {
    size_t bad = s.size();
    const bool valid = aisle::IsValidUtf8(s, &bad);
    const absl::string_view good = valid ? s : s.substr(0, bad);
    for (const char ch : good) {
      const auto c = static_cast<unsigned char>(ch);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < 0x20) {
            out.append("\\u00");
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
          } else {
            out.push_back(ch);
          }
      }
    }
    if (valid) break;
    out.append("\\ufffd");
    s.remove_prefix(bad + 1);
  }
  out.push_back('"');
}

// "<name>": "<value>", for a string.
void AppendField(std::string& out, absl::string_view name, absl::string_view value) {
  AppendJsonString(out, name);
  out.append(": ");
  AppendJsonString(out, value);
}

// "<name>_micros": <unix micros>, "<name>": "<RFC 3339, UTC, 6 digits>".
void AppendTime(std::string& out, absl::string_view name, absl::Time t) {
  absl::StrAppend(&out, "\"", name, "_micros\": ", absl::ToUnixMicros(t), ", \"", name, "\": \"",
                  absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone()), "\"");
}

std::string SnapshotLogJson(const std::vector<aisle::serving::SnapshotChange>& log) {
  std::string out = "[";
  for (size_t i = 0; i < log.size(); ++i) {
    const aisle::serving::SnapshotChange& c = log[i];
    out.append(i == 0 ? "{" : ", {");
    AppendTime(out, "at", c.at);
    out.append(", ");
    AppendField(out, "from_version", c.from_version);
    out.append(", ");
    AppendField(out, "to_version", c.to_version);
    absl::StrAppend(&out, ", \"rollback\": ", c.rollback ? "true" : "false", ", ");
    AppendField(out, "reason", c.reason);
    out.append(", ");
    AppendField(out, "actor", c.actor);
    out.append("}");
  }
  out.append("]");
  return out;
}

std::string AuditLogJson(const std::vector<aisle::routing::KillSwitchEvent>& log) {
  std::string out = "[";
  for (size_t i = 0; i < log.size(); ++i) {
    const aisle::routing::KillSwitchEvent& e = log[i];
    out.append(i == 0 ? "{" : ", {");
    AppendTime(out, "at", e.time);
    out.append(", ");
    AppendField(out, "action", aisle::routing::KillActionName(e.action));
    out.append(", ");
    AppendField(out, "experiment", e.experiment);
    out.append(", ");
    AppendField(out, "reason", e.reason);
    out.append(", ");
    AppendField(out, "actor", e.actor);
    absl::StrAppend(&out, ", \"changed\": ", e.changed ? "true" : "false", "}");
  }
  out.append("]");
  return out;
}

std::string KilledJson(const std::vector<aisle::routing::KilledExperiment>& killed) {
  std::string out = "[";
  for (size_t i = 0; i < killed.size(); ++i) {
    const aisle::routing::KilledExperiment& k = killed[i];
    out.append(i == 0 ? "{" : ", {");
    AppendField(out, "experiment", k.experiment);
    out.append(", ");
    AppendTime(out, "since", k.since);
    out.append(", ");
    AppendField(out, "reason", k.reason);
    out.append(", ");
    AppendField(out, "actor", k.actor);
    out.append("}");
  }
  out.append("]");
  return out;
}

// The checks shared by kill and revive.
absl::Status CheckKillArgs(absl::string_view fn, const aisle_engine* engine, const char* experiment,
                           const char* reason, const char* actor) {
  if (engine == nullptr) return NullError("engine");
  AISLE_RETURN_IF_ERROR(CheckStoredId(fn, experiment, "experiment"));
  AISLE_RETURN_IF_ERROR(CheckStoredId(fn, reason, "reason"));
  return CheckStoredId(fn, actor, "actor");
}

}  // namespace

extern "C" {

// ------------------------------------------------------------------ snapshot

int32_t aisle_snapshot_set_experiments_json(aisle_snapshot* snapshot, const char* json,
                                            size_t len) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (snapshot == nullptr) return NullError("snapshot");
    AISLE_ASSIGN_OR_RETURN(absl::string_view text, JsonArg(fn, json, len));
    absl::StatusOr<aisle::routing::ExperimentConfig> config =
        aisle::routing::ParseExperimentConfig(text);
    if (!config.ok()) return Prefixed(fn, config.status());
    snapshot->snapshot.pipeline.experiments = *std::move(config);
    return absl::OkStatus();
  });
}

int32_t aisle_snapshot_set_segmenter_json(aisle_snapshot* snapshot, const char* json, size_t len) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (snapshot == nullptr) return NullError("snapshot");
    AISLE_ASSIGN_OR_RETURN(absl::string_view text, JsonArg(fn, json, len));
    absl::StatusOr<aisle::routing::ContextSegmenterConfig> config =
        aisle::routing::ParseContextSegmenterConfig(text);
    if (!config.ok()) return Prefixed(fn, config.status());
    snapshot->snapshot.pipeline.segmenter = *std::move(config);
    return absl::OkStatus();
  });
}

// -------------------------------------------------------------------- engine

int32_t aisle_engine_rollback(aisle_engine* engine, const char* reason, const char* actor) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    AISLE_RETURN_IF_ERROR(CheckStoredId(fn, reason, "reason"));
    AISLE_RETURN_IF_ERROR(CheckStoredOptionalId(fn, actor, "actor"));  // NULL or "" = none
    return engine->engine->Rollback(reason, actor == nullptr ? "" : actor);
  });
}

int32_t aisle_engine_kill_experiment(aisle_engine* engine, const char* experiment,
                                     const char* reason, const char* actor) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    AISLE_RETURN_IF_ERROR(CheckKillArgs(fn, engine, experiment, reason, actor));
    return engine->engine->KillExperiment(experiment, reason, actor);
  });
}

int32_t aisle_engine_revive_experiment(aisle_engine* engine, const char* experiment,
                                       const char* reason, const char* actor) {
  const absl::string_view fn = __func__;
  return Guard([&]() -> absl::Status {
    AISLE_RETURN_IF_ERROR(CheckKillArgs(fn, engine, experiment, reason, actor));
    return engine->engine->ReviveExperiment(experiment, reason, actor);
  });
}

int32_t aisle_engine_snapshot_log_json(const aisle_engine* engine, char* buf, size_t buf_len,
                                       size_t* out_len) {
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    if (out_len == nullptr) return NullError("out_len");
    if (buf == nullptr && buf_len > 0) return NullError("buf");
    return aisle::capi::CopyOut(SnapshotLogJson(engine->engine->SnapshotLog()), buf, buf_len,
                                out_len);
  });
}

int32_t aisle_engine_experiment_audit_json(const aisle_engine* engine, char* buf, size_t buf_len,
                                           size_t* out_len) {
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    if (out_len == nullptr) return NullError("out_len");
    if (buf == nullptr && buf_len > 0) return NullError("buf");
    return aisle::capi::CopyOut(AuditLogJson(engine->engine->ExperimentAuditLog()), buf, buf_len,
                                out_len);
  });
}

int32_t aisle_engine_killed_experiments_json(const aisle_engine* engine, char* buf, size_t buf_len,
                                             size_t* out_len) {
  return Guard([&]() -> absl::Status {
    if (engine == nullptr) return NullError("engine");
    if (out_len == nullptr) return NullError("out_len");
    if (buf == nullptr && buf_len > 0) return NullError("buf");
    return aisle::capi::CopyOut(KilledJson(engine->engine->KilledExperiments()), buf, buf_len,
                                out_len);
  });
}

int32_t aisle_engine_next_shadow_result(aisle_engine* engine, aisle_shadow_result** out) {
  return GuardCreate(out, [&]() -> absl::StatusOr<std::unique_ptr<aisle_shadow_result>> {
    if (engine == nullptr) return NullError("engine");
    std::vector<aisle::serving::ShadowResult> next = engine->engine->DrainShadowResults(1);
    if (next.empty()) return std::unique_ptr<aisle_shadow_result>();  // none: *out stays NULL
    auto h = std::make_unique<aisle_shadow_result>();
    h->result = std::move(next.front());
    h->status_message = std::string(h->result.status.message());
    return h;
  });
}

// ------------------------------------------------------------ shadow results

void aisle_shadow_result_destroy(aisle_shadow_result* result) { delete result; }

#define AISLE_SHADOW_GETTER(body)                      \
  return Guard([&]() -> absl::Status {                 \
    if (result == nullptr) return NullError("result"); \
    if (out == nullptr) return NullError("out");       \
    body;                                              \
    return absl::OkStatus();                           \
  })

int32_t aisle_shadow_result_request_id(const aisle_shadow_result* result, const char** out) {
  AISLE_SHADOW_GETTER(*out = result->result.request_id.c_str());
}
int32_t aisle_shadow_result_surface(const aisle_shadow_result* result, const char** out) {
  AISLE_SHADOW_GETTER(*out = result->result.surface.c_str());
}
int32_t aisle_shadow_result_ranker(const aisle_shadow_result* result, const char** out) {
  AISLE_SHADOW_GETTER(*out = result->result.ranker.c_str());
}
int32_t aisle_shadow_result_latency_micros(const aisle_shadow_result* result, int64_t* out) {
  AISLE_SHADOW_GETTER(*out = absl::ToInt64Microseconds(result->result.latency));
}
int32_t aisle_shadow_result_item_count(const aisle_shadow_result* result, size_t* out) {
  AISLE_SHADOW_GETTER(*out = result->result.item_ids.size());
}
int32_t aisle_shadow_result_item_id(const aisle_shadow_result* result, size_t i, const char** out) {
  AISLE_SHADOW_GETTER({
    const auto& ids = result->result.item_ids;
    if (i >= ids.size()) {
      return absl::OutOfRangeError(
          absl::StrCat("item ", i, " is outside the shadow result (", ids.size(), " items)"));
    }
    *out = ids[i].c_str();
  });
}
int32_t aisle_shadow_result_scores(const aisle_shadow_result* result, const float** out,
                                   size_t* out_count) {
  AISLE_SHADOW_GETTER({
    if (out_count == nullptr) return NullError("out_count");
    *out = result->result.scores.data();
    *out_count = result->result.scores.size();
  });
}

#undef AISLE_SHADOW_GETTER

int32_t aisle_shadow_result_status(const aisle_shadow_result* result, int32_t* out_code,
                                   const char** out_message) {
  return Guard([&]() -> absl::Status {
    if (result == nullptr) return NullError("result");
    if (out_code != nullptr) *out_code = static_cast<int32_t>(result->result.status.code());
    if (out_message != nullptr) *out_message = result->status_message.c_str();
    return absl::OkStatus();
  });
}

}  // extern "C"
