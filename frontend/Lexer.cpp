#include "frontend/Lexer.h"

#include "llvm/ADT/StringExtras.h"

namespace res {

const char *tokenDescription(Tok kind) {
  switch (kind) {
  case Tok::Eof:
    return "end of file";
  case Tok::Newline:
    return "end of statement";
  case Tok::Identifier:
    return "name";
  case Tok::Integer:
    return "integer";
  case Tok::Real:
    return "number";
  case Tok::LBrace:
    return "'{'";
  case Tok::RBrace:
    return "'}'";
  case Tok::LParen:
    return "'('";
  case Tok::RParen:
    return "')'";
  case Tok::LBracket:
    return "'['";
  case Tok::RBracket:
    return "']'";
  case Tok::Comma:
    return "','";
  case Tok::Colon:
    return "':'";
  case Tok::Equal:
    return "'='";
  case Tok::Plus:
    return "'+'";
  case Tok::Minus:
    return "'-'";
  case Tok::Star:
    return "'*'";
  case Tok::Slash:
    return "'/'";
  case Tok::Dot:
    return "'.'";
  case Tok::Error:
    return "invalid text";
  }
  return "token";
}

static bool isIdentStart(char c) { return llvm::isAlpha(c) || c == '_'; }
static bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_'; }

Lexer::Lexer(llvm::StringRef buffer) : buffer(buffer), pos(buffer.begin()) {
  current = lexToken();
}

Token Lexer::take() {
  Token t = current;
  if (t.kind != Tok::Eof && t.kind != Tok::Error)
    current = lexToken();
  return t;
}

Token Lexer::takePath() {
  const char *start = current.loc.getPointer();
  if (current.kind == Tok::Eof || current.kind == Tok::Error)
    return take();
  const char *p = start;
  const char *end = buffer.end();
  while (true) {
    const char *part = p;
    // `{i}` stands for a repeat's copy index (`encoder_layer_{i}`); the
    // elaborator accepts it only in a repeat's name.
    while (p != end) {
      if (isIdentChar(*p))
        ++p;
      else if (end - p >= 3 && llvm::StringRef(p, 3) == "{i}")
        p += 3;
      else
        break;
    }
    if (p == part)
      return makeError(part, "expected a name such as 'conv1' or "
                             "'downsample.0'");
    if (p == end || *p != '.')
      break;
    ++p;
  }
  Token t;
  t.kind = Tok::Identifier;
  t.text = llvm::StringRef(start, p - start);
  t.loc = llvm::SMLoc::getFromPointer(start);
  pos = p;
  current = lexToken();
  return t;
}

Token Lexer::makeToken(Tok kind, const char *start) const {
  Token t;
  t.kind = kind;
  t.text = llvm::StringRef(start, pos - start);
  t.loc = llvm::SMLoc::getFromPointer(start);
  return t;
}

Token Lexer::makeError(const char *at, std::string message) const {
  Token t;
  t.kind = Tok::Error;
  t.loc = llvm::SMLoc::getFromPointer(at);
  t.text = llvm::StringRef(at, at == buffer.end() ? 0 : 1);
  t.error = std::move(message);
  return t;
}

void Lexer::skipSpaceAndComments() {
  const char *end = buffer.end();
  while (pos != end) {
    char c = *pos;
    if (c == ' ' || c == '\t' || c == '\r' || (c == '\n' && parenDepth > 0)) {
      ++pos;
    } else if (c == '#') {
      while (pos != end && *pos != '\n')
        ++pos;
    } else {
      break;
    }
  }
}

Token Lexer::lexToken() {
  skipSpaceAndComments();
  const char *start = pos;
  if (pos == buffer.end())
    return makeToken(Tok::Eof, start);
  char c = *pos++;
  switch (c) {
  case '\n':
  case ';':
    return makeToken(Tok::Newline, start);
  case '{':
    return makeToken(Tok::LBrace, start);
  case '}':
    return makeToken(Tok::RBrace, start);
  case '(':
    ++parenDepth;
    return makeToken(Tok::LParen, start);
  case ')':
    if (parenDepth > 0)
      --parenDepth;
    return makeToken(Tok::RParen, start);
  case '[':
    ++parenDepth;
    return makeToken(Tok::LBracket, start);
  case ']':
    if (parenDepth > 0)
      --parenDepth;
    return makeToken(Tok::RBracket, start);
  case ',':
    return makeToken(Tok::Comma, start);
  case ':':
    return makeToken(Tok::Colon, start);
  case '=':
    return makeToken(Tok::Equal, start);
  case '+':
    return makeToken(Tok::Plus, start);
  case '-':
    return makeToken(Tok::Minus, start);
  case '*':
    return makeToken(Tok::Star, start);
  case '/':
    return makeToken(Tok::Slash, start);
  case '.':
    if (pos == buffer.end() || !llvm::isDigit(*pos))
      return makeToken(Tok::Dot, start);
    break; // `.5`: a number
  default:
    break;
  }
  const char *end = buffer.end();
  if (isIdentStart(c)) {
    while (pos != end && isIdentChar(*pos))
      ++pos;
    return makeToken(Tok::Identifier, start);
  }
  if (llvm::isDigit(c) || c == '.') {
    bool real = c == '.';
    while (pos != end && llvm::isDigit(*pos))
      ++pos;
    // `1.5` is a number but `0.conv` (a path) is not: a dot continues the
    // number only when a digit follows.
    if (!real && pos + 1 < end && *pos == '.' && llvm::isDigit(pos[1])) {
      real = true;
      ++pos;
      while (pos != end && llvm::isDigit(*pos))
        ++pos;
    }
    if (pos != end && (*pos == 'e' || *pos == 'E')) {
      const char *e = pos + 1;
      if (e != end && (*e == '+' || *e == '-'))
        ++e;
      if (e != end && llvm::isDigit(*e)) {
        real = true;
        pos = e;
        while (pos != end && llvm::isDigit(*pos))
          ++pos;
      }
    }
    if (pos != end && isIdentStart(*pos))
      return makeError(pos, "unexpected letter after a number");
    return makeToken(real ? Tok::Real : Tok::Integer, start);
  }
  pos = start;
  unsigned char u = static_cast<unsigned char>(c);
  std::string shown = u >= 0x20 && u < 0x7f
                          ? "'" + std::string(1, c) + "'"
                          : "byte 0x" + llvm::utohexstr(u, /*LowerCase=*/true);
  return makeError(start, "unexpected character " + shown);
}

} // namespace res
