/*
 * A handler's result as JSON bytes: the runtime's only encoder. The shapes are jsonlite's (toJSON with auto_unbox,
 * na = "null", null = "null"; README, "What a handler's result becomes"):
 *   NULL and NA are null; an atomic vector of length 1 is a scalar, other lengths arrays (names dropped, as jsonlite
 *   does); a list with names is an object, without an array; strings are escaped as jsonlite escapes them; data
 *   frames are arrays of records, matrices row-major arrays, factors their levels' text, dates and times strings.
 * Every double is the shortest decimal that reads back as it, formatted as JavaScript's JSON.stringify does, where
 * jsonlite stops at 15 significant digits.
 * Classed values of other classes are written by `fallback` (json.R: jsonlite), whose text is inserted as is; it also
 * formats dates and times (R knows the time zones).
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

/* Deeper than this is an error rather than a C stack overflow (R_CheckStack() guards smaller stacks). */
#define MAX_DEPTH 10000

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

/*
 * Doubles as JavaScript's JSON.stringify writes them (ECMA-262 Number::toString): the shortest decimal that reads back
 * as the same double (of those, the nearest to it), in plain notation from 1e-7 up to 1e21 and in exponent notation
 * ("1e+21", "1.5e-7") outside; -0 as "0"; NaN and the infinities, which JSON lacks, as null (jsonlite's na = "null").
 * So every number the runtime writes is byte-identical to Node's for the same double, and reads back exactly.
 */

/* The decimal digits d[0..k) (no trailing zeros) times 10^(n-k), written by Number::toString's rules. */
static int format_js(char *w, int negative, const char *d, int k, int n) {
  char *p = w;
  if (negative) *p++ = '-';
  if (k <= n && n <= 21) {
    memcpy(p, d, (size_t) k);
    p += k;
    for (int i = 0; i < n - k; i++) *p++ = '0';
  } else if (0 < n && n <= 21) {
    memcpy(p, d, (size_t) n);
    p += n;
    *p++ = '.';
    memcpy(p, d + n, (size_t) (k - n));
    p += k - n;
  } else if (-6 < n && n <= 0) {
    *p++ = '0';
    *p++ = '.';
    for (int i = 0; i < -n; i++) *p++ = '0';
    memcpy(p, d, (size_t) k);
    p += k;
  } else {
    *p++ = d[0];
    if (k > 1) {
      *p++ = '.';
      memcpy(p, d + 1, (size_t) (k - 1));
      p += k - 1;
    }
    *p++ = 'e';
    int e = n - 1;
    *p++ = e < 0 ? '-' : '+';
    p += snprintf(p, 8, "%d", e < 0 ? -e : e);
  }
  return (int) (p - w);
}

static int trim_zeros(const char *d, int k) {
  while (k > 1 && d[k - 1] == '0') k--;
  return k;
}

/* The P significant digits of |x| correctly rounded (printf's %.(P-1)e: glibc's is exact) into d; returns n with
 * |x| ~ 0.d * 10^n. */
static int digits_of(double ax, int P, char *d) {
  char buf[48];
  snprintf(buf, sizeof buf, "%.*e", P - 1, ax);
  d[0] = buf[0];
  if (P > 1) memcpy(d + 1, buf + 2, (size_t) (P - 1));
  return atoi(buf + (P > 1 ? P + 2 : 2)) + 1;
}

static int reads_back(const char *d, int k, int n, double ax) {
  char text[48];
  int len = 0;
  text[len++] = '.';
  memcpy(text + len, d, (size_t) k);
  len += k;
  snprintf(text + len, sizeof text - (size_t) len, "e%d", n);
  return strtod(text, NULL) == ax;
}

/* d (k digits) plus one in the last place; returns the exponent (n + 1 where 99..9 carried into 100..0). */
static int increment_digits(char *d, int k, int n) {
  int i = k - 1;
  while (i >= 0 && d[i] == '9') d[i--] = '0';
  if (i >= 0) {
    d[i]++;
    return n;
  }
  d[0] = '1';
  return n + 1;
}

/*
 * Any double: the fewest digits P (1..17) whose correctly rounded decimal reads back, by bisection (when P digits read
 * back, so do P + 1). At a power of two the double's lower neighbour is nearer than its upper one, so a P-digit decimal
 * above x may read back where the nearest one, below x, does not: that one is tried too. Returns the digit count.
 */
