# The JSON encoder as it was before the tree encoder (layer/r-runtime/json.R at commit cc06ba9),
# kept as the reference: the runtime's encoder must write byte for byte what this one writes. It
# uses the runtime's quote_json_strings(), so it is sourced into an environment whose parent is
# the runtime's.

reference_encode_json <- function(x) {
  if (is.null(x)) return("null")
  if (!is.null(oldClass(x)) || !is.null(dim(x))) return(reference_encode_classed(x))
  switch(typeof(x),
    list = reference_encode_list(x),
    character = reference_encode_vector(x, quote_json_strings(x)),
    double = reference_encode_vector(x, reference_format_doubles(x)),
    integer = reference_encode_vector(x, as.character(x)),
    logical = reference_encode_vector(x, c("false", "true")[x + 1L]),
    reference_encode_classed(x)
  )
}

# Scalar leaves (most of an event) are encoded together, one vectorised call per type; only
# containers and classed values recurse.
reference_encode_list <- function(x) {
  if (length(x) == 0L) return(if (is.null(names(x))) "[]" else "{}")
  parts <- character(length(x))
  scalar <- lengths(x) == 1L & !vapply(x, is.object, NA) & lengths(lapply(x, dim)) == 0L
  types <- vapply(x, typeof, "")
  for (type in c("character", "double", "integer", "logical")) {
    at <- scalar & types == type
    if (any(at)) parts[at] <- reference_encode_scalars(unlist(x[at], use.names = FALSE), type)
  }
  rest <- !(scalar & types %in% c("character", "double", "integer", "logical"))
  if (any(rest)) parts[rest] <- vapply(x[rest], reference_encode_json, "", USE.NAMES = FALSE)
  keys <- names(x)
  if (is.null(keys)) return(paste0("[", paste(parts, collapse = ","), "]"))
  paste0("{", paste0(quote_json_strings(keys), ":", parts, collapse = ","), "}")
}

reference_encode_scalars <- function(values, type) {
  text <- switch(type,
    character = quote_json_strings(values),
    double = reference_format_doubles(values),
    integer = as.character(values),
    logical = c("false", "true")[values + 1L]
  )
  text[is.na(values)] <- "null"
  text
}

reference_encode_vector <- function(x, text) {
  text[is.na(x)] <- "null"
  if (length(text) == 1L) text else paste0("[", paste(text, collapse = ","), "]")
}

reference_encode_classed <- function(x) {
  if (inherits(x, "json")) return(paste(as.character(x), collapse = ""))
  if (identical(oldClass(x), "AsIs") && is.atomic(x) && is.null(dim(x))) {
    text <- reference_encode_json(unclass(x))
    return(if (length(x) == 1L) paste0("[", text, "]") else text)
  }
  as.character(jsonlite::toJSON(x, auto_unbox = TRUE, null = "null", na = "null", digits = NA))
}

reference_format_doubles <- function(x) {
  text <- sprintf("%.15g", x)
  finite <- is.finite(x)
  inexact <- finite
  inexact[finite] <- as.numeric(text[finite]) != x[finite]
  if (any(inexact)) text[inexact] <- sprintf("%.17g", x[inexact])
  text[!finite] <- "null"
  text
}
