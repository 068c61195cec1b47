// The parameters a model declares (`res.param`) and how they are bound to the
// tensors of a safetensors file. Used by `resc run`, `resc emit --weights`
// and every later engine, so the error messages that docs/weights.md
// documents ("Binding weights to a model": the key and both shapes) are
// produced in one place.
#ifndef RESC_COMPILER_WEIGHTS_PARAMBINDING_H
#define RESC_COMPILER_WEIGHTS_PARAMBINDING_H

#include "resc/Safetensors.h"
#include "resc/Tensor.h"

#include "dialect/ResDialect.h"

#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>
#include <vector>

namespace res {

/// One `res.param` of a module, in declaration order.
struct ParamInfo {
  std::string name;
  std::vector<int64_t> shape;
  /// The op carries a `value`, so nothing needs to be supplied for it.
  bool bound = false;
  /// Not trainable (BatchNorm running statistics).
  bool buffer = false;
  int64_t numel() const;
};

std::vector<ParamInfo> collectParams(mlir::ModuleOp module);

/// The outcome of matching a file's tensors against the model's parameters.
struct BindingResult {
  /// One message per problem, each naming the file and the key, so a user
  /// fixing a converted checkpoint sees every mismatch at once.
  std::vector<std::string> errors;
  /// Keys of the file that no unbound parameter asked for (sorted): an
  /// error in a strict load unless the model has a parameter of that name
  /// (bound in the IR) or it is PyTorch's `num_batches_tracked`.
  std::vector<std::string> ignoredKeys;
  bool ok() const { return errors.empty(); }
};

/// Moves the tensors of `file` that the unbound parameters need into `out`.
/// Bound parameters keep the value in the IR and are not looked up. A missing
/// key, a shape that differs from the model's, or a tensor that is not F32
/// (`otherDtypes`, as readSafetensors reports them) is an error, and so, when
/// `strict`, is a key the model does not have (resc_format's checkWeights:
/// the AOT runtime applies the same rules). `fileLabel` prefixes every
/// message. Nothing is moved unless every check passes.
BindingResult bindParams(const std::vector<ParamInfo> &params,
                         resc::TensorMap &file,
                         const std::map<std::string, std::string> &otherDtypes,
                         const std::string &fileLabel, resc::TensorMap &out,
                         bool strict = true);

/// Reads `path` and binds it as bindParams does; a file that cannot be read
/// gives one error.
BindingResult bindParamsFromFile(const std::vector<ParamInfo> &params,
                                 const std::string &path, resc::TensorMap &out,
                                 bool strict = true);

/// The value bound to `param` as a tensor, if it has one the runtime can
/// hold (dense f32 or a dense_resource f32 blob).
bool boundValue(ParamOp param, resc::Tensor &out, std::string &error);

/// Stores `values` (one tensor per parameter name) as the `value` of the
/// module's parameters of those names, as dense elements, so the module
/// carries its weights. Names that are not parameters are ignored; a tensor
/// whose shape differs from the parameter's is an error.
bool attachValues(mlir::ModuleOp module, const resc::TensorMap &values,
                  std::string &error);

} // namespace res

#endif
