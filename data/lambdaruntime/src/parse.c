/*
 * An event's bytes as R values, the same as jsonlite::fromJSON(text, simplifyVector = FALSE) returns (tested against
 * it, value for value): objects are named lists (duplicate keys kept, {} a list with empty names), arrays unnamed
 * lists, strings character(1) in UTF-8, true/false logical(1), null NULL, and numbers integer(1) when written
 * without fraction or exponent and within +-2147483647, else double(1). Where jsonlite's parser (yajl) has
 * quirks, they are kept: comments are allowed, \u0000 ends a string, a lone high surrogate escape becomes "?",
 * a byte order mark is skipped with a warning, and UTF-8 is checked by yajl's rule.
 *
 * Why not jsonlite: yajl first builds a C tree of the whole document and then converts it, which for a 3.5 MB event
 * costs about 50 MB at the peak on top of the result. This parser builds the R values as it reads, so the peak is
 * the result itself. Repeated key sets and short strings share one R vector each (marked not mutable, so R copies
 * before any change), which makes a batch of similar records smaller than jsonlite's.
 *
 * No recursion: nesting is tracked in an explicit stack, so a deeply nested event cannot overflow the C stack.
 * Everything allocated is R memory (protected, or R_alloc), so an error leaks nothing.
 */
#include <R.h>
#include <Rinternals.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "decimal.h"

typedef struct {
  R_xlen_t values_base, keys_base;
  char kind; /* '[' or '{' */
} frame_t;

/* Direct-mapped caches of recently made vectors, to share equal ones. */
#define NAMES_CACHE 256
#define STRING_CACHE 1024
#define SHORT_STRING 32

typedef struct {
  const unsigned char *start, *p, *end;
  SEXP holder; /* protected list: the stacks, the string buffer and the caches below */
  SEXP values;
  R_xlen_t values_top, values_cap;
  SEXP keys;
  R_xlen_t keys_top, keys_cap;
  frame_t *frames;
  int frames_top, frames_cap;
  unsigned char *text;
  size_t text_cap;
  SEXP names_cache, string_cache;
} parser_t;

enum { H_VALUES, H_KEYS, H_TEXT, H_NAMES_CACHE, H_STRING_CACHE, H_SIZE };

static void NORET fail(parser_t *ps, const char *what) {
  R_xlen_t line = 1;
  const unsigned char *line_start = ps->start;
  for (const unsigned char *q = ps->start; q < ps->p; q++) {
    if (*q == '\n') {
      line++;
      line_start = q + 1;
    }
  }
  error("%s at line %ld, column %ld (byte %ld)", what, (long) line, (long) (ps->p - line_start + 1),
        (long) (ps->p - ps->start + 1));
}

/* --- stacks ---------------------------------------------------------------------------------------------------- */

/* A stack vector (the values' list or the keys' character vector) at twice its size, holding its first `used`
 * elements; it replaces the old one in the holder's `slot`. `keep` is protected meanwhile (it is not on a stack yet). */
static SEXP grow(parser_t *ps, int slot, R_xlen_t used, R_xlen_t *cap, SEXP keep) {
  PROTECT(keep);
  SEXP old = VECTOR_ELT(ps->holder, slot);
  *cap *= 2;
  SEXP grown = allocVector(TYPEOF(old), *cap);
  for (R_xlen_t i = 0; i < used; i++) {
    if (TYPEOF(old) == STRSXP) SET_STRING_ELT(grown, i, STRING_ELT(old, i));
    else SET_VECTOR_ELT(grown, i, VECTOR_ELT(old, i));
  }
  SET_VECTOR_ELT(ps->holder, slot, grown);
  UNPROTECT(1);
  return grown;
}

static void push_value(parser_t *ps, SEXP v) {
  if (ps->values_top == ps->values_cap) ps->values = grow(ps, H_VALUES, ps->values_top, &ps->values_cap, v);
  SET_VECTOR_ELT(ps->values, ps->values_top++, v);
}

static void push_key(parser_t *ps, SEXP key) {
  if (ps->keys_top == ps->keys_cap) ps->keys = grow(ps, H_KEYS, ps->keys_top, &ps->keys_cap, key);
  SET_STRING_ELT(ps->keys, ps->keys_top++, key);
}

