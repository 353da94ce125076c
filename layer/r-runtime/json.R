# Events in and results out as JSON, losslessly: an echo handler returns what it was given.
#
# One codec, in C: the R package lambdajson (data/lambdajson in the project), installed in R's own
# library of the r layer. It parses an event's bytes into what jsonlite::fromJSON(simplifyVector =
# FALSE) returns (objects as named lists, arrays as unnamed lists, so [] and {} differ and a
# one-element array stays an array; null as NULL), and writes a result in one pass, in jsonlite's
# shapes (README, "What a handler's result becomes"), every double as the shortest decimal that
# reads back as it (byte-identical to JavaScript's JSON.stringify). It is loaded at init; without it
# init fails (see init_json()), there is no slower path to fall back to.
#
# The encoder calls back into encode_fallback() below only for dates and times (formatted here,
# where R knows the time zones) and for classed values it does not know (jsonlite writes those).

parse_event <- function(bytes) {
  if (length(bytes) == 0L) return(NULL)
  json_state$codec$parse_json_bytes(bytes)
}

serialize_result <- function(value) {
  json_state$codec$encode_json_bytes(value, encode_fallback)
}

# Dates and times: strings, as jsonlite writes them (Date "%Y-%m-%d"; POSIXct and POSIXlt
# "%Y-%m-%d %H:%M:%S" in their own time zone, the session's where they have none), NA kept.
# Anything else the C encoder leaves to jsonlite, as JSON text of class "json". Those are values
# few handlers return (S4 objects, complex numbers, raw vectors, bit64's integer64, ...); jsonlite
# writes their doubles with 15 significant digits.
encode_fallback <- function(x) {
  if (inherits(x, "Date")) return(as.character(format(x, "%Y-%m-%d")))
  if (inherits(x, "POSIXt")) return(as.character(format(x, "%Y-%m-%d %H:%M:%S")))
  text <- jsonlite_ns()$toJSON(x, auto_unbox = TRUE, null = "null", na = "null", digits = I(15))
  structure(paste(as.character(text), collapse = ""), class = "json")
}

# An error report (errorMessage, errorType: strings; stackTrace: strings) as JSON bytes, written
# here in R: an init error must be reported when the codec itself is what failed to load.
error_report_bytes <- function(report) {
  fields <- c(
    sprintf("\"errorMessage\":%s", quote_json_strings(report$errorMessage)),
    sprintf("\"errorType\":%s", quote_json_strings(report$errorType)),
    sprintf("\"stackTrace\":[%s]", paste(quote_json_strings(as.character(report$stackTrace)), collapse = ","))
  )
  charToRaw(enc2utf8(paste0("{", paste(fields, collapse = ","), "}")))
}

# Escapes as jsonlite's escaper does: \b \f \n \r \t by name, other control characters as
# \u00XX with lower-case hex, "</" as "<\/", DEL and non-ASCII text as they are.
quote_json_strings <- function(x) {
  if (!length(x)) return(character()) # paste0() would turn no strings into one ""
  x <- enc2utf8(x)
  x <- gsub("\\", "\\\\", x, fixed = TRUE)
  x <- gsub("\"", "\\\"", x, fixed = TRUE)
  x <- gsub("</", "<\\/", x, fixed = TRUE)
  controls <- grepl("[\001-\037]", x)
  if (any(controls)) x[controls] <- escape_controls(x[controls])
  paste0("\"", x, "\"")
}

escape_controls <- function(x) {
  for (code in 1:31) {
    char <- rawToChar(as.raw(code))
    escaped <- switch(as.character(code), "8" = "\\b", "9" = "\\t", "10" = "\\n", "12" = "\\f", "13" = "\\r",
                      sprintf("\\u%04x", code))
    x <- gsub(char, escaped, x, fixed = TRUE)
  }
  x
}

json_state <- new.env(parent = emptyenv())

# The runtime's own packages (jsonlite, lambdajson) from R's own libraries, where the build puts
# them, so a different version in the function's or the r_lib layer's library cannot change how
# events are parsed; else from the library path (a local R, the tests' temporary library).
own_libraries <- function() c(.Library, .Library.site)

load_runtime_package <- function(package) {
  ns <- tryCatch(loadNamespace(package, lib.loc = own_libraries()), error = function(e) NULL)
  if (is.null(ns)) loadNamespace(package) else ns
}

# jsonlite's namespace, loaded on first use (only classed values the codec does not know need it).
jsonlite_ns <- function() {
  if (is.null(json_state$jsonlite)) json_state$jsonlite <- load_runtime_package("jsonlite")
  json_state$jsonlite
}

# Where a package is installed (the order load_runtime_package() looks in), or "".
runtime_package_path <- function(package) {
  found <- find.package(package, lib.loc = own_libraries(), quiet = TRUE)
  if (!length(found)) found <- find.package(package, quiet = TRUE)
  if (length(found)) found[[1L]] else ""
}

# The version of lambdajson this runtime is written for. The r layer carries the codec and the
# subsystem layer this file: another version means the two layers come from different builds.
CODEC_VERSION <- "2.0.0"

# Loads the codec, or stops with what is wrong and which layer to rebuild.
init_json <- function() {
  ns <- tryCatch(load_runtime_package("lambdajson"), error = function(e) e)
  if (inherits(ns, "error")) {
    stop(init_failure("Runtime.InitError", sprintf(
      "The R runtime cannot load its JSON codec, the R package lambdajson (%s). The r layer carries it in R's own library (%s): rebuild the r layer and add it to the function together with the subsystem layer of the same build.",
      conditionMessage(ns), paste(.Library, collapse = ", "))))
  }
  version <- getNamespaceVersion(ns)[[1L]]
  if (!identical(version, CODEC_VERSION)) {
    stop(init_failure("Runtime.InitError", sprintf(
      "The r layer's JSON codec (lambdajson %s, at %s) is not the version this runtime needs (%s): the r layer and the subsystem layer come from different builds. Rebuild both layers in one build and add them together.",
      version, runtime_package_path("lambdajson"), CODEC_VERSION)))
  }
  json_state$codec <- ns
  invisible(ns)
}

# What handlers can call (attached as "r-lambda-runtime" by run_runtime()).
user_helpers <- function() {
  list(
    # Marks a string that already holds JSON, so the runtime sends it unchanged.
    raw_json = function(text) {
      stopifnot(is.character(text), length(text) == 1L)
      structure(text, class = "json")
    }
  )
}
