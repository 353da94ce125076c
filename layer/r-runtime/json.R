# Events in and results out as JSON, losslessly: an echo handler returns what it was given.
#
# Events are parsed without simplification: objects become named lists, arrays unnamed lists
# (so [] and {} differ and a one-element array stays an array), null becomes NULL.
#
# Results are written by encode_json(): plain lists and vectors here (fast, and exact), anything
# with a class (data frames, factors, dates, matrices, ...) by jsonlite::toJSON(). Rules:
# NULL and NA are null; a vector of length 1 is a scalar, other lengths arrays (I(x) keeps an
# array); a named list is an object, an unnamed one an array; doubles are written with 15
# significant digits, or 17 where 15 would not read back as the same number (jsonlite's
# digits = NA stops at 15, turning 0.1 + 0.2 into 0.3). A value of class "json" (raw_json(),
# jsonlite::toJSON()) is inserted as is, at the top or anywhere inside.
# jsonlite::toJSON() for a whole plain list costs about 0.5 ms per small event through its S4
# dispatch; this encoder takes a few tens of microseconds.

parse_event <- function(bytes) {
  if (length(bytes) == 0L) return(NULL)
  text <- rawToChar(bytes)
  Encoding(text) <- "UTF-8"
  jsonlite::fromJSON(text, simplifyVector = FALSE)
}

serialize_result <- function(value) {
  json_text_bytes(encode_json(value))
}

json_text_bytes <- function(text) {
  charToRaw(enc2utf8(text))
}

encode_json <- function(x) {
  if (is.null(x)) return("null")
  if (!is.null(oldClass(x)) || !is.null(dim(x))) return(encode_classed(x))
  switch(typeof(x),
    list = encode_list(x),
    character = encode_vector(x, quote_json_strings(x)),
    double = encode_vector(x, format_doubles(x)),
    integer = encode_vector(x, as.character(x)),
    logical = encode_vector(x, c("false", "true")[x + 1L]),
    encode_classed(x)
  )
}

# Scalar leaves (most of an event) are encoded together, one vectorised call per type; only
# containers and classed values recurse.
encode_list <- function(x) {
  if (length(x) == 0L) return(if (is.null(names(x))) "[]" else "{}")
  parts <- character(length(x))
  scalar <- lengths(x) == 1L & !vapply(x, is.object, NA) & lengths(lapply(x, dim)) == 0L
  types <- vapply(x, typeof, "")
  for (type in c("character", "double", "integer", "logical")) {
    at <- scalar & types == type
    if (any(at)) parts[at] <- encode_scalars(unlist(x[at], use.names = FALSE), type)
  }
  rest <- !(scalar & types %in% c("character", "double", "integer", "logical"))
  if (any(rest)) parts[rest] <- vapply(x[rest], encode_json, "", USE.NAMES = FALSE)
  keys <- names(x)
  if (is.null(keys)) return(paste0("[", paste(parts, collapse = ","), "]"))
  paste0("{", paste0(quote_json_strings(keys), ":", parts, collapse = ","), "}")
}

encode_scalars <- function(values, type) {
  text <- switch(type,
    character = quote_json_strings(values),
    double = format_doubles(values),
    integer = as.character(values),
    logical = c("false", "true")[values + 1L]
  )
  text[is.na(values)] <- "null"
  text
}

encode_vector <- function(x, text) {
  text[is.na(x)] <- "null"
  if (length(text) == 1L) text else paste0("[", paste(text, collapse = ","), "]")
}

encode_classed <- function(x) {
  if (inherits(x, "json")) return(paste(as.character(x), collapse = ""))
  if (identical(oldClass(x), "AsIs") && is.atomic(x) && is.null(dim(x))) {
    text <- encode_json(unclass(x))
    return(if (length(x) == 1L) paste0("[", text, "]") else text)
  }
  as.character(jsonlite::toJSON(x, auto_unbox = TRUE, null = "null", na = "null", digits = NA))
}

format_doubles <- function(x) {
  text <- sprintf("%.15g", x)
  finite <- is.finite(x)
  inexact <- finite
  inexact[finite] <- as.numeric(text[finite]) != x[finite]
  if (any(inexact)) text[inexact] <- sprintf("%.17g", x[inexact])
  text[!finite] <- "null"
  text
}

# jsonlite's C string escaper when present (it is internal, so checked), else the same in R.
quote_json_strings <- function(x) {
  x <- enc2utf8(x)
  quoted <- if (is.function(json_state$quote)) json_state$quote(x) else quote_json_strings_r(x)
  quoted
}

quote_json_strings_r <- function(x) {
  if (!length(x)) return(character()) # paste0() would turn no strings into one ""
  x <- gsub("\\", "\\\\", x, fixed = TRUE)
  x <- gsub("\"", "\\\"", x, fixed = TRUE)
  x <- gsub("\n", "\\n", x, fixed = TRUE)
  x <- gsub("\r", "\\r", x, fixed = TRUE)
  x <- gsub("\t", "\\t", x, fixed = TRUE)
  x <- gsub("[\001-\037]", "?", x, useBytes = TRUE)
  paste0("\"", x, "\"")
}

json_state <- new.env(parent = emptyenv())

# Called once jsonlite is loaded.
init_json <- function() {
  quote <- get0("deparse_vector", envir = asNamespace("jsonlite"), inherits = FALSE)
  works <- is.function(quote) && tryCatch(identical(quote(c("a\"\n", "\u00e9")), c("\"a\\\"\\n\"", "\"\u00e9\"")),
                                          error = function(e) FALSE)
  json_state$quote <- if (works) quote else NULL
}

error_report_bytes <- function(report) {
  json_text_bytes(encode_json(report))
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
