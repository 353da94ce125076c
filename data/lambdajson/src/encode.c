/*
 * A result as JSON bytes, by the runtime's rules (layer/r-runtime/json.R, whose pure-R encoder writes the same bytes
 * and is the fallback where this package is absent):
 *   NULL and NA are null; an atomic vector of length 1 is a scalar, other lengths arrays; a list with names is an
 *   object, without an array; doubles get 15 significant digits, or 17 where 15 would not read back as the same
 *   number; strings are escaped as jsonlite escapes them.
 * Anything else (a value with a class or dim attribute, other types, subtrees nested deeper than MAX_DEPTH) is
 * written by calling `fallback` (the runtime's R encoder) and inserting the text it returns.
 *
 * The output grows in malloc'd memory: realloc() grows a large block in place (mremap), where R vectors would hold
 * every smaller copy until the next garbage collection (for a 5 MB result, 15 MB more at the peak). The block is owned
 * by an external pointer whose finalizer frees it, so an error in the fallback (R's longjmp) leaks nothing: the
 * pointer becomes garbage and the next collection frees the block.
 */
#include <R.h>
#include <Rinternals.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decimal.h"

/* Deeper than this, the fallback (whose tree encoder has no recursion) takes the subtree: C stack stays small. */
#define MAX_DEPTH 1000

typedef struct {
  SEXP owner; /* external pointer to `data`, protected */
  unsigned char *data;
  R_xlen_t len, cap;
  SEXP fallback;
} out_t;

static void free_buffer(SEXP owner) {
  free(R_ExternalPtrAddr(owner));
  R_ClearExternalPtr(owner);
}

