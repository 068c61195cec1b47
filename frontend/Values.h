// Compile-time values of .res expressions and the binding of call arguments
// to parameters (positional, named, defaults), shared by definitions and
// built-in statements.
#ifndef RESC_FRONTEND_VALUES_H
#define RESC_FRONTEND_VALUES_H

#include "frontend/AST.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace res {

struct Scalar {
  enum class Kind { Int, Real, Bool };
  Kind kind = Kind::Int;
  int64_t i = 0;
  double r = 0;
  bool b = false;

  static Scalar ofInt(int64_t v) { return {Kind::Int, v, 0, false}; }
  static Scalar ofReal(double v) { return {Kind::Real, 0, v, false}; }
  static Scalar ofBool(bool v) { return {Kind::Bool, 0, 0, v}; }
  double asReal() const { return kind == Kind::Int ? double(i) : r; }
  std::string str() const;
  const char *kindName() const;
};

using ReportFn = std::function<void(llvm::SMLoc, const std::string &)>;

/// Names visible to an expression: a definition's parameters and, inside a
/// definition, `in_channels`.
struct Environment {
  std::map<std::string, Scalar> vars;
  std::optional<int64_t> inChannels;
};

/// Evaluates `expr`; integer arithmetic is checked for overflow and `/` of
/// two integers rounds toward zero (so `k / 2` is 1 for k = 3).
std::optional<Scalar> evaluate(const ast::Expr &expr, const Environment &env,
                               const ReportFn &report);

/// A parameter of a built-in statement or of a definition.
struct ParamSpec {
  std::string name;
  /// Null: required. Otherwise evaluated with the earlier parameters bound.
  std::function<std::optional<Scalar>(const Environment &)> defaultValue;
};

/// Binds `args` to `params` (positional first, then named), evaluating each
/// argument in `callerEnv` and each default in the environment of the
/// parameters bound so far. Reports arity, unknown and duplicate names.
std::optional<Environment>
bindArguments(const std::string &callee, const std::vector<ParamSpec> &params,
              const std::vector<ast::Argument> &args, llvm::SMLoc callLoc,
              const Environment &callerEnv, Environment calleeEnv,
              const ReportFn &report);

} // namespace res

#endif
