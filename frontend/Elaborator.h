// Semantic analysis and emission: walks the chosen model, instantiating
// definitions with their arguments, inferring every shape, naming every
// parameter as PyTorch's state_dict does, and emitting the res dialect with
// each op at the location of the statement that produced it. Errors inside
// a definition carry notes that walk back up the chain of uses.
#ifndef RESC_FRONTEND_ELABORATOR_H
#define RESC_FRONTEND_ELABORATOR_H

#include "frontend/AST.h"
#include "frontend/Frontend.h"
#include "frontend/Parser.h"
#include "frontend/Values.h"

#include "dialect/ResDialect.h"
#include "mlir/IR/Builders.h"

#include <map>
#include <set>

namespace res {

/// Statements allowed in one definition body; clauses are collected first.
class BuiltinArgs;

struct Clauses {
  const ast::Stmt *shortcut = nullptr;
  const ast::Stmt *after = nullptr;
  const ast::Stmt *scaleBranch = nullptr;
  const ast::Stmt *scaleOutput = nullptr;
};

/// The body of a residual (a definition or an inline `residual { }`) and
/// how errors refer to it.
struct ResidualBody {
  const ast::StmtList &body;
  std::string what;  // "residual block 'basic'", "the inline residual"
  std::string where; // where a missing clause goes: "its definition"
  llvm::SMLoc loc;
};

/// Names already taken in one scope (relative dotted paths) and the counters
/// behind generated names.
struct Scope {
  std::string prefix; // "" for the model, "layer1.0" inside a block
  std::set<std::string> used;
  std::set<std::string> reserved; // explicit `as` names of this body
  std::map<std::string, int> counters;

  std::string path(const std::string &name) const {
    return prefix.empty() ? name : prefix + "." + name;
  }
};

/// The tensor flowing through a statement list and the tensors it saved.
struct Flow {
  mlir::OpBuilder builder;
  mlir::Value current;
  std::map<std::string, mlir::Value> saved;
};

class Elaborator {
public:
  Elaborator(llvm::SourceMgr &sourceMgr, mlir::MLIRContext &context,
             const ast::File &file);

  mlir::OwningOpRef<mlir::ModuleOp> run(const FrontendOptions &options);

private:
  // Diagnostics.
  mlir::Location loc(llvm::SMLoc at);
  void error(llvm::SMLoc at, const std::string &message);
  ReportFn reporter();

  // Structure.
  mlir::LogicalResult elaborateModel(const ast::Definition &model);
  mlir::LogicalResult elaborateBody(const ast::StmtList &body, Environment &env,
                                    Scope &scope, Flow &flow);
  mlir::LogicalResult elaborateStatement(const ast::Stmt &stmt,
                                         Environment &env, Scope &scope,
                                         Flow &flow);
  mlir::LogicalResult elaborateCall(const ast::Stmt &call,
                                    const std::string &path, Environment &env,
                                    Flow &flow);
  mlir::LogicalResult elaborateRepeat(const ast::Stmt &stmt, Environment &env,
                                      Scope &scope, Flow &flow);
  /// `gate { BODY } [as NAME]`: the input times BODY(input), per channel.
  mlir::LogicalResult elaborateGate(const ast::Stmt &stmt, Environment &env,
                                    Scope &scope, Flow &flow);
  mlir::LogicalResult instantiate(const ast::Definition &def,
                                  const ast::Stmt &call,
                                  const std::string &path, Environment &env,
                                  Flow &flow);
  /// The statements on tokens [N, T, D] (Transformers).
  mlir::LogicalResult emitTokenBuiltin(const ast::Stmt &call, BuiltinArgs &args,
                                       const std::string &path, Flow &flow);
  mlir::LogicalResult instantiateResidual(const ast::Definition &def,
                                          const ast::Stmt &call,
                                          const std::string &path,
                                          Environment &calleeEnv, Flow &flow);
  mlir::LogicalResult elaborateInlineResidual(const ast::Stmt &stmt,
                                              Environment &env, Scope &scope,
                                              Flow &flow);
  mlir::LogicalResult elaborateResidual(const ResidualBody &body,
                                        llvm::SMLoc at,
                                        const std::string &layer,
                                        Environment &env, Scope &scope,
                                        Flow &flow);
  mlir::LogicalResult collectClauses(const ast::StmtList &body,
                                     const std::string &what, Clauses &clauses);
  mlir::LogicalResult saveOrCombine(const ast::Stmt &stmt, Scope &scope,
                                    Flow &flow);

  // Built-in statements (Builtins.cpp).
  bool isBuiltin(const std::string &name) const;
  mlir::LogicalResult emitBuiltin(const ast::Stmt &call,
                                  const std::string &path, Environment &env,
                                  Flow &flow);

  // Names and parameters.
  std::optional<std::string>
  claimName(const ast::Stmt &stmt, const std::string &keyword, Scope &scope);
  mlir::Value param(mlir::OpBuilder &builder, llvm::SMLoc at,
                    const std::string &name, llvm::ArrayRef<int64_t> shape,
                    bool buffer = false);
  mlir::RankedTensorType tensorType(llvm::ArrayRef<int64_t> dims);
  std::string shapeText(mlir::Type type);
  bool countOp(llvm::SMLoc at);

  llvm::SourceMgr &sourceMgr;
  mlir::MLIRContext &context;
  const ast::File &file;
  std::map<std::string, const ast::Definition *> definitions;
  mlir::ModuleOp module;
  mlir::func::FuncOp function;
  std::map<std::string, llvm::SMLoc> params;
  /// Definitions being instantiated, innermost last, with the use site.
  std::vector<std::pair<const ast::Definition *, llvm::SMLoc>> stack;
  int64_t opCount = 0;
  /// FrontendOptions::maxOps of this run.
  int64_t maxOps = kMaxOps;
  /// How many ops so far may have changed a spatial size that is only known
  /// at run time; a residual compares it before and after its branch, since
  /// equal types (`?` and `?`) do not prove equal shapes then.
  int64_t dynamicResizes = 0;
  bool hadError = false;
};

/// Upper bounds that keep hostile models from exhausting time or memory.
constexpr int64_t kMaxRepeatCount = 100000;

} // namespace res

#endif