static int shortest_by_printf(double ax, char *d, int *n) {
  int e2;
  int power_of_two = frexp(ax, &e2) == 0.5;
  char tried[17];
  int lo = 1, hi = 17;
  *n = digits_of(ax, 17, d);
  while (lo < hi) {
    int P = (lo + hi) / 2, tn = digits_of(ax, P, tried), ok = reads_back(tried, P, tn, ax);
    if (!ok && power_of_two) {
      tn = increment_digits(tried, P, tn);
      ok = reads_back(tried, P, tn, ax);
    }
    if (ok) {
      hi = P;
      memcpy(d, tried, (size_t) P);
      *n = tn;
    } else {
      lo = P + 1;
    }
  }
  return trim_zeros(d, hi);
}

#if defined(__SIZEOF_INT128__)
typedef unsigned __int128 u128;

static const uint64_t POW5[] = {1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL, 78125ULL, 390625ULL,
                                1953125ULL, 9765625ULL, 48828125ULL, 244140625ULL, 1220703125ULL, 6103515625ULL,
                                30517578125ULL, 152587890625ULL, 762939453125ULL, 3814697265625ULL,
                                19073486328125ULL, 95367431640625ULL, 476837158203125ULL, 2384185791015625ULL,
                                11920928955078125ULL, 59604644775390625ULL, 298023223876953125ULL,
                                1490116119384765625ULL, 7450580596923828125ULL};

static const uint64_t POW10U[] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
                                  100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
                                  10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
                                  100000000000000000ULL};

/*
 * The same digits computed exactly in 128-bit integers (Steele and White's interval), without printf, for
 * 1e-10 <= |x| < 1e17, where nearly every number in events lies and every quantity below fits (under 2^123); the
 * scale's denominator is a power of two, so there is no 128-bit division.
 * |x| = m * 2^e with m < 2^53. Scaled by 10^p so that 10^16 <= |x| * 10^p < 10^17 (0 <= p <= 27), x and the bounds of
 * the reals that read back as x (halfway to each neighbour; inclusive when m is even, as reading rounds ties to even)
 * are V * 5^p * 2^(e-2+p) for V = 4m, 4m - 2 (4m - 1 at a power of two, whose lower neighbour is nearer) and 4m + 2.
 * The shortest decimal is the integer in that interval with the most trailing zeros; among several, the nearest to x
 * (ties to even), as Number::toString requires. Returns the digit count, or 0 outside the range.
 */
static u128 scaled(uint64_t v, int p, int k) {
  u128 x = (u128) v * POW5[p];
  return k > 0 ? x << k : x;
}

static int shortest_exact(double ax, char *d, int *n) {
  if (!(ax >= 1e-10 && ax < 1e17)) return 0;
  int exp2;
  uint64_t m = (uint64_t) ldexp(frexp(ax, &exp2), 53);
  int e = exp2 - 53, D = (int) floor(log10(ax)), p, k;
  if (D < -11) D = -11; /* so that p stays within the table whatever log10 rounds to */
  if (D > 16) D = 16;
  /* The denominator is 2^shift (a power of two), so every division below is a shift or a 64-bit division. */
  int shift;
  u128 x;
  uint64_t xq;
  for (;;) {
    p = 16 - D;
    k = e - 2 + p;
    shift = k < 0 ? -k : 0;
    x = scaled(4 * m, p, k);
    xq = (uint64_t) (x >> shift);
    if (xq < POW10U[16]) D--; /* log10 rounded up to a power of ten */
    else if (xq >= POW10U[17]) D++;
    else break;
  }
  u128 mask = ((u128) 1 << shift) - 1;
  int even = (m & 1) == 0;
  u128 low = scaled(m == (1ULL << 52) ? 4 * m - 1 : 4 * m - 2, p, k), high = scaled(4 * m + 2, p, k);
  uint64_t lo = (uint64_t) (low >> shift), hi = (uint64_t) (high >> shift);
  if ((low & mask) != 0 || !even) lo++;
  if ((high & mask) == 0 && !even) hi--;
  int j = 0;
  while (j < 17 && (lo + POW10U[j + 1] - 1) / POW10U[j + 1] * POW10U[j + 1] <= hi) j++;
  /* The nearest multiple of 10^j to x (ties to even): x = (xq * 2^shift + xr) / 2^shift, xq = t * 10^j + r. */
  uint64_t t = xq / POW10U[j], r = xq % POW10U[j];
  u128 twice_rest = (((u128) r << shift) + (x & mask)) << 1, unit = (u128) POW10U[j] << shift;
  if (twice_rest > unit || (twice_rest == unit && (t & 1))) t++;
  uint64_t s = t * POW10U[j];
  if (s < lo) s += POW10U[j];
  else if (s > hi) s -= POW10U[j];
  char buf[20];
  int len = 0;
  do {
    buf[len++] = (char) ('0' + s % 10);
    s /= 10;
  } while (s);
  for (int i = 0; i < len; i++) d[i] = buf[len - 1 - i];
  *n = len - p;
  return trim_zeros(d, len);
}
#else
static int shortest_exact(double ax, char *d, int *n) {
  (void) ax, (void) d, (void) n;
  return 0;
}
#endif

