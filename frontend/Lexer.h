// Tokens of the .res language. The lexer is lazy (one token of lookahead) so
// the parser can ask for a dotted path (`downsample.0`) where a name is
// expected, which the ordinary rules would split into `downsample` and `.0`.
#ifndef RESC_FRONTEND_LEXER_H
#define RESC_FRONTEND_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <string>

namespace res {

enum class Tok {
  Eof,
  Newline, // a statement end: newline or ';'
  Identifier,
  Integer,
  Real,
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Colon,
  Equal,
  Plus,
  Minus,
  Star,
  Slash,
  Dot,
  Error, // text holds the message
};

struct Token {
  Tok kind = Tok::Eof;
  llvm::StringRef text;
  llvm::SMLoc loc;
  std::string error;

  bool is(Tok k) const { return kind == k; }
  bool isKeyword(llvm::StringRef word) const {
    return kind == Tok::Identifier && text == word;
  }
};

const char *tokenDescription(Tok kind);

class Lexer {
public:
  explicit Lexer(llvm::StringRef buffer);

  const Token &peek() const { return current; }
  Token take();

  /// Re-reads the current token as a dotted path of letters, digits and
  /// underscores (`layer2.0.downsample.1`); returns an Error token if the
  /// text there is not one.
  Token takePath();

  /// Newlines inside (), [] are not statement ends, so argument lists may
  /// span lines; the lexer tracks the nesting itself.
private:
  Token lexToken();
  Token makeToken(Tok kind, const char *start) const;
  Token makeError(const char *at, std::string message) const;
  void skipSpaceAndComments();

  llvm::StringRef buffer;
  const char *pos;
  int parenDepth = 0;
  Token current;
};

} // namespace res

#endif