static void reserve(out_t *o, R_xlen_t more) {
  if (o->len + more <= o->cap) return;
  R_xlen_t cap = o->cap * 2;
  while (cap < o->len + more) cap *= 2;
  unsigned char *grown = realloc(o->data, (size_t) cap);
  if (!grown) error("out of memory writing a JSON result of %.0f bytes", (double) cap);
  o->data = grown;
  o->cap = cap;
  R_SetExternalPtrAddr(o->owner, grown);
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

/* A translation (latin1 text) is R_alloc memory: released here, not when the whole result is written. */
static void put_string_elt(out_t *o, SEXP s) {
  const void *vmax = vmaxget();
  size_t n;
  const char *text = utf8_of(s, &n);
  put_quoted(o, text, n);
  vmaxset(vmax);
}

/* printf's %g of the P significant digits `d` (P chars) with decimal exponent X: fixed notation for -4 <= X < P,
 * else scientific with a two-digit exponent at least; trailing zeros dropped. */
static int format_g(char *w, int negative, const char *d, int P, int X) {
  int k = P;
  while (k > 1 && d[k - 1] == '0') k--;
  char *p = w;
  if (negative) *p++ = '-';
  if (X < -4 || X >= P) {
    *p++ = d[0];
    if (k > 1) {
      *p++ = '.';
      memcpy(p, d + 1, (size_t) (k - 1));
      p += k - 1;
    }
    *p++ = 'e';
    *p++ = X < 0 ? '-' : '+';
    int a = X < 0 ? -X : X;
    if (a >= 100) *p++ = (char) ('0' + a / 100);
    *p++ = (char) ('0' + a / 10 % 10);
    *p++ = (char) ('0' + a % 10);
  } else if (X >= 0) {
    memcpy(p, d, (size_t) (X + 1));
    p += X + 1;
    if (k > X + 1) {
      *p++ = '.';
      memcpy(p, d + X + 1, (size_t) (k - X - 1));
      p += k - X - 1;
    }
  } else {
    *p++ = '0';
    *p++ = '.';
    for (int i = 0; i < -X - 1; i++) *p++ = '0';
    memcpy(p, d, (size_t) k);
    p += k;
  }
  return (int) (p - w);
}

/* The significant digits (P of them, into d) and decimal exponent of |x| rounded to P digits, by printf's %.(P-1)e. */
static int digits_of(double ax, int P, char *d) {
  char buf[40];
  snprintf(buf, sizeof buf, "%.*e", P - 1, ax);
  d[0] = buf[0];
  memcpy(d + 1, buf + 2, (size_t) (P - 1));
  return atoi(buf + P + 2);
}

#if defined(__SIZEOF_INT128__)
/*
 * round(|x| * 10^p) to nearest, ties to even (as printf rounds), computed exactly in 128-bit integers: |x| = m * 2^e
 * with m below 2^53, and 10^p = 5^p * 2^p. Used where every operand fits: 1e-5 <= |x| < 1e17, so -3 <= p <= 24
 * (the exponent's first estimate may be one off) and, where p < 0, |x| >= 1e15, so 2^-e <= 8.
 */
typedef unsigned __int128 u128;

static const uint64_t POW5[] = {1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL, 78125ULL, 390625ULL,
                                1953125ULL, 9765625ULL, 48828125ULL, 244140625ULL, 1220703125ULL, 6103515625ULL,
                                30517578125ULL, 152587890625ULL, 762939453125ULL, 3814697265625ULL,
                                19073486328125ULL, 95367431640625ULL, 476837158203125ULL, 2384185791015625ULL,
                                11920928955078125ULL, 59604644775390625ULL};

static uint64_t scaled_round(uint64_t m, int e, int p) {
  u128 num = m, den = 1;
  if (p >= 0) {
    num *= POW5[p];
    e += p;
  } else {
    den = p == -1 ? 10 : p == -2 ? 100 : 1000;
  }
  if (e >= 0) num <<= e;
  else den <<= -e;
  u128 q = num / den, r = num % den;
  if (2 * r > den || (2 * r == den && (q & 1))) q++;
  return (uint64_t) q;
}

static const uint64_t E15 = 1000000000000000ULL, E16 = 10000000000000000ULL, E17 = 100000000000000000ULL;

static void decimal_digits(uint64_t v, char *d, int n) {
  for (int i = n - 1; i >= 0; i--) {
    d[i] = (char) ('0' + v % 10);
    v /= 10;
  }
}

/* The 17 and the 15 significant digits of |x| and their exponents, exactly, without printf; 0 outside its range. */
static int digits_exact(double ax, char *d17, int *X17, char *d15, int *X15) {
  if (!(ax >= 1e-5 && ax < 1e17)) return 0;
  int exp2;
  double fraction = frexp(ax, &exp2);
  uint64_t m = (uint64_t) ldexp(fraction, 53);
  int e = exp2 - 53, D = (int) floor(log10(ax));
  if (D < -6) D = -6; /* within the tables whatever log10 rounds to */
  if (D > 17) D = 17;
  uint64_t n17;
  for (;;) {
    n17 = scaled_round(m, e, 16 - D);
    if (n17 >= E17) D++; /* log10 rounded up to a power of ten, or the rounding carried into an 18th digit */
    else if (n17 < E16) D--;
    else break;
  }
  decimal_digits(n17, d17, 17);
  *X17 = D;
  uint64_t n15 = scaled_round(m, e, 14 - D);
  *X15 = D;
  if (n15 >= E15) { /* the rounding carried: 9.99...95 became 10.0 */
    n15 /= 10;
    (*X15)++;
  }
  decimal_digits(n15, d15, 15);
  return 1;
}
#else
static int digits_exact(double ax, char *d17, int *X17, char *d15, int *X15) {
  (void) ax, (void) d17, (void) X17, (void) d15, (void) X15;
  return 0;
}
#endif

/*
 * 15 significant digits, or 17 where 15 do not read back as the same double: what sprintf("%.15g") and
 * sprintf("%.17g") write, checked by a correctly rounding reader (R's as.numeric() is not one; see json.R).
 * Between 1e-5 and 1e17 (nearly every number in events) the digits are computed exactly in integers, without printf
 * (which costs about 0.5 microseconds a call). Elsewhere one printf call instead of three (%.15g, strtod, %.17g): the
 * 17 digits are printed, and the 15 are those rounded (the same as rounding x itself unless digits 16 and 17 are
 * exactly "50", where x may lie on either side: printf is asked). Reading 15 digits back is exact arithmetic (an
 * integer below 2^53 times or over an exact power of ten rounds once) when the power is within 10^22, and strtod
 * otherwise.
 */
static void put_double(out_t *o, double x) {
  if (!R_FINITE(x)) {
    put(o, "null", 4);
    return;
  }
  int negative = signbit(x) != 0;
  if (x == 0) {
    put(o, negative ? "-0" : "0", negative ? 2 : 1);
    return;
  }
  double ax = fabs(x);
  char d17[17], d15[15], text[40];
  int X17, X15;
  if (!digits_exact(ax, d17, &X17, d15, &X15)) {
    X17 = X15 = digits_of(ax, 17, d17);
    if (d17[15] == '5' && d17[16] == '0') {
      X15 = digits_of(ax, 15, d15);
    } else {
      memcpy(d15, d17, 15);
      if (d17[15] >= '5') {
        int i = 14;
        while (i >= 0 && d15[i] == '9') d15[i--] = '0';
        if (i < 0) {
          d15[0] = '1';
          X15++;
        } else {
          d15[i]++;
        }
      }
    }
  }
  int e = X15 - 14, exact;
  if (e >= -EXACT_POW10_MAX && e <= EXACT_POW10_MAX) {
    double m = 0;
    for (int i = 0; i < 15; i++) m = m * 10 + (d15[i] - '0');
    exact = exact_decimal(m, e) == ax;
  } else {
    text[format_g(text, 0, d15, 15, X15)] = 0;
    exact = strtod(text, NULL) == ax;
  }
  int n = exact ? format_g(text, negative, d15, 15, X15) : format_g(text, negative, d17, 17, X17);
  put(o, text, (size_t) n);
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
  o.owner = PROTECT(R_MakeExternalPtr(NULL, R_NilValue, R_NilValue));
  R_RegisterCFinalizerEx(o.owner, free_buffer, TRUE);
  o.cap = 4096;
  o.data = malloc((size_t) o.cap);
  if (!o.data) error("out of memory");
  R_SetExternalPtrAddr(o.owner, o.data);
  o.len = 0;
  o.fallback = fallback;
  encode(&o, x, 0);
  SEXP out = allocVector(RAWSXP, o.len);
  memcpy(RAW(out), o.data, o.len);
  free_buffer(o.owner);
  UNPROTECT(1);
  return out;
}
