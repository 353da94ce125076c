# Events in and results out as JSON, losslessly: an echo handler returns what it was given.
#
# Events are parsed without simplification: objects become named lists, arrays unnamed lists
# (so [] and {} differ and a one-element array stays an array), null becomes NULL.
#
# Results: plain lists and vectors are written by the rules below, anything with a class (data
# frames, factors, dates, matrices, ...) by jsonlite::toJSON(). Rules: NULL and NA are null; a
# vector of length 1 is a scalar, other lengths arrays (I(x) keeps an array); a named list is an
# object, an unnamed one an array; doubles are written with 15 significant digits, or 17 where 15
# would not read back as the same number (jsonlite's digits = NA stops at 15, turning
# 0.1 + 0.2 into 0.3). A value of class "json" (raw_json(), jsonlite::toJSON()) is inserted as is,
# at the top or anywhere inside.
#
# Two implementations of the same rules. The r layer carries the C codec, the R package
# lambdajson (data/lambdajson in the project; installed in R's own library with jsonlite): it
# parses an event's bytes into what jsonlite would return, building the R values as it reads,
# and writes results in one pass, calling back into encode_json() below for classed values.
# Without it (an r layer from before it, or R_LAMBDA_JSON=r) events are parsed by jsonlite and
# results written by the R code here, which works on large lists level by level (encode_tree()),
# with R calls per container and per group of values, none per value. The tests hold the two to
# the same bytes; npm run bench measures both against jsonlite's parse of the same event.

parse_event <- function(bytes) {
  if (length(bytes) == 0L) return(NULL)
  if (!is.null(json_state$native)) return(json_state$native$parse_json_bytes(bytes))
  text <- rawToChar(bytes)
  Encoding(text) <- "UTF-8"
  jsonlite_ns()$fromJSON(text, simplifyVector = FALSE)
}

serialize_result <- function(value) {
  if (!is.null(json_state$native)) return(json_state$native$encode_json_bytes(value, encode_json))
  json_text_bytes(encode_json(value))
}

json_text_bytes <- function(text) {
  charToRaw(enc2utf8(text))
}

encode_json <- function(x, depth = 0L) {
  if (is.list(x) && is.null(oldClass(x)) && is.null(dim(x))) {
    if (use_tree_encoder(x, depth)) return(encode_tree(x))
    return(encode_list(x, depth))
  }
  encode_value(x)
}

# Small lists go node by node (encode_list()): for an event of a few kilobytes that is about four
# times faster than the tree encoder's fixed cost per level. Long lists, lists of several lists, and
# anything nested deeper than TREE_DEPTH (where recursion in R would run out of C stack) go to the
# tree encoder.
TREE_MIN_LENGTH <- 64L
TREE_MIN_LISTS <- 4L
TREE_DEPTH <- 20L

use_tree_encoder <- function(x, depth) {
  length(x) >= TREE_MIN_LENGTH || depth >= TREE_DEPTH || sum(vapply(x, is.list, NA)) >= TREE_MIN_LISTS
}

# One list: its scalar values are encoded together, one vectorised call per type; only containers
# and classed values recurse.
encode_list <- function(x, depth) {
  if (length(x) == 0L) return(if (is.null(names(x))) "[]" else "{}")
  parts <- character(length(x))
  scalar <- lengths(x) == 1L & !vapply(x, is.object, NA) & lengths(lapply(x, dim)) == 0L
  types <- vapply(x, typeof, "")
  for (type in c("character", "double", "integer", "logical")) {
    at <- scalar & types == type
    if (any(at)) parts[at] <- encode_scalars(unlist(x[at], use.names = FALSE), type)
  }
  rest <- !(scalar & types %in% c("character", "double", "integer", "logical"))
  if (any(rest)) parts[rest] <- vapply(x[rest], encode_json, "", depth = depth + 1L, USE.NAMES = FALSE)
  keys <- names(x)
  if (is.null(keys)) return(paste0("[", paste(parts, collapse = ","), "]"))
  paste0("{", paste0(quote_json_strings(keys), ":", parts, collapse = ","), "}")
}

