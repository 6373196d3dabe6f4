// A small Prometheus metrics registry: counters, gauges and histograms with
// fixed buckets, in labelled families, written in the text exposition format
// (version 0.0.4). Hand-written because Debian packages no Prometheus C++
// client (prometheus-cpp, OpenTelemetry C++ are absent).
//
// Lock-light: a series is an object with a stable address whose updates are
// relaxed atomics; a family takes a reader lock to find a series and a writer
// lock only the first time a label combination appears. Hot paths resolve
// fixed series once and keep the reference.
#ifndef LINKGATEWAY_OBSERVABILITY_METRICS_REGISTRY_H_
#define LINKGATEWAY_OBSERVABILITY_METRICS_REGISTRY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace linkgateway::observability::metrics {

class Counter {
 public:
  void Increment(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(std::int64_t v) { value_.fetch_add(v, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Durations, in seconds, over fixed upper bounds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> const& bounds_seconds);
  void Observe(absl::Duration duration);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
    double sum_seconds = 0;
    std::uint64_t count = 0;
  };
  Snapshot Read() const;
  std::vector<double> const& bounds() const { return bounds_; }

 private:
  std::vector<double> const bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> const buckets_;  // bounds + 1
  std::atomic<std::int64_t> sum_nanos_{0};
};

// Latency buckets, 1 ms to 30 s.
std::vector<double> const& LatencyBuckets();

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  std::string const& name() const { return name_; }
  // Appends the family's HELP, TYPE and samples.
  virtual void Write(std::string& out) const = 0;

 protected:
  void WriteHeader(std::string& out, char const* type) const;
  // `name{labels} value`.
  void WriteSample(std::string& out, std::vector<std::string> const& values,
                   std::int64_t value) const;
  // `{a="x",b="y"` (no closing brace), or "" without labels.
  std::string LabelText(std::vector<std::string> const& values) const;

  std::string const name_;
  std::string const help_;
  std::vector<std::string> const label_names_;
};

// The series of one metric, by label values (in the order of the names).
template <typename Metric>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<Metric>()> make)
      : FamilyBase(std::move(name), std::move(help), std::move(label_names)),
        make_(std::move(make)) {}

  // The series for `values`, created on first use; its address is stable.
  Metric& With(std::vector<std::string> const& values) ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::ReaderMutexLock lock(&mu_);
      auto it = series_.find(values);
      if (it != series_.end()) return *it->second;
    }
    absl::MutexLock lock(&mu_);
    auto& slot = series_[values];
    if (slot == nullptr) slot = make_();
    return *slot;
  }

  void Write(std::string& out) const override;

 private:
  std::function<std::unique_ptr<Metric>()> const make_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_ ABSL_GUARDED_BY(mu_);
};

template <>
void Family<Counter>::Write(std::string& out) const;
template <>
void Family<Gauge>::Write(std::string& out) const;
template <>
void Family<Histogram>::Write(std::string& out) const;

// One series of a gauge read when scraped: its label values and its reader.
struct CallbackSeries {
  std::vector<std::string> values;
  std::function<double()> read;
};

class Registry {
 public:
  // Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and be new; label names
  // [a-zA-Z_][a-zA-Z0-9_]*. Counters' names end in _total.
  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> bounds_seconds = LatencyBuckets());
  // A gauge read when scraped (e.g. calls in flight kept elsewhere).
  void AddCallbackGauge(std::string name, std::string help, std::function<double()> read);
  // Gauges read when scraped, one series per label values given here (none:
  // the family is listed with no samples).
  void AddCallbackGauges(std::string name, std::string help, std::vector<std::string> label_names,
                         std::vector<CallbackSeries> series);

  // Every family, sorted by name, in the text exposition format.
  std::string Exposition() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  template <typename F>
  F& Add(std::unique_ptr<F> family) ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_ ABSL_GUARDED_BY(mu_);
};

// The content type of Registry::Exposition().
inline constexpr char kExpositionContentType[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace linkgateway::observability::metrics

#endif  // LINKGATEWAY_OBSERVABILITY_METRICS_REGISTRY_H_