static void put_double(out_t *o, double x) {
  if (!R_FINITE(x)) {
    put(o, "null", 4);
    return;
  }
  if (x == 0) {
    put_char(o, '0');
    return;
  }
  double ax = fabs(x);
  char d[20], text[40];
  int n, k = shortest_exact(ax, d, &n);
  if (!k) k = shortest_by_printf(ax, d, &n);
  put(o, text, (size_t) format_js(text, signbit(x) != 0, d, k, n));
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

static void encode(out_t *o, SEXP x, int depth);

static int inherits_class(SEXP x, const char *name) {
  SEXP klass = getAttrib(x, R_ClassSymbol);
  if (TYPEOF(klass) != STRSXP) return 0;
  for (R_xlen_t i = 0; i < XLENGTH(klass); i++) {
    if (!strcmp(CHAR(STRING_ELT(klass, i)), name)) return 1;
  }
  return 0;
}

/* A factor's element: its level's text, or null. */
static void put_factor_elt(out_t *o, SEXP x, SEXP levels, R_xlen_t i) {
  int code = INTEGER(x)[i];
  if (code == NA_INTEGER || code < 1 || code > XLENGTH(levels)) put(o, "null", 4);
  else put_string_elt(o, STRING_ELT(levels, code - 1));
}

static int is_factor(SEXP x) {
  return TYPEOF(x) == INTSXP && inherits_class(x, "factor");
}

/*
 * What `fallback(x)` returns for a classed value this file does not write itself: dates and times as strings (one call
 * for a whole vector or column), anything else as JSON text of class "json" (jsonlite's, see json.R). Protected by
 * the caller.
 */
static SEXP call_fallback(out_t *o, SEXP x) {
  SEXP quoted = PROTECT(lang2(install("quote"), x));
  SEXP call = PROTECT(lang2(o->fallback, quoted));
  SEXP value = eval(call, R_BaseEnv);
  UNPROTECT(2);
  return value;
}

/* A value of class "json" is JSON text already: its strings, inserted as they are. */
static void put_json_text(out_t *o, SEXP x) {
  if (TYPEOF(x) != STRSXP) error("a value of class \"json\" must be a character vector, not a %s", type2char(TYPEOF(x)));
  for (R_xlen_t i = 0; i < XLENGTH(x); i++) {
    if (STRING_ELT(x, i) == NA_STRING) continue;
    size_t n;
    const void *vmax = vmaxget();
    const char *s = utf8_of(STRING_ELT(x, i), &n);
    put(o, s, n);
    vmaxset(vmax);
  }
}

static int is_time(SEXP x) {
  return inherits_class(x, "Date") || inherits_class(x, "POSIXt");
}

/* Dates and times: the fallback's strings for them, which must be a plain character vector as long as x. */
static SEXP time_strings(out_t *o, SEXP x) {
  SEXP text = call_fallback(o, x);
  if (TYPEOF(text) != STRSXP || getAttrib(text, R_ClassSymbol) != R_NilValue) {
    error("the runtime's time formatter returned a %s instead of strings", type2char(TYPEOF(text)));
  }
  return text;
}

/* An atomic array in row-major order, as jsonlite writes matrices: one level of brackets per dimension, the first
 * dimension outermost; element (i1, i2, ...) sits at i1 + d1 * (i2 + d2 * ...) in R's column-major storage. */
static void put_array(out_t *o, SEXP x, SEXP levels, const int *dims, int ndim, int at, R_xlen_t offset,
                      R_xlen_t stride) {
  put_char(o, '[');
  for (int i = 0; i < dims[at]; i++) {
    if (i) put_char(o, ',');
    R_xlen_t here = offset + (R_xlen_t) i * stride;
    if (at == ndim - 1) {
      if (levels != R_NilValue) put_factor_elt(o, x, levels, here);
      else put_element(o, x, here);
    } else {
      put_array(o, x, levels, dims, ndim, at + 1, here, stride * dims[at]);
    }
  }
  put_char(o, ']');
}

/* One cell of a data frame's column, as jsonlite writes it in a record. `text` holds a time column's strings. */
static void put_cell(out_t *o, SEXP column, SEXP text, R_xlen_t i, int depth) {
  if (text != R_NilValue) {
    SEXP s = STRING_ELT(text, i);
    if (s == NA_STRING) put(o, "null", 4);
    else put_string_elt(o, s);
  } else if (is_factor(column)) {
    put_factor_elt(o, column, getAttrib(column, R_LevelsSymbol), i);
  } else if (TYPEOF(column) == VECSXP && !inherits_class(column, "data.frame")) {
    encode(o, VECTOR_ELT(column, i), depth + 1); /* a list column: each cell is a value of its own */
  } else {
    put_element(o, column, i);
  }
}

static R_xlen_t frame_rows(SEXP x) {
  SEXP rows = getAttrib(x, R_RowNamesSymbol); /* compact row names are expanded here */
  return rows == R_NilValue ? (XLENGTH(x) ? XLENGTH(VECTOR_ELT(x, 0)) : 0) : XLENGTH(rows);
}

static int plain_atomic(SEXP x) {
  int t = TYPEOF(x);
  return t == STRSXP || t == REALSXP || t == INTSXP || t == LGLSXP;
}

static void put_frame_row(out_t *o, SEXP x, SEXP names, SEXP *texts, R_xlen_t row, SEXP row_names, int depth);

/*
 * A data frame (or tibble) as jsonlite writes it: an array of records, one object per row with a key per column, NA
 * as null (jsonlite's na = "null"), character row names as a "_row" key. Columns a record cannot hold directly:
 * a nested data frame writes its row as an object, a matrix column its row as an array.
 */
static void put_frame(out_t *o, SEXP x, int depth) {
  R_xlen_t ncol = XLENGTH(x), nrow = frame_rows(x);
  SEXP names = PROTECT(getAttrib(x, R_NamesSymbol));
  SEXP texts = PROTECT(allocVector(VECSXP, ncol));
  for (R_xlen_t j = 0; j < ncol; j++) {
    SEXP column = VECTOR_ELT(x, j);
    if (is_time(column)) {
      SET_VECTOR_ELT(texts, j, time_strings(o, column));
    } else if (!plain_atomic(column) && TYPEOF(column) != VECSXP) {
      error("the data frame's column '%s' is a %s, which the runtime cannot write", CHAR(STRING_ELT(names, j)),
            type2char(TYPEOF(column)));
    } else if (XLENGTH(column) < nrow && getAttrib(column, R_DimSymbol) == R_NilValue) {
      error("the data frame's column '%s' has %.0f values for %.0f rows", CHAR(STRING_ELT(names, j)),
            (double) XLENGTH(column), (double) nrow);
    }
  }
  SEXP row_names = getAttrib(x, R_RowNamesSymbol);
  row_names = PROTECT(TYPEOF(row_names) == STRSXP ? row_names : R_NilValue);
  SEXP *cols = (SEXP *) R_alloc((size_t) (ncol ? ncol : 1), sizeof(SEXP));
  for (R_xlen_t j = 0; j < ncol; j++) cols[j] = VECTOR_ELT(texts, j);
  put_char(o, '[');
  for (R_xlen_t i = 0; i < nrow; i++) {
    if (i) put_char(o, ',');
    put_frame_row(o, x, names, cols, i, row_names, depth);
  }
  put_char(o, ']');
  UNPROTECT(3);
}

static void put_frame_row(out_t *o, SEXP x, SEXP names, SEXP *texts, R_xlen_t row, SEXP row_names, int depth) {
  put_char(o, '{');
  R_xlen_t ncol = XLENGTH(x);
  for (R_xlen_t j = 0; j < ncol; j++) {
    if (j) put_char(o, ',');
    put_string_elt(o, STRING_ELT(names, j));
    put_char(o, ':');
    SEXP column = VECTOR_ELT(x, j);
    SEXP dim = getAttrib(column, R_DimSymbol);
    if (inherits_class(column, "data.frame")) {
      SEXP inner_names = PROTECT(getAttrib(column, R_NamesSymbol));
      R_xlen_t inner = XLENGTH(column);
      SEXP inner_texts = PROTECT(allocVector(VECSXP, inner));
      SEXP *cols = (SEXP *) R_alloc((size_t) (inner ? inner : 1), sizeof(SEXP));
      for (R_xlen_t k = 0; k < inner; k++) {
        SEXP c = VECTOR_ELT(column, k);
        if (is_time(c)) SET_VECTOR_ELT(inner_texts, k, time_strings(o, c));
        cols[k] = VECTOR_ELT(inner_texts, k);
      }
      put_frame_row(o, column, inner_names, cols, row, R_NilValue, depth + 1);
      UNPROTECT(2);
    } else if (dim != R_NilValue && LENGTH(dim) == 2 && plain_atomic(column)) {
      int nr = INTEGER(dim)[0], nc = INTEGER(dim)[1];
      put_char(o, '[');
      for (int k = 0; k < nc; k++) {
        if (k) put_char(o, ',');
        put_element(o, column, row + (R_xlen_t) k * nr);
      }
      put_char(o, ']');
    } else {
      put_cell(o, column, texts[j], row, depth);
    }
  }
  if (row_names != R_NilValue) {
    if (ncol) put_char(o, ',');
    put(o, "\"_row\":", 7);
    put_string_elt(o, STRING_ELT(row_names, row));
  }
  put_char(o, '}');
}

/* An atomic vector: a scalar at length 1 (unless `boxed`, I()), else an array. `levels` for a factor's codes. */
static void put_vector(out_t *o, SEXP x, SEXP levels, int boxed) {
  R_xlen_t n = XLENGTH(x);
  if (n == 1 && !boxed) {
    if (levels != R_NilValue) put_factor_elt(o, x, levels, 0);
    else put_element(o, x, 0);
    return;
  }
  put_char(o, '[');
  for (R_xlen_t i = 0; i < n; i++) {
    if (i) put_char(o, ',');
    if (levels != R_NilValue) put_factor_elt(o, x, levels, i);
    else put_element(o, x, i);
  }
  put_char(o, ']');
}

/*
 * Values with a class or dimensions, the shapes jsonlite gives them (README, "What a handler's result becomes"):
 * data frames as records, matrices and arrays row-major, factors as their levels' text, dates and times as strings
 * (formatted by the fallback, in R), I() keeps a length-1 vector an array, "json" text goes in as it is. Anything
 * else: the fallback's JSON text.
 */
static void encode_classed(out_t *o, SEXP x, int depth) {
  int type = TYPEOF(x);
  SEXP dim = getAttrib(x, R_DimSymbol);
  if (inherits_class(x, "json")) {
    put_json_text(o, x);
  } else if (inherits_class(x, "data.frame") && type == VECSXP) {
    put_frame(o, x, depth);
  } else if (is_time(x)) {
    SEXP text = PROTECT(time_strings(o, x));
    put_vector(o, text, R_NilValue, inherits_class(x, "AsIs"));
    UNPROTECT(1);
  } else if (dim != R_NilValue && (plain_atomic(x) || is_factor(x)) && TYPEOF(dim) == INTSXP &&
             (getAttrib(x, R_ClassSymbol) == R_NilValue || is_factor(x) || inherits_class(x, "matrix") ||
              inherits_class(x, "array") || inherits_class(x, "AsIs"))) {
    int ndim = LENGTH(dim);
    R_xlen_t n = XLENGTH(x);
    SEXP levels = is_factor(x) ? getAttrib(x, R_LevelsSymbol) : R_NilValue;
    if (n == 0 || ndim == 0) put(o, "[]", 2);
    else put_array(o, x, levels, INTEGER(dim), ndim, 0, 0, 1);
  } else if (is_factor(x)) {
    put_vector(o, x, getAttrib(x, R_LevelsSymbol), inherits_class(x, "AsIs"));
  } else if (inherits_class(x, "AsIs") && XLENGTH(getAttrib(x, R_ClassSymbol)) == 1 && (plain_atomic(x) || type == VECSXP)) {
    if (type == VECSXP) {
      SEXP plain = PROTECT(shallow_duplicate(x));
      setAttrib(plain, R_ClassSymbol, R_NilValue);
      encode(o, plain, depth + 1);
      UNPROTECT(1);
    } else {
      put_vector(o, x, R_NilValue, 1);
    }
  } else {
    SEXP text = PROTECT(call_fallback(o, x));
    if (!inherits_class(text, "json") || TYPEOF(text) != STRSXP) {
      error("the runtime's JSON fallback returned a %s instead of JSON text", type2char(TYPEOF(text)));
    }
    put_json_text(o, text);
    UNPROTECT(1);
  }
}

static void encode(out_t *o, SEXP x, int depth) {
  if (x == R_NilValue) {
    put(o, "null", 4);
    return;
  }
  if (depth > MAX_DEPTH) error("the result is nested deeper than %d levels", MAX_DEPTH);
  int type = TYPEOF(x);
  if (OBJECT(x) || getAttrib(x, R_DimSymbol) != R_NilValue || (type != VECSXP && !plain_atomic(x))) {
    R_CheckStack();
    encode_classed(o, x, depth);
    return;
  }
  R_xlen_t n = XLENGTH(x);
  if (type != VECSXP) {
    put_vector(o, x, R_NilValue, 0);
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

SEXP lambdaruntime_encode(SEXP x, SEXP fallback) {
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
