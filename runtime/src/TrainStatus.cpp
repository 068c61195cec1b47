//===- TrainStatus.cpp - Errors of the training helpers -------------------===//

#include "TrainStatus.h"

#include <cstdio>

namespace resc {
namespace train {
namespace {
// Per thread, like resc_model_error_message(NULL): two threads training two
// models must not read each other's message.
thread_local std::string threadMessage;
} // namespace

resc_status failThread(resc_status status, std::string message) {
  threadMessage = std::move(message);
  return status;
}

std::string describe(const char *name, double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.9g", value);
  return std::string(name) + " is " + text;
}

} // namespace train
} // namespace resc

extern "C" const char *resc_train_error_message(void) {
  return resc::train::threadMessage.c_str();
}
