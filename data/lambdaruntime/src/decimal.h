/* Shared by the parser and the encoder. */
#ifndef LAMBDAJSON_DECIMAL_H
#define LAMBDAJSON_DECIMAL_H

/* The powers of ten a double holds exactly. */
#define EXACT_POW10_MAX 22

static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The double nearest m * 10^e, without strtod, by Clinger's fast path: valid for a whole m below 2^53 and
 * |e| <= EXACT_POW10_MAX, where both operands are exact and the one multiplication or division rounds once. */
static inline double exact_decimal(double m, int e) {
  return e < 0 ? m / POW10[-e] : m * POW10[e];
}

#endif
