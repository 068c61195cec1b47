// Definitions of RunInputs.h.
#include "compiler/tools/resc/RunInputs.h"
#include "compiler/driver/LoadModel.h"

#include "compiler/weights/InitWeights.h"

#include "resc/Npy.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace mlir;

namespace resc::cli {

std::string joined(const std::vector<std::string> &names) {
  std::string list;
  for (const std::string &n : names)
    list += (list.empty() ? "" : ", ") + n;
  return list;
}

/// Splits "NAME=FILE" when NAME is one of `names`; otherwise the whole spec
/// is a file for the only name, so paths with '=' in them still work.
bool splitSpec(const std::string &spec, const std::vector<std::string> &names,
               const char *what, std::map<std::string, std::string> &out) {
  size_t eq = spec.find('=');
  std::string name, file = spec;
  if (eq != std::string::npos && std::find(names.begin(), names.end(),
                                           spec.substr(0, eq)) != names.end()) {
    name = spec.substr(0, eq);
    file = spec.substr(eq + 1);
  } else if (eq != std::string::npos &&
             spec.substr(0, eq).find_first_of("/.") == std::string::npos) {
    // "foo=x.npy" with no model input "foo": a misspelt name rather than a
    // path, since it has neither a '/' nor a '.'.
    reportError("the model has no " + std::string(what) + " '" +
                spec.substr(0, eq) + "'; its " + what + "s: " + joined(names));
    return false;
  } else if (names.size() == 1) {
    name = names.front();
  } else {
    reportError(std::string("--") + what + " '" + spec +
                "' must be NAME=FILE.npy with NAME one of the model's " + what +
                "s: " + joined(names));
    return false;
  }
  if (file.empty()) {
    reportError(std::string("--") + what + " '" + spec + "' names no file");
    return false;
  }
  if (!out.emplace(name, file).second) {
    reportError(std::string("--") + what + " given twice for '" + name + "'");
    return false;
  }
  return true;
}

bool fitsDims(const std::vector<int64_t> &shape,
              const std::vector<int64_t> &dims) {
  if (shape.size() != dims.size())
    return false;
  for (size_t i = 0; i < dims.size(); ++i)
    if (dims[i] >= 0 && dims[i] != shape[i])
      return false;
  return true;
}

bool prepareInputs(func::FuncOp model, const RunOptions &options, bool verbose,
                   std::vector<resc::Tensor> &inputs) {
  std::vector<std::string> names;
  for (unsigned i = 0; i < model.getNumArguments(); ++i)
    names.push_back(inputName(model, i));
  std::map<std::string, std::string> files;
  for (const std::string &spec : options.inputs)
    if (!splitSpec(spec, names, "input", files))
      return false;
  for (unsigned i = 0; i < names.size(); ++i) {
    std::vector<int64_t> dims = typeDims(model.getArgumentTypes()[i]);
    resc::Tensor tensor;
    auto file = files.find(names[i]);
    if (file != files.end()) {
      std::string error;
      if (!resc::readNpy(file->second, tensor, error)) {
        reportError(error);
        return false;
      }
      if (!fitsDims(tensor.shape, dims)) {
        reportError("input '" + names[i] + "' from " + file->second +
                    " has shape " + resc::shapeToString(tensor.shape) +
                    " but the model expects " + formatShape(dims));
        return false;
      }
      if (options.batchGiven && tensor.shape[0] != options.batch)
        llvm::errs() << "resc: warning: --batch " << options.batch
                     << " does not apply to input '" << names[i]
                     << "', read from " << file->second << " with batch "
                     << tensor.shape[0] << "\n";
    } else {
      const std::vector<int64_t> declared = dims;
      if (options.batchGiven && !dims.empty() && dims[0] >= 0 &&
          dims[0] != options.batch)
        llvm::errs() << "resc: warning: --batch " << options.batch
                     << " does not apply to input '" << names[i]
                     << "', whose batch the model fixes at " << dims[0] << "\n";
      for (size_t d = 0; d < dims.size(); ++d) {
        if (dims[d] >= 0)
          continue;
        if (d != 0) {
          reportError("input '" + names[i] + "' " + formatShape(declared) +
                      " has a dynamic dimension " + std::to_string(d) +
                      " that a seeded input cannot size; give the input "
                      "with --input " +
                      names[i] + "=FILE.npy");
          return false;
        }
        dims[d] = options.batch;
      }
      int64_t numel = resc::checkedNumel(dims);
      if (numel < 0 || numel > res::kMaxSeededElements) {
        reportError("input '" + names[i] + "' of shape " +
                    resc::shapeToString(dims) +
                    " is too large to seed (at most 2^31 elements)");
        return false;
      }
      tensor = res::seededInput(names[i], dims, options.seed);
      if (verbose)
        llvm::errs() << "resc: input '" << names[i] << "' seeded "
                     << resc::shapeToString(dims) << " (seed " << options.seed
                     << ")\n";
    }
    inputs.push_back(std::move(tensor));
  }
  return true;
}

bool prepareRun(ModuleOp module, func::FuncOp model, const RunOptions &options,
                bool verbose, RunSetup &setup) {
  if (!loadOrSeedWeights(module, options.weights, !options.nonStrict,
                         options.seed, verbose, setup.params))
    return false;
  for (unsigned i = 0; i < model.getNumResults(); ++i)
    setup.outputNames.push_back(outputName(model, i));
  for (const std::string &spec : options.outputs)
    if (!splitSpec(spec, setup.outputNames, "output", setup.outputFiles))
      return false;
  return prepareInputs(model, options, verbose, setup.inputs);
}

void printSummary(const std::string &name, const resc::Tensor &tensor) {
  auto &os = llvm::outs();
  os << name << ": " << resc::shapeToString(tensor.shape) << "\n";
  if (tensor.data.empty()) {
    os << "  (no elements)\n";
    return;
  }
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  int64_t nonFinite = 0;
  for (float v : tensor.data) {
    if (!std::isfinite(v)) {
      ++nonFinite;
      continue;
    }
    lo = std::min<double>(lo, v);
    hi = std::max<double>(hi, v);
    sum += v;
  }
  int64_t finite = tensor.numel() - nonFinite;
  if (finite > 0)
    os << llvm::format("  min %.6g  max %.6g  mean %.6g\n", lo, hi,
                       sum / finite);
  if (nonFinite > 0)
    os << "  " << nonFinite << " values are NaN or infinite\n";
  const int64_t shown = std::min<int64_t>(tensor.numel(), 8);
  os << "  values:";
  for (int64_t i = 0; i < shown; ++i)
    os << llvm::format(" %.6g", tensor.data[i]);
  if (shown < tensor.numel())
    os << " ... (first " << shown << " of " << withCommas(tensor.numel())
       << ")";
  os << "\n";
  if (tensor.rank() == 2 && tensor.shape[1] > 0) {
    const int64_t rows = tensor.shape[0], cols = tensor.shape[1];
    const int64_t shownRows = std::min<int64_t>(rows, 16);
    os << "  argmax:";
    for (int64_t r = 0; r < shownRows; ++r) {
      const float *row = tensor.data.data() + r * cols;
      os << " " << (std::max_element(row, row + cols) - row);
    }
    if (shownRows < rows)
      os << " ... (first " << shownRows << " of " << rows << " rows)";
    os << "\n";
  }
}

void printProfile(const std::vector<res::codegen::LayerProfile> &layers) {
  double total = 0;
  for (const auto &l : layers)
    total += l.seconds;
  auto &os = llvm::outs();
  os << llvm::format("%-32s %-28s %6s %10s %7s %9s\n", (const char *)"layer",
                     (const char *)"kernel", (const char *)"calls",
                     (const char *)"time ms", (const char *)"share",
                     (const char *)"GFLOP/s");
  for (const auto &l : layers) {
    std::string kernel =
        l.kernel.size() > 28 ? l.kernel.substr(0, 25) + "..." : l.kernel;
    os << llvm::format("%-32s %-28s %6lld %10.3f %6.1f%%", l.layer.c_str(),
                       kernel.c_str(), (long long)l.calls, l.seconds * 1e3,
                       total > 0 ? 100 * l.seconds / total : 0.0);
    if (l.flops > 0 && l.seconds > 0)
      os << llvm::format(" %9.1f", l.flops / l.seconds / 1e9);
    os << "\n";
  }
  os << llvm::format("%-32s %-28s %6s %10.3f\n", (const char *)"total",
                     (const char *)"", (const char *)"", total * 1e3);
}

} // namespace resc::cli
