//===- TrainStatus.h - Errors of the training helpers -----------*- C++ -*-===//
//
// The training helpers' C functions report through a status code and a kept
// message (resc_train.h). Calls without an optimiser keep theirs per thread;
// this is where that message lives, shared by the losses and the optimisers.
//
//===----------------------------------------------------------------------===//
#ifndef RESC_RUNTIME_TRAINSTATUS_H
#define RESC_RUNTIME_TRAINSTATUS_H

#include "resc/resc_train.h"

#include <string>

namespace resc {
namespace train {

/// Keeps `message` as this thread's last training-helper error and returns
/// `status`, so that a check reads `return fail(CODE, "...")`.
resc_status failThread(resc_status status, std::string message);

/// "NAME is VALUE" with VALUE printed so that NaN, infinities and values
/// like 1e-08 read as the caller wrote them.
std::string describe(const char *name, double value);

} // namespace train
} // namespace resc

#endif
