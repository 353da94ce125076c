/*
 * A result as JSON bytes, by the runtime's rules (layer/r-runtime/json.R, whose pure-R encoder writes the same bytes
 * and is the fallback where this package is absent):
 *   NULL and NA are null; an atomic vector of length 1 is a scalar, other lengths arrays; a list with names is an
 *   object, without an array; doubles get 15 significant digits, or 17 where 15 would not read back as the same
 *   number; strings are escaped as jsonlite escapes them.
 * Anything else (a value with a class or dim attribute, other types, subtrees nested deeper than MAX_DEPTH) is
 * written by calling `fallback` (the runtime's R encoder) and inserting the text it returns.
 *
 * The output grows in a raw vector held by a protected list, not in malloc'd memory: an error in the fallback
 * (R's longjmp) then leaks nothing.
 */
#include <R.h>
#include <Rinternals.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deeper than this, the fallback (whose tree encoder has no recursion) takes the subtree: C stack stays small. */
#define MAX_DEPTH 1000

typedef struct {
  SEXP holder; /* a protected list; element 0 is the buffer */
  unsigned char *data;
  R_xlen_t len, cap;
  SEXP fallback;
} out_t;

static void reserve(out_t *o, R_xlen_t more) {
  if (o->len + more <= o->cap) return;
  R_xlen_t cap = o->cap * 2;
  while (cap < o->len + more) cap *= 2;
  SEXP grown = allocVector(RAWSXP, cap);
  memcpy(RAW(grown), o->data, o->len);
  SET_VECTOR_ELT(o->holder, 0, grown);
  o->data = RAW(grown);
  o->cap = cap;
}

static void put(out_t *o, const char *text, size_t n) {
  reserve(o, (R_xlen_t) n);
  memcpy(o->data + o->len, text, n);
  o->len += (R_xlen_t) n;
}

static void put_char(out_t *o, char c) {
  reserve(o, 1);
  o->data[o->len++] = (unsigned char) c;
}

/* Bytes that need an escape (jsonlite's set): control characters, '"', '\\', and '/' (escaped after '<' only). */
static unsigned char special[256];

static void init_special(void) {
  if (special['"']) return;
  for (int c = 0; c < 0x20; c++) special[c] = 1;
  special['"'] = special['\\'] = special['/'] = 1;
}

static const char HEX[] = "0123456789abcdef";

/* The quoted JSON string of `text` (UTF-8), as jsonlite's C escaper writes it. */
static void put_quoted(out_t *o, const char *text, size_t n) {
  reserve(o, (R_xlen_t) (6 * n + 2));
  unsigned char *w = o->data + o->len;
  const unsigned char *s = (const unsigned char *) text;
  *w++ = '"';
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (!special[c]) continue;
    memcpy(w, s + run, i - run);
    w += i - run;
    run = i + 1;
    switch (c) {
    case '"': *w++ = '\\'; *w++ = '"'; break;
    case '\\': *w++ = '\\'; *w++ = '\\'; break;
    case '\n': *w++ = '\\'; *w++ = 'n'; break;
    case '\r': *w++ = '\\'; *w++ = 'r'; break;
    case '\t': *w++ = '\\'; *w++ = 't'; break;
    case '\b': *w++ = '\\'; *w++ = 'b'; break;
    case '\f': *w++ = '\\'; *w++ = 'f'; break;
    case '/':
      if (i > 0 && s[i - 1] == '<') *w++ = '\\'; /* "</" as "<\/", so the text can sit in an HTML script tag */
      *w++ = '/';
      break;
    default:
      *w++ = '\\'; *w++ = 'u'; *w++ = '0'; *w++ = '0';
      *w++ = HEX[c >> 4]; *w++ = HEX[c & 15];
    }
  }
  memcpy(w, s + run, n - run);
  w += n - run;
  *w++ = '"';
  o->len = (R_xlen_t) (w - o->data);
}

/* A string element as UTF-8: what enc2utf8() gives (bytes-encoded strings stay as they are). */
static const char *utf8_of(SEXP s, size_t *n) {
  if (getCharCE(s) == CE_BYTES) {
    *n = (size_t) LENGTH(s);
    return CHAR(s);
  }
  const char *text = translateCharUTF8(s);
  *n = text == CHAR(s) ? (size_t) LENGTH(s) : strlen(text);
  return text;
}

static void put_string_elt(out_t *o, SEXP s) {
  size_t n;
  const char *text = utf8_of(s, &n);
  put_quoted(o, text, n);
}

