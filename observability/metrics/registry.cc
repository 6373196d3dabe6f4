#include "observability/metrics/registry.h"

#include <cstdlib>
#include <iostream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace linkgateway::observability::metrics {
namespace {

bool ValidName(std::string const& name, bool colon_allowed) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' ||
              (colon_allowed && c == ':') ||
              (i > 0 && absl::ascii_isdigit(static_cast<unsigned char>(c)));
    if (!ok) return false;
  }
  return true;
}

// A registration mistake is a programming error: stop at start-up, loudly.
void Require(bool condition, std::string const& what) {
  if (condition) return;
  std::cerr << "linkgateway: metrics registry: " << what << std::endl;
  std::abort();
}

std::string EscapeLabelValue(std::string const& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string const& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// The shortest text that reads back as the same double.
std::string Number(double value) {
  for (int precision : {6, 15}) {
    std::string text = absl::StrFormat("%.*g", precision, value);
    if (std::strtod(text.c_str(), nullptr) == value) return text;
  }
  return absl::StrFormat("%.17g", value);
}

std::string Braced(std::string labels) { return labels.empty() ? "" : labels + "}"; }

}  // namespace

std::vector<double> const& LatencyBuckets() {
  static auto const* buckets = new std::vector<double>{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return *buckets;
}

Histogram::Histogram(std::vector<double> const& bounds_seconds)
    : bounds_(bounds_seconds),
      buckets_(new std::atomic<std::uint64_t>[bounds_seconds.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(absl::Duration duration) {
  double seconds = absl::ToDoubleSeconds(duration);
  std::size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(absl::ToInt64Nanoseconds(duration), std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(running);
  }
  snapshot.count = running;
  snapshot.sum_seconds = static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
  return snapshot;
}

FamilyBase::FamilyBase(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {
  Require(ValidName(name_, true), absl::StrCat("invalid metric name \"", name_, "\""));
  for (auto const& label : label_names_) {
    Require(ValidName(label, false) && label.rfind("__", 0) != 0 && label != "le",
            absl::StrCat(name_, ": invalid label name \"", label, "\""));
  }
}

void FamilyBase::WriteHeader(std::string& out, char const* type) const {
  absl::StrAppend(&out, "# HELP ", name_, " ", EscapeHelp(help_), "\n# TYPE ", name_, " ", type,
                  "\n");
}

void FamilyBase::WriteSample(std::string& out, std::vector<std::string> const& values,
                             std::int64_t value) const {
  absl::StrAppend(&out, name_, Braced(LabelText(values)), " ", value, "\n");
}

std::string FamilyBase::LabelText(std::vector<std::string> const& values) const {
  std::string out;
  for (std::size_t i = 0; i < label_names_.size(); ++i) {
    // An empty value is the same as no label to Prometheus; leaving it out
    // keeps a series' name stable when a label is added to its family.
    if (i >= values.size() || values[i].empty()) continue;
    absl::StrAppend(&out, out.empty() ? "{" : ",", label_names_[i], "=\"",
                    EscapeLabelValue(values[i]), "\"");
  }
  return out;
}

template <>
void Family<Counter>::Write(std::string& out) const {
  WriteHeader(out, "counter");
  absl::ReaderMutexLock lock(&mu_);
  for (auto const& [values, metric] : series_) {
    WriteSample(out, values, static_cast<std::int64_t>(metric->value()));
  }
}

template <>
void Family<Gauge>::Write(std::string& out) const {
  WriteHeader(out, "gauge");
  absl::ReaderMutexLock lock(&mu_);
  for (auto const& [values, metric] : series_) {
    WriteSample(out, values, static_cast<std::int64_t>(metric->value()));
  }
}

template <>
void Family<Histogram>::Write(std::string& out) const {
  WriteHeader(out, "histogram");
  absl::ReaderMutexLock lock(&mu_);
  for (auto const& [values, histogram] : series_) {
    std::string labels = LabelText(values);
    std::string open = labels.empty() ? "{" : labels + ",";
    Histogram::Snapshot snapshot = histogram->Read();
    auto const& bounds = histogram->bounds();
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      absl::StrAppend(&out, name_, "_bucket", open, "le=\"", Number(bounds[i]), "\"} ",
                      snapshot.cumulative[i], "\n");
    }
    absl::StrAppend(&out, name_, "_bucket", open, "le=\"+Inf\"} ", snapshot.count, "\n");
    absl::StrAppend(&out, name_, "_sum", Braced(labels), " ", Number(snapshot.sum_seconds), "\n");
    absl::StrAppend(&out, name_, "_count", Braced(labels), " ", snapshot.count, "\n");
  }
}

namespace {

class CallbackGauge final : public FamilyBase {
 public:
  CallbackGauge(std::string name, std::string help, std::vector<std::string> label_names,
                std::vector<CallbackSeries> series)
      : FamilyBase(std::move(name), std::move(help), std::move(label_names)),
        series_(std::move(series)) {}
  void Write(std::string& out) const override {
    WriteHeader(out, "gauge");
    for (auto const& series : series_) {
      absl::StrAppend(&out, name_, Braced(LabelText(series.values)), " ", Number(series.read()),
                      "\n");
    }
  }

 private:
  std::vector<CallbackSeries> const series_;
};

}  // namespace

template <typename F>
F& Registry::Add(std::unique_ptr<F> family) {
  absl::MutexLock lock(&mu_);
  std::string const& name = family->name();
  Require(families_.count(name) == 0, absl::StrCat("metric \"", name, "\" registered twice"));
  F& ref = *family;
  families_.emplace(name, std::move(family));
  return ref;
}

Family<Counter>& Registry::AddCounter(std::string name, std::string help,
                                      std::vector<std::string> label_names) {
  Require(name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0,
          absl::StrCat("counter \"", name, "\" must end in _total"));
  return Add(std::make_unique<Family<Counter>>(std::move(name), std::move(help),
                                               std::move(label_names),
                                               [] { return std::make_unique<Counter>(); }));
}

Family<Gauge>& Registry::AddGauge(std::string name, std::string help,
                                  std::vector<std::string> label_names) {
  return Add(std::make_unique<Family<Gauge>>(std::move(name), std::move(help),
                                             std::move(label_names),
                                             [] { return std::make_unique<Gauge>(); }));
}

Family<Histogram>& Registry::AddHistogram(std::string name, std::string help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> bounds_seconds) {
  for (std::size_t i = 1; i < bounds_seconds.size(); ++i) {
    Require(bounds_seconds[i - 1] < bounds_seconds[i],
            absl::StrCat(name, ": bucket bounds must increase"));
  }
  return Add(std::make_unique<Family<Histogram>>(
      std::move(name), std::move(help), std::move(label_names),
      [bounds = std::move(bounds_seconds)] { return std::make_unique<Histogram>(bounds); }));
}

void Registry::AddCallbackGauge(std::string name, std::string help, std::function<double()> read) {
  AddCallbackGauges(std::move(name), std::move(help), {}, {{{}, std::move(read)}});
}

void Registry::AddCallbackGauges(std::string name, std::string help,
                                 std::vector<std::string> label_names,
                                 std::vector<CallbackSeries> series) {
  Add(std::make_unique<CallbackGauge>(std::move(name), std::move(help), std::move(label_names),
                                      std::move(series)));
}

std::string Registry::Exposition() const {
  std::string out;
  absl::ReaderMutexLock lock(&mu_);
  for (auto const& [name, family] : families_) family->Write(out);
  return out;
}

}  // namespace linkgateway::observability::metrics
