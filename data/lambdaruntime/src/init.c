#include <R.h>
#include <Rinternals.h>
#include <R_ext/Rdynload.h>

SEXP lambdaruntime_parse(SEXP bytes);
SEXP lambdaruntime_encode(SEXP x, SEXP fallback);

static const R_CallMethodDef calls[] = {
  {"parse_json", (DL_FUNC) &lambdaruntime_parse, 1},
  {"encode_json", (DL_FUNC) &lambdaruntime_encode, 2},
  {NULL, NULL, 0}
};

void R_init_lambdaruntime(DllInfo *dll) {
  R_registerRoutines(dll, NULL, calls, NULL, NULL);
  R_useDynamicSymbols(dll, FALSE);
  R_forceSymbols(dll, TRUE);
}
