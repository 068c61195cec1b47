#include "frontend/Values.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace res {

std::string Scalar::str() const {
  switch (kind) {
  case Kind::Int:
    return std::to_string(i);
  case Kind::Bool:
    return b ? "true" : "false";
  case Kind::Real: {
    std::ostringstream os;
    os << r;
    return os.str();
  }
  }
  return "";
}

const char *Scalar::kindName() const {
  switch (kind) {
  case Kind::Int:
    return "an integer";
  case Kind::Real:
    return "a number";
  case Kind::Bool:
    return "a boolean";
  }
  return "";
}

static std::optional<Scalar> arithmetic(char op, const Scalar &a,
                                        const Scalar &b, llvm::SMLoc loc,
                                        const ReportFn &report) {
  if (a.kind == Scalar::Kind::Bool || b.kind == Scalar::Kind::Bool) {
    report(loc, std::string("arithmetic on a boolean ('") + op + "')");
    return std::nullopt;
  }
  if (a.kind == Scalar::Kind::Int && b.kind == Scalar::Kind::Int) {
    int64_t r = 0;
    bool overflow = false;
    switch (op) {
    case '+':
      overflow = __builtin_add_overflow(a.i, b.i, &r);
      break;
    case '-':
      overflow = __builtin_sub_overflow(a.i, b.i, &r);
      break;
    case '*':
      overflow = __builtin_mul_overflow(a.i, b.i, &r);
      break;
    case '/':
      if (b.i == 0) {
        report(loc, "division by zero");
        return std::nullopt;
      }
      if (a.i == INT64_MIN && b.i == -1)
        overflow = true;
      else
        r = a.i / b.i;
      break;
    }
    if (overflow) {
      report(loc, "integer overflow in " + a.str() + " " + op + " " + b.str());
      return std::nullopt;
    }
    return Scalar::ofInt(r);
  }
  double x = a.asReal(), y = b.asReal(), r = 0;
  switch (op) {
  case '+':
    r = x + y;
    break;
  case '-':
    r = x - y;
    break;
  case '*':
    r = x * y;
    break;
  case '/':
    if (y == 0) {
      report(loc, "division by zero");
      return std::nullopt;
    }
    r = x / y;
    break;
  }
  if (!std::isfinite(r)) {
    report(loc, "the result is not a finite number");
    return std::nullopt;
  }
  return Scalar::ofReal(r);
}

std::optional<Scalar> evaluate(const ast::Expr &expr, const Environment &env,
                               const ReportFn &report) {
  using K = ast::Expr::Kind;
  switch (expr.kind) {
  case K::Integer:
    return Scalar::ofInt(expr.integer);
  case K::Real:
    if (!std::isfinite(expr.real)) {
      report(expr.loc, "number out of range");
      return std::nullopt;
    }
    return Scalar::ofReal(expr.real);
  case K::Name: {
    auto it = env.vars.find(expr.name);
    if (it != env.vars.end())
      return it->second;
    if (expr.name == "true" || expr.name == "false")
      return Scalar::ofBool(expr.name == "true");
    if (expr.name == "in_channels") {
      if (env.inChannels)
        return Scalar::ofInt(*env.inChannels);
      report(expr.loc, "'in_channels' is only defined inside a residual or "
                       "block definition whose input has a known channel "
                       "count");
      return std::nullopt;
    }
    std::string known;
    for (auto &[name, _] : env.vars)
      known += (known.empty() ? "" : ", ") + name;
    report(expr.loc,
           "unknown name '" + expr.name + "'" +
               (known.empty() ? std::string() : "; names in scope: " + known));
    return std::nullopt;
  }
  case K::Negate: {
    auto v = evaluate(*expr.lhs, env, report);
    if (!v)
      return std::nullopt;
    if (v->kind == Scalar::Kind::Bool) {
      report(expr.loc, "cannot negate a boolean");
      return std::nullopt;
    }
    if (v->kind == Scalar::Kind::Int) {
      if (v->i == INT64_MIN) {
        report(expr.loc, "integer overflow");
        return std::nullopt;
      }
      return Scalar::ofInt(-v->i);
    }
    return Scalar::ofReal(-v->r);
  }
  case K::Binary: {
    auto a = evaluate(*expr.lhs, env, report);
    if (!a)
      return std::nullopt;
    auto b = evaluate(*expr.rhs, env, report);
    if (!b)
      return std::nullopt;
    return arithmetic(expr.op, *a, *b, expr.loc, report);
  }
  }
  return std::nullopt;
}

static std::string signature(const std::string &callee,
                             const std::vector<ParamSpec> &params) {
  std::string s = callee + "(";
  for (size_t i = 0; i < params.size(); ++i)
    s += (i ? ", " : "") + params[i].name +
         (params[i].defaultValue ? " = ..." : "");
  return s + ")";
}

std::optional<Environment>
bindArguments(const std::string &callee, const std::vector<ParamSpec> &params,
              const std::vector<ast::Argument> &args, llvm::SMLoc callLoc,
              const Environment &callerEnv, Environment calleeEnv,
              const ReportFn &report) {
  std::vector<const ast::Argument *> slots(params.size(), nullptr);
  size_t positional = 0;
  bool sawNamed = false;
  for (const ast::Argument &arg : args) {
    if (arg.name.empty()) {
      if (sawNamed) {
        report(arg.loc, "positional argument after a named one in the call "
                        "of '" +
                            callee + "'");
        return std::nullopt;
      }
      if (positional >= params.size()) {
        report(arg.loc, "too many arguments: '" + callee + "' takes " +
                            std::to_string(params.size()) + " (" +
                            signature(callee, params) + ")");
        return std::nullopt;
      }
      slots[positional++] = &arg;
      continue;
    }
    sawNamed = true;
    auto it =
        std::find_if(params.begin(), params.end(),
                     [&](const ParamSpec &p) { return p.name == arg.name; });
    if (it == params.end()) {
      report(arg.loc, "'" + callee + "' has no parameter named '" + arg.name +
                          "' (" + signature(callee, params) + ")");
      return std::nullopt;
    }
    size_t index = it - params.begin();
    if (slots[index]) {
      report(arg.loc, "argument '" + arg.name + "' is given twice");
      return std::nullopt;
    }
    slots[index] = &arg;
  }
  for (size_t i = 0; i < params.size(); ++i) {
    std::optional<Scalar> value;
    if (slots[i]) {
      value = evaluate(*slots[i]->value, callerEnv, report);
    } else if (params[i].defaultValue) {
      value = params[i].defaultValue(calleeEnv);
    } else {
      report(callLoc, "missing argument '" + params[i].name +
                          "' in the call "
                          "of '" +
                          callee + "' (" + signature(callee, params) + ")");
      return std::nullopt;
    }
    if (!value)
      return std::nullopt;
    calleeEnv.vars[params[i].name] = *value;
  }
  return calleeEnv;
}

} // namespace res
