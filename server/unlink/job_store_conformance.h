// What every JobStore must do, as a value-parameterized test suite: each
// implementation instantiates it with a factory of fresh, empty stores
// (INSTANTIATE_TEST_SUITE_P(Sqlite, JobStoreConformance, ...)).
#ifndef LINKGATEWAY_SERVER_UNLINK_JOB_STORE_CONFORMANCE_H_
#define LINKGATEWAY_SERVER_UNLINK_JOB_STORE_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "server/unlink/job_store.h"

namespace linkgateway::server::unlink {

using JobStoreFactory = std::function<std::unique_ptr<JobStore>()>;

class JobStoreConformance : public ::testing::TestWithParam<JobStoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam()();
    ASSERT_NE(store_, nullptr);
  }
  std::unique_ptr<JobStore> store_;
};

// A job of `steps` pending steps.
StoredJob MakeJob(std::string const& name, std::string const& caller,
                  std::string const& request_id, int steps, std::string const& fingerprint = "f");

}  // namespace linkgateway::server::unlink

#endif  // LINKGATEWAY_SERVER_UNLINK_JOB_STORE_CONFORMANCE_H_
