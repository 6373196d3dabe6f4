// Reads one sample from a Prometheus text exposition, for assertions.
#ifndef LINKGATEWAY_TESTS_TESTING_METRICS_TEXT_H_
#define LINKGATEWAY_TESTS_TESTING_METRICS_TEXT_H_

#include <cstdlib>
#include <sstream>
#include <string>

namespace linkgateway::tests::testing {

// The value of `series` (its name and labels exactly as written, e.g.
// `linkgateway_rejected_calls_total{reason="OVERLOADED"}`), or -1 when the
// exposition has no such sample.
inline double MetricValue(std::string const& exposition, std::string const& series) {
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
    }
  }
  return -1;
}

}  // namespace linkgateway::tests::testing

#endif  // LINKGATEWAY_TESTS_TESTING_METRICS_TEXT_H_
