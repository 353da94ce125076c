# Events in and results out as JSON, losslessly: an echo handler returns what it was given.
#
# One codec, in C (src/parse.c, src/encode.c, called through codec.R), part of this package. It
# parses an event's bytes into what jsonlite::fromJSON(simplifyVector = FALSE) returns (objects as
# named lists, arrays as unnamed lists, so [] and {} differ and a one-element array stays an array;
# null as NULL), and writes a result in one pass, in jsonlite's shapes (README, "What a handler's
# result becomes"), every double as the shortest decimal that reads back as it (byte-identical to
# JavaScript's JSON.stringify). There is no slower path to fall back to.
#
# The encoder calls back into encode_fallback() below only for dates and times (formatted here,
# where R knows the time zones) and for classed values it does not know (jsonlite writes those).

parse_event <- function(bytes) {
  if (length(bytes) == 0L) return(NULL)
  parse_json_bytes(bytes)
}

serialize_result <- function(value) {
  encode_json_bytes(value, encode_fallback)
}

# Dates and times: strings, as jsonlite writes them (Date "%Y-%m-%d"; POSIXct and POSIXlt
# "%Y-%m-%d %H:%M:%S" in their own time zone, the session's where they have none), NA kept.
# Anything else the C encoder leaves to jsonlite, as JSON text of class "json": values few handlers
# return (a time series, complex numbers, raw vectors, bit64's integer64, ...). jsonlite writes
# doubles with 15 significant digits; where it wrote a classed double vector (a ts, say) as plain
# numbers, the same vector written by the codec, with every digit, replaces its text (checked to
# read back as the same values, so the shape stays jsonlite's).
encode_fallback <- function(x) {
  if (inherits(x, "Date")) return(as.character(format(x, "%Y-%m-%d")))
  if (inherits(x, "POSIXt")) return(as.character(format(x, "%Y-%m-%d %H:%M:%S")))
  text <- paste(as.character(jsonlite_ns()$toJSON(x, auto_unbox = TRUE, null = "null", na = "null", digits = I(15))), collapse = "")
  if (is.double(x) && is.null(dim(x)) && !inherits(x, "integer64")) {
    exact <- rawToChar(encode_json_bytes(as.vector(unclass(x)), encode_fallback))
    if (isTRUE(all.equal(parse_json_bytes(charToRaw(exact)), parse_json_bytes(charToRaw(text)), tolerance = 1e-14))) text <- exact
  }
  structure(text, class = "json")
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

# jsonlite from R's own libraries, where the build puts it, so a different version in the function's
# or the r_lib layer's library cannot change how results are written; else from the library path (a
# local R).
own_libraries <- function() c(.Library, .Library.site)

# jsonlite's namespace, loaded on first use (only classed values the codec does not know need it).
jsonlite_ns <- function() {
  if (is.null(json_state$jsonlite)) {
    ns <- tryCatch(loadNamespace("jsonlite", lib.loc = own_libraries()), error = function(e) NULL)
    json_state$jsonlite <- if (is.null(ns)) loadNamespace("jsonlite") else ns
  }
  json_state$jsonlite
}

# Where jsonlite is installed (the order jsonlite_ns() looks in), or "".
jsonlite_path <- function() {
  found <- find.package("jsonlite", lib.loc = own_libraries(), quiet = TRUE)
  if (!length(found)) found <- find.package("jsonlite", quiet = TRUE)
  if (length(found)) found[[1L]] else ""
}

# Marks a string that already holds JSON, so the runtime sends it unchanged. Handlers call it
# (attached as "r-lambda-runtime" by run()).
raw_json <- function(text) {
  stopifnot(is.character(text), length(text) == 1L)
  structure(text, class = "json")
}

user_helpers <- function() {
  list(raw_json = raw_json, stream_response = stream_response, http_response_stream = http_response_stream,
       lambda_log = lambda_log)
}