static void open_frame(parser_t *ps, char kind) {
  if (ps->frames_top == ps->frames_cap) {
    int cap = ps->frames_cap * 2;
    frame_t *grown = (frame_t *) R_alloc((size_t) cap, sizeof(frame_t));
    memcpy(grown, ps->frames, (size_t) ps->frames_top * sizeof(frame_t));
    ps->frames = grown;
    ps->frames_cap = cap;
  }
  frame_t *f = &ps->frames[ps->frames_top++];
  f->kind = kind;
  f->values_base = ps->values_top;
  f->keys_base = ps->keys_top;
}

/* The names of an object whose keys are keys[base, base + n): an earlier object's equal names vector if cached. */
static SEXP names_for(parser_t *ps, R_xlen_t base, R_xlen_t n) {
  uintptr_t h = (uintptr_t) n;
  for (R_xlen_t i = 0; i < n; i++) h = h * 31 + ((uintptr_t) STRING_ELT(ps->keys, base + i) >> 4);
  int slot = (int) (h % NAMES_CACHE);
  SEXP cached = VECTOR_ELT(ps->names_cache, slot);
  if (cached != R_NilValue && XLENGTH(cached) == n) {
    R_xlen_t i = 0;
    /* CHARSXPs are unique per text and encoding (R's global cache), so equal pointers mean equal keys. */
    while (i < n && STRING_ELT(cached, i) == STRING_ELT(ps->keys, base + i)) i++;
    if (i == n) return cached;
  }
  SEXP names = PROTECT(allocVector(STRSXP, n));
  for (R_xlen_t i = 0; i < n; i++) SET_STRING_ELT(names, i, STRING_ELT(ps->keys, base + i));
  MARK_NOT_MUTABLE(names);
  SET_VECTOR_ELT(ps->names_cache, slot, names);
  UNPROTECT(1);
  return names;
}

static SEXP close_frame(parser_t *ps) {
  frame_t f = ps->frames[--ps->frames_top];
  R_xlen_t n = ps->values_top - f.values_base;
  SEXP v = PROTECT(allocVector(VECSXP, n));
  for (R_xlen_t i = 0; i < n; i++) SET_VECTOR_ELT(v, i, VECTOR_ELT(ps->values, f.values_base + i));
  if (f.kind == '{') {
    setAttrib(v, R_NamesSymbol, names_for(ps, f.keys_base, n));
    ps->keys_top = f.keys_base;
  }
  ps->values_top = f.values_base;
  UNPROTECT(1);
  return v;
}

/* --- lexing ---------------------------------------------------------------------------------------------------- */

/* Whitespace as yajl has it (JSON's four, and form feed and vertical tab), and comments as yajl allows them
 * (jsonlite turns them on): C-style and to the end of the line. */
static void skip_space(parser_t *ps) {
  for (;;) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t' || *ps->p == '\f' ||
                               *ps->p == '\v'))
      ps->p++;
    if (ps->p + 1 < ps->end && ps->p[0] == '/' && ps->p[1] == '*') {
      const unsigned char *q = ps->p + 2;
      while (q + 1 < ps->end && !(q[0] == '*' && q[1] == '/')) q++;
      if (q + 1 >= ps->end) fail(ps, "unterminated comment");
      ps->p = q + 2;
    } else if (ps->p + 1 < ps->end && ps->p[0] == '/' && ps->p[1] == '/') {
      while (ps->p < ps->end && *ps->p != '\n') ps->p++;
    } else {
      return;
    }
  }
}

/* The length of the UTF-8 character at p by yajl's check (lead byte and continuation bytes only), or 0. */
static int utf8_length(const unsigned char *p, const unsigned char *end) {
  int n = (*p >> 5) == 0x6 ? 2 : (*p >> 4) == 0xe ? 3 : (*p >> 3) == 0x1e ? 4 : 0;
  if (!n || end - p < n) return 0;
  for (int i = 1; i < n; i++)
    if ((p[i] >> 6) != 0x2) return 0;
  return n;
}

static int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static unsigned char *text_room(parser_t *ps, size_t used, size_t more) {
  if (used + more > ps->text_cap) {
    size_t cap = ps->text_cap * 2;
    while (cap < used + more) cap *= 2;
    SEXP grown = allocVector(RAWSXP, (R_xlen_t) cap);
    memcpy(RAW(grown), ps->text, used);
    SET_VECTOR_ELT(ps->holder, H_TEXT, grown);
    ps->text = RAW(grown);
    ps->text_cap = cap;
  }
  return ps->text + used;
}

