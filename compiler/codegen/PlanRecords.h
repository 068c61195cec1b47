// A compiled plan (Plan.h) in resc_format's form (format/ModelPlan.h): what
// `resc compile` writes into a library and what the JIT engine runs with the
// runtime's executor, so that both run the same records the same way.
#ifndef RESC_COMPILER_CODEGEN_PLANRECORDS_H
#define RESC_COMPILER_CODEGEN_PLANRECORDS_H

#include "compiler/codegen/Plan.h"
#include "format/ModelFormat.h"
#include "format/ModelPlan.h"

#include <vector>

namespace res {
namespace codegen {

/// Each kernel's operands and result as the Halide buffers its pipeline
/// pins (CompiledKernel::wrap): extents innermost first, batch aside.
std::vector<resc::format::KernelRec>
kernelRecords(const std::vector<KernelDesc> &kernels);

std::vector<resc::format::StepRec> stepRecords(const std::vector<Step> &steps);

/// The section of `plan` that runs `steps` (its forward steps, or a
/// training plan's forward): arena, slots, steps, the largest buffer and
/// the recipes with their packed sizes. The kernel records (a library's
/// table may hold the kernels of several plans), the names of inputs,
/// outputs and parameters and embedded weights are the caller's.
resc::format::ModelPlan sectionRecords(const Plan &plan,
                                       const std::vector<Step> &steps);

} // namespace codegen
} // namespace res

#endif