/* 15 significant digits, or 17 where 15 do not read back as the same double (strtod is correctly rounded). */
static void put_double(out_t *o, double x) {
  if (!R_FINITE(x)) {
    put(o, "null", 4);
    return;
  }
  char buf[40];
  int n = snprintf(buf, sizeof buf, "%.15g", x);
  if (strtod(buf, NULL) != x) n = snprintf(buf, sizeof buf, "%.17g", x);
  put(o, buf, (size_t) n);
}

static void put_int(out_t *o, int x) {
  if (x == NA_INTEGER) {
    put(o, "null", 4);
    return;
  }
  char buf[16];
  char *end = buf + sizeof buf, *w = end;
  unsigned int u = x < 0 ? 0u - (unsigned int) x : (unsigned int) x;
  do {
    *--w = (char) ('0' + u % 10);
    u /= 10;
  } while (u);
  if (x < 0) *--w = '-';
  put(o, w, (size_t) (end - w));
}

static void put_logical(out_t *o, int x) {
  if (x == NA_LOGICAL) put(o, "null", 4);
  else if (x) put(o, "true", 4);
  else put(o, "false", 5);
}

static void put_element(out_t *o, SEXP x, R_xlen_t i) {
  switch (TYPEOF(x)) {
  case STRSXP: {
    SEXP s = STRING_ELT(x, i);
    if (s == NA_STRING) put(o, "null", 4);
    else put_string_elt(o, s);
    break;
  }
  case REALSXP: put_double(o, REAL(x)[i]); break;
  case INTSXP: put_int(o, INTEGER(x)[i]); break;
  default: put_logical(o, LOGICAL(x)[i]); break;
  }
}

/* The fallback's JSON text for `x`, inserted as is. `x` is quoted so that a symbol or call is not evaluated. */
static void put_fallback(out_t *o, SEXP x) {
  SEXP quoted = PROTECT(lang2(install("quote"), x));
  SEXP call = PROTECT(lang2(o->fallback, quoted));
  SEXP text = PROTECT(eval(call, R_BaseEnv));
  if (TYPEOF(text) != STRSXP || XLENGTH(text) != 1 || STRING_ELT(text, 0) == NA_STRING) {
    error("the JSON fallback encoder returned a %s of length %ld instead of one string", type2char(TYPEOF(text)),
          (long) XLENGTH(text));
  }
  size_t n;
  const char *s = utf8_of(STRING_ELT(text, 0), &n);
  put(o, s, n);
  UNPROTECT(3);
}

static void encode(out_t *o, SEXP x, int depth) {
  if (x == R_NilValue) {
    put(o, "null", 4);
    return;
  }
  int type = TYPEOF(x);
  int plain = type == VECSXP || type == STRSXP || type == REALSXP || type == INTSXP || type == LGLSXP;
  if (!plain || depth > MAX_DEPTH || getAttrib(x, R_ClassSymbol) != R_NilValue ||
      getAttrib(x, R_DimSymbol) != R_NilValue) {
    put_fallback(o, x);
    return;
  }
  R_xlen_t n = XLENGTH(x);
  if (type != VECSXP) {
    if (n == 1) {
      put_element(o, x, 0);
      return;
    }
    put_char(o, '[');
    for (R_xlen_t i = 0; i < n; i++) {
      if (i) put_char(o, ',');
      put_element(o, x, i);
    }
    put_char(o, ']');
    return;
  }
  R_CheckStack();
  SEXP names = getAttrib(x, R_NamesSymbol);
  if (names == R_NilValue) {
    put_char(o, '[');
    for (R_xlen_t i = 0; i < n; i++) {
      if (i) put_char(o, ',');
      encode(o, VECTOR_ELT(x, i), depth + 1);
    }
    put_char(o, ']');
    return;
  }
  PROTECT(names);
  put_char(o, '{');
  for (R_xlen_t i = 0; i < n; i++) {
    if (i) put_char(o, ',');
    /* An NA name is written as jsonlite writes it: "NA". */
    put_string_elt(o, STRING_ELT(names, i));
    put_char(o, ':');
    encode(o, VECTOR_ELT(x, i), depth + 1);
  }
  put_char(o, '}');
  UNPROTECT(1);
}

SEXP lambdajson_encode(SEXP x, SEXP fallback) {
  if (!isFunction(fallback)) error("fallback must be a function");
  init_special();
  out_t o;
  o.holder = PROTECT(allocVector(VECSXP, 1));
  o.cap = 4096;
  SEXP buffer = allocVector(RAWSXP, o.cap);
  SET_VECTOR_ELT(o.holder, 0, buffer);
  o.data = RAW(buffer);
  o.len = 0;
  o.fallback = fallback;
  encode(&o, x, 0);
  SEXP out = allocVector(RAWSXP, o.len);
  memcpy(RAW(out), o.data, o.len);
  UNPROTECT(1);
  return out;
}