# Anything but a plain list: NULL, atomic vectors, classed values.
encode_value <- function(x) {
  if (is.null(x)) return("null")
  if (!is.null(oldClass(x)) || !is.null(dim(x))) return(encode_classed(x))
  switch(typeof(x),
    character = encode_vector(x, quote_json_strings(x)),
    double = encode_vector(x, format_doubles(x)),
    integer = encode_vector(x, as.character(x)),
    logical = encode_vector(x, c("false", "true")[x + 1L]),
    encode_classed(x)
  )
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

# The tree encoder. A plain list is encoded level by level rather than node by node: each level
# of the tree is classified with a few vectorised calls (rapply() or is.list() tell containers
# from leaves, one attributes() per container gives keys and classes), leaves are formatted in
# groups that share a path (all "price" values of all records: one sprintf()), and containers are
# pasted from their children's texts with one paste0() per child count. Long levels are cut into
# chunks of LEVEL_LIMIT nodes, so that index vectors and garbage stay bounded.
encode_tree <- function(root) node_texts(list(root))

LEVEL_LIMIT <- 4096L

# The chunks' garbage is young: a minor collection every so many nodes reclaims it, before R's
# heap grows (its trigger is high once a big event is parsed). Measured on a 3.5 MB event of
# 40,000 records (Debian's R 4.2, loaded 2-core machine): peak 145 MB with these two at 4096,
# 161 MB at 4096/8192, 171 MB at 8192/16384 (the encoder before this one: 151 MB), at 1.5 to 2
# times the encoding time of 8192/16384.
GC_EVERY_NODES <- 4096L

# The JSON text of each of `nodes`. `group` numbers their paths from the root; `shapes`, when
# known, tells containers from leaves (see level_shapes()).
node_texts <- function(nodes, group = rep.int(0, length(nodes)), shapes = NULL) {
  if (length(nodes) > LEVEL_LIMIT) return(chunked_node_texts(nodes, group, shapes))
  levels <- list()
  child_text <- NULL
  repeat {
    if (is.null(shapes)) shapes <- level_shapes(nodes)
    lvl <- classify_level(nodes, shapes, group)
    levels[[length(levels) + 1L]] <- lvl
    if (!length(lvl$children)) break
    if (length(lvl$children) > LEVEL_LIMIT) {
      child_text <- chunked_node_texts(lvl$children, lvl$child_group, lvl$child_shapes)
      break
    }
    nodes <- lvl$children
    shapes <- lvl$child_shapes
    group <- lvl$child_group
  }
  for (d in rev(seq_along(levels))) {
    child_text <- level_text(levels[[d]], child_text)
    levels[[d]] <- list()
  }
  child_text
}

# Which nodes are lists. For a few nodes, is.list() on each: a logical vector, for this level
# only. For more, rapply() marks every non-list leaf of their whole subtrees NA in one C-level walk:
# a list that mirrors the nodes and serves the levels below too. It is made per chunk of a long
# level, never for a whole large event at once, to keep its memory small.
level_shapes <- function(nodes) {
  if (length(nodes) <= 64L) return(!vapply(nodes, is.list, NA))
  rapply(nodes, function(v) NULL, classes = "\001none", deflt = NA, how = "list")
}

chunked_node_texts <- function(nodes, group, shapes) {
  chunk <- (seq_along(nodes) - 1L) %/% LEVEL_LIMIT
  parts <- lapply(split(seq_along(nodes), chunk), function(at) {
    text <- node_texts(nodes[at], group[at], shapes[at])
    json_state$since_gc <- json_state$since_gc + length(at)
    if (json_state$since_gc >= GC_EVERY_NODES) {
      gc(verbose = FALSE, full = FALSE)
      json_state$since_gc <- 0L
    }
    text
  })
  unlist(parts, use.names = FALSE)
}

# One level: kind of each node (0 leaf or classed value, 1 array, 2 object, 3 NULL), the
# containers' children in order (the next level), the keys of objects' children, and the path
# group of each child (a key of an object, or the same group for all elements of an array).
classify_level <- function(nodes, shapes, group) {
  kind <- rep.int(0L, length(nodes))
  lens <- lengths(nodes)
  cont <- which(if (is.logical(shapes)) !shapes else !is.na(shapes))
  keys <- character()
  if (length(cont)) {
    attrs <- lapply(nodes[cont], attributes)
    count <- lengths(attrs)
    k <- rep.int(1L, length(cont))
    one <- which(count == 1L)
    if (length(one)) {
      what <- names(unlist(attrs[one], recursive = FALSE))
      k[one[what == "names"]] <- 2L
      k[one[what %in% c("class", "dim")]] <- 0L
    }
    many <- which(count > 1L)
    for (i in many) {
      a <- names(attrs[[i]])
      k[i] <- if (any(c("class", "dim") %in% a)) 0L else if ("names" %in% a) 2L else 1L
    }
    # NULL and list() both have no attributes and no length (and NULL is a list to rapply()).
    empty <- which(count == 0L & lens[cont] == 0L)
    if (length(empty)) k[empty[vapply(nodes[cont[empty]], is.null, NA)]] <- 3L
    kind[cont] <- k
    objects <- k == 2L
    if (any(objects)) {
      keys <- if (length(many)) unlist(lapply(attrs[objects], `[[`, "names"), use.names = FALSE)
              else unlist(attrs[objects], use.names = FALSE)
    }
  }
  parents <- which(kind == 1L | kind == 2L)
  counts <- lens[parents]
  children <- unlist(nodes[parents], recursive = FALSE, use.names = FALSE)
  if (is.null(children)) children <- list()
  child_obj <- rep.int(kind[parents] == 2L, counts)
  key_id <- integer(length(children))
  unique_keys <- unique(keys)
  key_id[child_obj] <- match(keys, unique_keys)
  combined <- rep.int(group[parents], counts) * (length(unique_keys) + 1) + key_id
  list(nodes = nodes, kind = kind, parents = parents, counts = counts, child_obj = child_obj,
       keys = keys, unique_keys = unique_keys, key_id = key_id, group = group, children = children,
       child_shapes = if (is.list(shapes)) unlist(shapes[parents], recursive = FALSE, use.names = FALSE),
       child_group = match(combined, unique(combined)))
}

# The text of every node of a level, given the texts of the next level.
level_text <- function(lvl, child_text) {
  text <- character(length(lvl$nodes))
  text[lvl$kind == 3L] <- "null"
  leaves <- which(lvl$kind == 0L)
  if (length(leaves)) text[leaves] <- leaf_texts(lvl$nodes[leaves], lvl$group[leaves])
  if (length(lvl$parents)) text[lvl$parents] <- container_texts(lvl, child_text)
  text
}

# What goes before each child: nothing or a comma, and for an object's child its quoted key.
# Keys are quoted once per distinct key.
child_prefixes <- function(lvl) {
  offset <- cumsum(lvl$counts) - lvl$counts
  prefix <- rep.int(",", length(lvl$key_id))
  first <- offset[lvl$counts > 0L] + 1L
  prefix[first] <- ""
  if (length(lvl$unique_keys)) {
    quoted <- quote_json_strings(lvl$unique_keys)
    variants <- c(paste0(quoted, ":"), paste0(",", quoted, ":"))
    later <- prefix[lvl$child_obj] == ","
    prefix[lvl$child_obj] <- variants[lvl$key_id[lvl$child_obj] + length(quoted) * later]
  }
  prefix
}

# Containers with the same number of children k (up to 64) are pasted together, by one paste0()
# of 2k + 2 vectors; longer ones one by one.
container_texts <- function(lvl, child_text) {
  counts <- lvl$counts
  offset <- cumsum(counts) - counts
  prefix <- child_prefixes(lvl)
  is_obj <- lvl$kind[lvl$parents] == 2L
  open <- c("[", "{")[is_obj + 1L]
  close <- c("]", "}")[is_obj + 1L]
  out <- character(length(counts))
  for (k in unique(counts)) {
    m <- which(counts == k)
    if (k <= 64L) {
      args <- vector("list", 2L * k + 2L)
      args[[1L]] <- open[m]
      for (j in seq_len(k)) {
        args[[2L * j]] <- prefix[offset[m] + j]
        args[[2L * j + 1L]] <- child_text[offset[m] + j]
      }
      args[[2L * k + 2L]] <- close[m]
      out[m] <- do.call(paste0, args)
    } else {
      for (i in m) {
        at <- offset[i] + seq_len(k)
        out[i] <- paste0(open[i], paste0(prefix[at], child_text[at], collapse = ""), close[i])
      }
    }
  }
  out
}

# Leaves by path group: a group of plain scalars of one type is formatted with one call;
# anything else (vectors, classed values, mixed types) goes through encode_json() one by one.
leaf_texts <- function(leaves, group) {
  text <- character(length(leaves))
  codes <- match(group, unique(group))
  # split() by a ready-made factor: converting numbers to a factor would sort their text.
  by_group <- split.default(seq_along(leaves), structure(codes, levels = as.character(seq_len(max(codes))), class = "factor"))
  for (at in by_group) text[at] <- group_texts(leaves[at])
  text
}

# unlist() gives one vector for the group; the group holds nothing else (no attributes, no
# other types) exactly when it is identical to that vector's elements. JSON numbers parse to
# integers and doubles mixed, which are written alike, so integers among doubles are allowed.
group_texts <- function(values) {
  if (all(lengths(values) == 1L)) {
    flat <- unlist(values, use.names = FALSE)
    type <- typeof(flat)
    if (type %in% c("character", "double", "integer", "logical") && !is.object(flat)) {
      same <- as.list(flat)
      plain <- identical(values, same)
      if (!plain && type == "double") {
        ints <- rapply(values, function(v) TRUE, classes = "integer", deflt = FALSE, how = "unlist")
        if (any(ints)) {
          same[ints] <- as.list(as.integer(flat[ints]))
          plain <- identical(values, same)
        }
      }
      if (plain) return(encode_scalars(flat, type))
    }
  }
  vapply(values, encode_json, "", USE.NAMES = FALSE)
}

encode_classed <- function(x) {
  if (inherits(x, "json")) return(paste(as.character(x), collapse = ""))
  if (identical(oldClass(x), "AsIs") && is.atomic(x) && is.null(dim(x))) {
    text <- encode_json(unclass(x))
    return(if (length(x) == 1L) paste0("[", text, "]") else text)
  }
  as.character(jsonlite_ns()$toJSON(x, auto_unbox = TRUE, null = "null", na = "null", digits = NA))
}

format_doubles <- function(x) {
  text <- sprintf("%.15g", x)
  finite <- is.finite(x)
  inexact <- finite
  inexact[finite] <- read_doubles(text[finite]) != x[finite]
  if (any(inexact)) text[inexact] <- sprintf("%.17g", x[inexact])
  text[!finite] <- "null"
  text
}

# Numbers as a JSON reader reads them. R's as.numeric() is not correctly rounded at 15 digits: it
# reads "938.045080672908" as the double that prints as 938.04508067290794, so 15 digits would look
# exact where every correctly rounding reader (the C library's strtod, JavaScript, Python) gets
# another number; about 1 in 13,000 random doubles. jsonlite's parser uses strtod. Without jsonlite
# (an init error being reported), as.numeric() it is.
read_doubles <- function(text) {
  jsonlite <- if (length(text)) tryCatch(jsonlite_ns(), error = function(e) NULL)
  if (is.null(jsonlite)) return(as.numeric(text))
  as.numeric(jsonlite$parse_json(paste0("[", paste(text, collapse = ","), "]"), simplifyVector = TRUE))
}

# jsonlite's C string escaper when present (it is internal, so checked), else the same in R.
quote_json_strings <- function(x) {
  x <- enc2utf8(x)
  quoted <- if (is.function(json_state$quote)) json_state$quote(x) else quote_json_strings_r(x)
  quoted
}

# Escapes as jsonlite's escaper does: \b \f \n \r \t by name, other control characters as
# \u00XX with lower-case hex, "</" as "<\/", DEL and non-ASCII text as they are.
quote_json_strings_r <- function(x) {
  if (!length(x)) return(character()) # paste0() would turn no strings into one ""
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
json_state$since_gc <- 0L

init_json <- function() {
  json_state$native <- load_native_codec()
}

# The runtime's own packages (jsonlite, lambdajson) from R's own libraries, where the build puts
# them, so a different version in the function's or the r_lib layer's library cannot change how
# events are parsed; else from the library path (a local R, the tests' temporary library).
own_libraries <- function() c(.Library, .Library.site)

load_runtime_package <- function(package) {
  ns <- tryCatch(loadNamespace(package, lib.loc = own_libraries()), error = function(e) NULL)
  if (is.null(ns)) loadNamespace(package) else ns
}

# jsonlite's namespace, loaded on first use. Its C string escaper (internal, so checked) then
# replaces the R one.
jsonlite_ns <- function() {
  if (is.null(json_state$jsonlite)) {
    ns <- load_runtime_package("jsonlite")
    quote <- get0("deparse_vector", envir = ns, inherits = FALSE)
    works <- is.function(quote) && tryCatch(identical(quote(c("a\"\n", "\u00e9")), c("\"a\\\"\\n\"", "\"\u00e9\"")),
                                            error = function(e) FALSE)
    json_state$quote <- if (works) quote else NULL
    json_state$jsonlite <- ns
  }
  json_state$jsonlite
}

# Where jsonlite is installed (the order load_runtime_package() looks in), or "".
json_library_path <- function() {
  found <- find.package("jsonlite", lib.loc = own_libraries(), quiet = TRUE)
  if (!length(found)) found <- find.package("jsonlite", quiet = TRUE)
  if (length(found)) found[[1L]] else ""
}

# The version of lambdajson this runtime is written for; another version is not used.
NATIVE_CODEC_VERSION <- "1.0.0"

# lambdajson's namespace; NULL when absent, of another version, or when R_LAMBDA_JSON=r asks for
# the R code.
load_native_codec <- function() {
  if (identical(Sys.getenv("R_LAMBDA_JSON"), "r")) return(NULL)
  ns <- tryCatch(load_runtime_package("lambdajson"), error = function(e) NULL)
  if (is.null(ns) || !identical(getNamespaceVersion(ns)[[1L]], NATIVE_CODEC_VERSION)) return(NULL)
  ns
}

# Which codec is in use (the tests ask).
json_codec <- function() if (is.null(json_state$native)) "R" else "C"

error_report_bytes <- function(report) {
  serialize_result(report)
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
