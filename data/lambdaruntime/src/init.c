#include <R.h>
#include <Rinternals.h>
#include <R_ext/Rdynload.h>

SEXP lambdajson_parse(SEXP bytes);
SEXP lambdajson_encode(SEXP x, SEXP fallback);

static const R_CallMethodDef calls[] = {
  {"parse_json", (DL_FUNC) &lambdajson_parse, 1},
  {"encode_json", (DL_FUNC) &lambdajson_encode, 2},
  {NULL, NULL, 0}
};

void R_init_lambdaruntime(DllInfo *dll) {
  R_registerRoutines(dll, NULL, calls, NULL, NULL);
  R_useDynamicSymbols(dll, FALSE);
  R_forceSymbols(dll, TRUE);
}
