// The syntax tree of a .res file. Every node keeps the location of its first
// character so diagnostics can point at it.
#ifndef RESC_FRONTEND_AST_H
#define RESC_FRONTEND_AST_H

#include "llvm/Support/SMLoc.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace res::ast {

struct Expr {
  enum class Kind { Integer, Real, Name, Negate, Binary };
  Kind kind;
  llvm::SMLoc loc;
  int64_t integer = 0;
  double real = 0;
  std::string name; // Name
  char op = 0;      // Binary: + - * /
  std::unique_ptr<Expr> lhs, rhs;
};
using ExprPtr = std::unique_ptr<Expr>;

struct Argument {
  std::string name; // empty when positional
  llvm::SMLoc loc;
  ExprPtr value;
};

struct Dim {
  llvm::SMLoc loc;
  std::optional<int64_t> size; // a number, or
  std::string symbol;          // a size chosen at run time
};

struct Stmt;
using StmtList = std::vector<std::unique_ptr<Stmt>>;

struct Stmt {
  enum class Kind {
    Call,     // conv(...), relu, basic(32, stride = 2), ...
    Repeat,   // repeat n [tied] CALL [as P [from k]]
    Input,    // input NAME: f32[dims]
    Output,   // output NAME
    Save,     // save NAME
    Add,      // add NAME [pad]
    Concat,   // concat NAME
    Shortcut, // shortcut [when changed] { ... }
    After,    // after ACTIVATION
    Scale,    // scale branch|output = EXPR
    Gate,     // gate { ... } [as NAME]
    Residual, // residual { ... } [as NAME]: an inline residual
  };
  Kind kind;
  llvm::SMLoc loc;

  // Call (also the repeated call of Repeat, kept in `repeated`).
  std::string callee;
  std::vector<Argument> args;
  bool hasParens = false;
  std::string asName; // empty: generated
  llvm::SMLoc asLoc;

  // Repeat.
  ExprPtr count;
  bool tied = false;
  ExprPtr from;
  std::unique_ptr<Stmt> repeated;

  // Input / Output / Save / Add / Concat / After / Scale: the name or word.
  std::string name;
  llvm::SMLoc nameLoc;
  std::string elementType;
  std::vector<Dim> dims;
  // Add: `pad`, zero-padding the saved tensor's channels up to the current
  // tensor's.
  bool pad = false;

  // Shortcut (and the body of Gate and Residual).
  bool whenChanged = false;
  StmtList body;

  // Scale.
  ExprPtr value;
};

struct Param {
  std::string name;
  llvm::SMLoc loc;
  ExprPtr defaultValue; // may be null
};

struct Definition {
  enum class Kind { Model, Residual, Block };
  Kind kind;
  llvm::SMLoc loc;
  std::string name;
  llvm::SMLoc nameLoc;
  std::vector<Param> params;
  StmtList body;
};

struct File {
  std::vector<std::unique_ptr<Definition>> definitions;
};

} // namespace res::ast

#endif