static size_t put_utf8(unsigned char *w, unsigned int cp) {
  if (cp < 0x80) {
    w[0] = (unsigned char) cp;
    return 1;
  }
  if (cp < 0x800) {
    w[0] = (unsigned char) (0xC0 | (cp >> 6));
    w[1] = (unsigned char) (0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    w[0] = (unsigned char) (0xE0 | (cp >> 12));
    w[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
    w[2] = (unsigned char) (0x80 | (cp & 0x3F));
    return 3;
  }
  if (cp < 0x200000) {
    w[0] = (unsigned char) (0xF0 | (cp >> 18));
    w[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
    w[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
    w[3] = (unsigned char) (0x80 | (cp & 0x3F));
    return 4;
  }
  w[0] = '?';
  return 1;
}

static unsigned int read_hex4(parser_t *ps, const unsigned char *q) {
  unsigned int cp = 0;
  for (int i = 0; i < 4; i++) {
    int d = q < ps->end ? hex_value(*q) : -1;
    if (d < 0) {
      ps->p = q < ps->end ? q : ps->end;
      fail(ps, "invalid \\u escape in a string (four hex digits are needed)");
    }
    cp = cp * 16 + (unsigned int) d;
    q++;
  }
  return cp;
}

/* The string starting at the opening quote ps->p, as a CHARSXP (UTF-8); ps->p ends after the closing quote. */
static SEXP read_string(parser_t *ps) {
  const unsigned char *q = ++ps->p;
  /* The common case: no escapes, so the CHARSXP is made straight from the input. */
  while (q < ps->end && *q != '"' && *q != '\\' && *q >= 0x20) {
    if (*q < 0x80) {
      q++;
      continue;
    }
    int n = utf8_length(q, ps->end);
    if (!n) {
      ps->p = q;
      fail(ps, "invalid UTF-8 bytes in a string");
    }
    q += n;
  }
  if (q < ps->end && *q == '"') {
    if (q - ps->p > INT_MAX) fail(ps, "a string longer than R's limit of 2^31 - 1 bytes");
    SEXP s = mkCharLenCE((const char *) ps->p, (int) (q - ps->p), CE_UTF8);
    ps->p = q + 1;
    return s;
  }
  size_t used = (size_t) (q - ps->p);
  memcpy(text_room(ps, 0, used), ps->p, used);
  /* A decoded \u0000 ends the string, as in jsonlite (it makes R strings from C strings). */
  size_t cut = (size_t) -1;
  for (;;) {
    if (q >= ps->end) {
      ps->p = q;
      fail(ps, "unterminated string");
    }
    unsigned char c = *q;
    if (c == '"') break;
    if (c < 0x20) {
      ps->p = q;
      fail(ps, "invalid character in a string (control characters must be escaped)");
    }
    if (c >= 0x80) {
      /* A run of UTF-8 characters, checked one by one and copied at once. */
      const unsigned char *r = q;
      while (r < ps->end && *r >= 0x80) {
        int n = utf8_length(r, ps->end);
        if (!n) {
          ps->p = r;
          fail(ps, "invalid UTF-8 bytes in a string");
        }
        r += n;
      }
      memcpy(text_room(ps, used, (size_t) (r - q)), q, (size_t) (r - q));
      used += (size_t) (r - q);
      q = r;
      continue;
    }
    if (c != '\\') {
      /* A run of plain ASCII, copied at once. */
      const unsigned char *r = q;
      while (r < ps->end && *r >= 0x20 && *r < 0x80 && *r != '"' && *r != '\\') r++;
      memcpy(text_room(ps, used, (size_t) (r - q)), q, (size_t) (r - q));
      used += (size_t) (r - q);
      q = r;
      continue;
    }
    if (q + 1 >= ps->end) {
      ps->p = q;
      fail(ps, "unterminated string");
    }
    unsigned char e = q[1];
    unsigned char *w = text_room(ps, used, 4);
    q += 2;
    switch (e) {
    case '"': case '\\': case '/': *w = e; used++; break;
    case 'b': *w = '\b'; used++; break;
    case 'f': *w = '\f'; used++; break;
    case 'n': *w = '\n'; used++; break;
    case 'r': *w = '\r'; used++; break;
    case 't': *w = '\t'; used++; break;
    case 'u': {
      unsigned int cp = read_hex4(ps, q);
      q += 4;
      if ((cp & 0xFC00) == 0xD800) {
        /* yajl joins a high surrogate with whatever \u escape follows, and writes "?" for a lone one. */
        if (q + 1 < ps->end && q[0] == '\\' && q[1] == 'u') {
          unsigned int low = read_hex4(ps, q + 2);
          q += 6;
          cp = ((cp & 0x3F) << 10) | ((((cp >> 6) & 0xF) + 1) << 16) | (low & 0x3FF);
        } else {
          *w = '?';
          used++;
          break;
        }
      }
      if (cp == 0 && cut == (size_t) -1) cut = used;
      used += put_utf8(w, cp);
      break;
    }
    default:
      ps->p = q - 1;
      fail(ps, "invalid escape in a string");
    }
  }
  if (cut != (size_t) -1) used = cut;
  if (used > INT_MAX) fail(ps, "a string longer than R's limit of 2^31 - 1 bytes");
  ps->p = q + 1;
  return mkCharLenCE((const char *) ps->text, (int) used, CE_UTF8);
}

/* character(1) of a CHARSXP; short ones are shared with earlier equal strings of this event. */
static SEXP string_value(parser_t *ps, SEXP s) {
  if (LENGTH(s) > SHORT_STRING) return ScalarString(s);
  int slot = (int) (((uintptr_t) s >> 4) % STRING_CACHE);
  SEXP cached = VECTOR_ELT(ps->string_cache, slot);
  if (cached != R_NilValue && STRING_ELT(cached, 0) == s) return cached;
  PROTECT(s);
  SEXP v = PROTECT(ScalarString(s));
  MARK_NOT_MUTABLE(v);
  SET_VECTOR_ELT(ps->string_cache, slot, v);
  UNPROTECT(2);
  return v;
}

static int is_digit(const unsigned char *p, const unsigned char *end) {
  return p < end && *p >= '0' && *p <= '9';
}

/* A number by JSON's grammar (as yajl lexes it). Whole numbers within +-2147483647 are integers, as in jsonlite. */
static SEXP read_number(parser_t *ps) {
  const unsigned char *s = ps->p, *q = ps->p, *end = ps->end;
  int negative = 0, whole = 1;
  if (*q == '-') {
    negative = 1;
    q++;
  }
  if (!is_digit(q, end)) {
    ps->p = q;
    fail(ps, "malformed number: a digit is required after the minus sign");
  }
  /* The significand's digits (leading zeros skipped) as an integer while it is exact, and where the point is. */
  uint64_t m = 0;
  int digits = 0, exponent = 0;
  if (*q == '0') q++;
  else
    for (; is_digit(q, end); q++) {
      if (digits < 19) m = m * 10 + (uint64_t) (*q - '0');
      else exponent++;
      digits++;
    }
  if (q < end && *q == '.') {
    whole = 0;
    q++;
    if (!is_digit(q, end)) {
      ps->p = q;
      fail(ps, "malformed number: a digit is required after the decimal point");
    }
    for (; is_digit(q, end); q++) {
      if (m == 0 && *q == '0') {
        exponent--;
        continue;
      }
      if (digits < 19) {
        m = m * 10 + (uint64_t) (*q - '0');
        exponent--;
      }
      digits++;
    }
  }
  int e10 = 0, big_exponent = 0;
  if (q < end && (*q == 'e' || *q == 'E')) {
    whole = 0;
    q++;
    int sign = 1;
    if (q < end && (*q == '+' || *q == '-')) sign = *q++ == '-' ? -1 : 1;
    if (!is_digit(q, end)) {
      ps->p = q;
      fail(ps, "malformed number: a digit is required in the exponent");
    }
    for (; is_digit(q, end); q++) {
      if (e10 < 100000) e10 = e10 * 10 + (*q - '0');
      else big_exponent = 1;
    }
    e10 *= sign;
  }
  ps->p = q;
  if (whole && digits <= 18) {
    if (m <= 2147483647u) return ScalarInteger(negative ? -(int) m : (int) m);
    double d = (double) m;
    return ScalarReal(negative ? -d : d);
  }
  /* At most 15 significant digits: m is below 2^53. */
  int e = exponent + e10;
  if (!big_exponent && digits <= 15 && e >= -EXACT_POW10_MAX && e <= EXACT_POW10_MAX) {
    double d = exact_decimal((double) m, e);
    return ScalarReal(negative ? -d : d);
  }
  /* strtod needs a terminated copy; R_alloc memory would live until the parse ends, so short ones use the stack. */
  size_t n = (size_t) (q - s);
  char small[64];
  char *copy = n < sizeof small ? small : R_alloc(n + 1, 1);
  memcpy(copy, s, n);
  copy[n] = 0;
  return ScalarReal(strtod(copy, NULL));
}

static int literal(parser_t *ps, const char *word, size_t n) {
  if ((size_t) (ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return 0;
  ps->p += n;
  return 1;
}

/* A scalar, or NULL for null; containers are opened by the caller. */
static SEXP read_scalar(parser_t *ps) {
  unsigned char c = *ps->p;
  if (c == '"') return string_value(ps, read_string(ps));
  if (c == '-' || (c >= '0' && c <= '9')) return read_number(ps);
  if (c == 't' && literal(ps, "true", 4)) return ScalarLogical(1);
  if (c == 'f' && literal(ps, "false", 5)) return ScalarLogical(0);
  if (c == 'n' && literal(ps, "null", 4)) return R_NilValue;
  fail(ps, "invalid character where a value was expected");
}

static void read_key(parser_t *ps) {
  skip_space(ps);
  if (ps->p >= ps->end || *ps->p != '"') fail(ps, "expected an object key (a string)");
  push_key(ps, read_string(ps));
  skip_space(ps);
  if (ps->p >= ps->end || *ps->p != ':') fail(ps, "expected ':' after an object key");
  ps->p++;
}

SEXP lambdaruntime_parse(SEXP bytes) {
  if (TYPEOF(bytes) != RAWSXP) error("the event must be a raw vector");
  parser_t ps;
  ps.start = ps.p = RAW(bytes);
  ps.end = ps.start + XLENGTH(bytes);
  ps.holder = PROTECT(allocVector(VECSXP, H_SIZE));
  ps.values_cap = ps.keys_cap = 256;
  ps.values = allocVector(VECSXP, ps.values_cap);
  SET_VECTOR_ELT(ps.holder, H_VALUES, ps.values);
  ps.keys = allocVector(STRSXP, ps.keys_cap);
  SET_VECTOR_ELT(ps.holder, H_KEYS, ps.keys);
  ps.text_cap = 4096;
  SET_VECTOR_ELT(ps.holder, H_TEXT, allocVector(RAWSXP, (R_xlen_t) ps.text_cap));
  ps.text = RAW(VECTOR_ELT(ps.holder, H_TEXT));
  ps.names_cache = allocVector(VECSXP, NAMES_CACHE);
  SET_VECTOR_ELT(ps.holder, H_NAMES_CACHE, ps.names_cache);
  ps.string_cache = allocVector(VECSXP, STRING_CACHE);
  SET_VECTOR_ELT(ps.holder, H_STRING_CACHE, ps.string_cache);
  ps.values_top = ps.keys_top = 0;
  ps.frames_cap = 64;
  ps.frames_top = 0;
  ps.frames = (frame_t *) R_alloc((size_t) ps.frames_cap, sizeof(frame_t));

  if (ps.end - ps.p >= 3 && ps.p[0] == 0xEF && ps.p[1] == 0xBB && ps.p[2] == 0xBF) {
    warningcall(R_NilValue, "JSON string contains (illegal) UTF8 byte-order-mark!");
    ps.p += 3;
  }
  if (ps.p < ps.end && *ps.p == 0x1E) ps.p++; /* RFC 7464's record separator */

  for (;;) {
    /* A value is expected. */
    skip_space(&ps);
    if (ps.p >= ps.end) fail(&ps, "unexpected end of the text where a value was expected");
    SEXP v;
    unsigned char c = *ps.p;
    if (c == '{' || c == '[') {
      ps.p++;
      open_frame(&ps, (char) c);
      skip_space(&ps);
      if (ps.p < ps.end && *ps.p == (c == '{' ? '}' : ']')) {
        ps.p++;
        v = close_frame(&ps);
      } else {
        if (c == '{') read_key(&ps);
        continue;
      }
    } else {
      v = read_scalar(&ps);
    }
    /* A value is complete: close the containers it completes, until one expects another value. */
    for (;;) {
      if (ps.frames_top == 0) {
        skip_space(&ps);
        if (ps.p < ps.end) fail(&ps, "text after the end of the JSON value");
        UNPROTECT(1);
        return v;
      }
      push_value(&ps, v);
      skip_space(&ps);
      char kind = ps.frames[ps.frames_top - 1].kind;
      if (ps.p < ps.end && *ps.p == ',') {
        ps.p++;
        if (kind == '{') read_key(&ps);
        break;
      }
      if (ps.p < ps.end && *ps.p == (kind == '{' ? '}' : ']')) {
        ps.p++;
        v = close_frame(&ps);
        continue;
      }
      fail(&ps, kind == '{' ? "expected ',' or '}' after an object member" : "expected ',' or ']' after an array element");
    }
  }
}
