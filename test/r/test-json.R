# The runtime's JSON (layer/r-runtime/json.R and the C codec data/lambdajson): the R encoder and
# the C encoder write the same bytes, on JSON events and on R values a handler may return, at
# small chunk sizes too; the C parser returns jsonlite's values, quirks included, and fails where
# it fails; doubles are written losslessly; large shapes round-trip; the pure-R string escaper
# is jsonlite's.
source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[[1L]]))), "helpers.R"))

invisible(loadNamespace("jsonlite"))
rt <- runtime_env(c("json.R"))
rt$init_json()
rt$json_state$native <- NULL # rt is the R code; the C codec is called directly as `native`
invisible(rt$jsonlite_ns()) # as the runtime loads it without the codec (with jsonlite's escaper)

# The C codec (data/lambdajson), built here with this R: the runtime's R code and it are held to the
# same bytes, and its parser to jsonlite's values.
# From a copy: an install compiles in the source folder, and the project's must stay sources only.
native_lib <- file.path(tempdir(), "native-lib")
dir.create(native_lib)
invisible(file.copy(file.path(REPO_ROOT, "data", "lambdajson"), tempdir(), recursive = TRUE))
install_log <- system2(file.path(R.home("bin"), "R"), c("CMD", "INSTALL", "--preclean", "--no-docs", "--no-test-load", paste0("--library=", native_lib),
                                                        shQuote(file.path(tempdir(), "lambdajson"))), stdout = TRUE, stderr = TRUE)
native <- tryCatch(loadNamespace("lambdajson", lib.loc = native_lib), error = function(e) NULL)
if (!check("the C codec builds and loads", !is.null(native))) {
  cat(install_log, sep = "\n")
  finish()
}
native_text <- function(x) rawToChar(native$encode_json_bytes(x, rt$encode_json))

# Both write the same text, or both fail (a value jsonlite cannot write either).
encode_or_error <- function(encode, x) tryCatch(encode(x), error = function(e) "<error>")
same_as_native <- function(x) identical(encode_or_error(rt$encode_json, x), encode_or_error(native_text, x))

# The same through the tree encoder only (small lists otherwise go node by node), whole and cut
# into chunks of a few nodes (the chunked path of node_texts()).
same_in_chunks <- function(x, limits = c(1L, 3L, 50L, 4096L)) {
  expected <- encode_or_error(native_text, x)
  saved <- c(rt$LEVEL_LIMIT, rt$TREE_MIN_LENGTH)
  on.exit({
    rt$LEVEL_LIMIT <- saved[[1L]]
    rt$TREE_MIN_LENGTH <- saved[[2L]]
  })
  rt$TREE_MIN_LENGTH <- 0L
  all(vapply(limits, function(limit) {
    rt$LEVEL_LIMIT <- limit
    identical(encode_or_error(rt$encode_json, x), expected)
  }, NA))
}

# The C parser returns what jsonlite returns, or both fail.
jsonlite_parse <- function(text) {
  Encoding(text) <- "UTF-8"
  jsonlite::fromJSON(text, simplifyVector = FALSE)
}
parse_or_error <- function(parse, text) tryCatch(parse(text), error = function(e) "<error>")
native_parse <- function(text) native$parse_json_bytes(charToRaw(text))
same_parse <- function(text) {
  ours <- parse_or_error(native_parse, text)
  identical(ours, parse_or_error(jsonlite_parse, text)) && !identical(ours, "<error>")
}
# jsonlite before 1.9 (Debian 12 has 1.8.4) also dropped the character after a lone high surrogate
# escape; the C parser does what 1.9, the r layer's jsonlite, does: "?" and the rest.
lone_surrogate_differs <- function(text) {
  packageVersion("jsonlite") < "1.9" && grepl("\\\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\\\u)", text, perl = TRUE)
}

parse <- function(text) rt$parse_event(charToRaw(enc2utf8(text)))

# --- JSON events ---------------------------------------------------------------------------------
events <- c(
  '{"sum":0.30000000000000004,"tiny":1e-300,"third":0.3333333333333333,"big":123456789012345678,"epoch_ms":1773101039000}',
  '{"one":["a"],"one_num":[1.5],"nested":[[]],"objs":[{}],"empty_obj":{},"empty_arr":[],"nil":null,"nulls":[null,1]}',
  '{"text":"h\\u00e9 \\ud83d\\ude00 \\"q\\" \\t\\n\\u0001\\u001f\\u007f","neg":-0.1,"t":true,"f":false,"zero":-0.0}',
  '{"":1,"a":{"":[]},"b":[{"":null}]}',
  '[1,2.5,"x",true,null,{},[],[1],{"a":1}]',
  '[[[[[[[[[[1]]]]]]]]]]', '[]', '{}', '"s"', '1', '2.5', 'true', 'null', '[null]',
  '{"ints_and_doubles":[1,2.5,3,4.25,1e300,-7],"int_like":[1.0,2.0],"huge_int":[2147483648,-2147483649]}',
  '{"a":[1,"1",true,null],"b":[{"x":1},{"x":"1"},{"x":true},{"x":null},{"x":[1]},{"x":{}}]}',
  '{"Records":[{"messageId":"1","body":"{\\"k\\": 1}","attributes":{"ApproximateReceiveCount":"1"},"md5":null}]}'
)
for (text in events) check(paste("event", substr(text, 1, 40)), same_as_native(parse(text)) && same_in_chunks(parse(text)))

fixtures <- list.files(file.path(REPO_ROOT, "test", "fixtures", "events"), pattern = "\\.json$", full.names = TRUE)
for (f in fixtures) {
  x <- rt$parse_event(readBin(f, "raw", file.size(f)))
  check(paste("fixture", basename(f)), same_as_native(x) && same_in_chunks(x))
}

# --- R values a handler may return ---------------------------------------------------------------
values <- list(
  NULL, list(), setNames(list(), character(0)), character(0), integer(0), NA, NA_character_, NA_real_, NA_integer_,
  c(1, NA, Inf, -Inf, NaN), 1:3, c(a = 1), list(c(a = 1), c(b = "x")), c(TRUE, NA), "x", I(5), I("a"), I(c(1, 2)),
  list(v = c(1, NA), s = NA_character_), list(one = I(5), scalar = 5),
  list(a = 1:2, b = list(), c = NULL, d = list(NULL), e = letters),
  list(frame = data.frame(a = 1:2, b = c("x", "y")), m = matrix(1:4, 2), f = factor(c("u", "v")), d = as.Date("2024-01-02")),
  list(fs = list(factor("a"), factor("b")), ds = list(as.Date("2024-01-02"), as.Date("2024-01-03"))),
  list(t = Sys.time() - Sys.time(), cx = 1i, r = as.raw(1), rs = list(as.raw(1), as.raw(2))),
  list(raw = structure('{"kept": 1.50}', class = "json"), inner = list(structure("[1, 2]", class = "json"))),
  list(j = jsonlite::toJSON(list(a = 1:2))),
  structure(list(a = 1), class = "foo"), structure(list(a = 1), foo = "bar"), list(x = structure(list(1, 2), foo = "bar")),
  list(mixed = list(1L, 2.5, "a", TRUE, NULL, NA, list()), ints = list(1L, 2L, NA_integer_), lg = list(TRUE, NA, FALSE)),
  list(lg_num = list(TRUE, 1), int_num = list(1L, 2.5), named_scalars = list(c(a = 1), 2)),
  list(latin1 = iconv("caf\u00e9", "UTF-8", "latin1"), keys = setNames(list(1, 2), c("k\u00e9", "a\"b\n"))),
  list(neg_zero = -0, digits = c(0.1 + 0.2, 1 / 3, 1e21, 123456789012345678, 5e-324, 2^53 + 1)),
  setNames(list(1, 2, 3), c("a", "", NA)), list(list(list(list()))), rep(list(list(a = 1, b = "x")), 5)
)
for (i in seq_along(values)) check(sprintf("R value %d", i), same_as_native(values[[i]]) && same_in_chunks(values[[i]]))

# A value that cannot be written stays an error (the runtime's Runtime.MarshalError).
check("an environment is an error", inherits(tryCatch(rt$encode_json(list(a = new.env())), error = identity), "error"))

# --- Random trees --------------------------------------------------------------------------------
set.seed(9)
random_value <- function(depth) {
  pick <- if (depth > 4) sample(1:6, 1) else sample(1:9, 1)
  switch(pick,
    sample(c(-3L, 0L, 7L, NA_integer_), 1), sample(c(0.1, -2.5, 1e-7, 3, 1 / 3, NA), 1),
    sample(c("a", "", "\u00e9\n", "q\"\\", NA), 1), sample(c(TRUE, FALSE, NA), 1), NULL,
    sample(list(1:2, c("x", "y"), numeric(0)), 1)[[1L]],
    lapply(seq_len(sample(0:4, 1)), function(i) random_value(depth + 1)),
    setNames(lapply(1:3, function(i) random_value(depth + 1)), sample(c("id", "v", "w", "id2"), 3)),
    lapply(seq_len(sample(1:6, 1)), function(i) list(id = i, name = paste0("n", i), v = random_value(depth + 2)))
  )
}
for (i in 1:150) {
  x <- list(root = random_value(0), more = random_value(1))
  check(sprintf("random tree %d", i), same_as_native(x) && same_in_chunks(x, c(2L, 7L)))
}

# --- Large shapes --------------------------------------------------------------------------------
records <- function(n) {
  lapply(seq_len(n) - 1L, function(i) {
    list(id = i, name = paste0("item-", i), price = round(i * 1.37) / 100 + 0.01, ok = i %% 3L == 0L,
         tags = list("a", as.character(i %% 7L)), n = if (i %% 5L) NULL else list(1.5, i))
  })
}
shapes <- list(
  records = list(records = records(3000)),
  wide = list(setNames(as.list(seq_len(2000) / 7), paste0("k", seq_len(2000))), setNames(as.list(letters), LETTERS)),
  deep = Reduce(function(inner, i) list(level = i, inner = inner), 1:120, list()),
  deep_arrays = Reduce(function(inner, i) list(inner), 1:120, list(1)),
  # Past the C encoder's 1000 levels, where it hands the rest to the R encoder.
  deeper = Reduce(function(inner, i) list(level = i, inner = inner), 1:1500, list(end = TRUE)),
  long_strings = list(a = strrep("x\u00e9\"", 200000), b = list(strrep("\n", 1000), strrep("y", 300000))),
  long_numbers = list(values = as.list(sin(seq_len(30000))), ints = as.list(seq_len(20000))),
  long_vector = list(values = sin(seq_len(30000)), flags = rep(c(TRUE, FALSE, NA), 1000))
)
for (name in names(shapes)) check(paste("shape", name), same_as_native(shapes[[name]]))
check("shape records in chunks of 1000", same_in_chunks(shapes$records, 1000L))

# At full size: an event echoes to the same text, and that text parses to the same event.
echo_is_stable <- function(x) {
  event <- parse(rt$encode_json(x))
  text <- rt$encode_json(event)
  identical(text, rt$encode_json(x)) && identical(parse(text), event)
}
check("40,000 records echo", echo_is_stable(list(records = records(40000))))
check("nesting 1000 deep echoes", echo_is_stable(Reduce(function(inner, i) list(inner, i), 1:1000, list())))

# --- The C parser against jsonlite ----------------------------------------------------------------
for (text in events) check(paste("C parse, event", substr(text, 1, 30)), same_parse(text))
for (f in fixtures) check(paste("C parse, fixture", basename(f)), same_parse(readChar(f, file.size(f), useBytes = TRUE)))
for (name in names(shapes)) check(paste("C parse, shape", name), same_parse(rt$encode_json(shapes[[name]])))
check("C parse, 40,000 records", same_parse(rt$encode_json(list(records = records(40000)))))

quirks <- c(
  "[-0, 0, 2147483647, -2147483647, -2147483648, 2147483648, 9007199254740993, 123456789012345678901234567890, -9223372036854775808, 18446744073709551616, 999999999999999999, 1000000000000000000]",
  "[0.1, -0.0, 1.5e300, 1e400, -1e400, 1e-400, 5e-324, 2.2250738585072014e-308, 1E5, 1e+5, 1e-5, 0.30000000000000004, 123.456e-2, 100000000000000000000000.0, 0.000001234567890123456789, 1e22, 1e23, 9007199254740993.0, 1.00000000000000011102230246251565404236316680908203125]",
  '{"a":1,"a":2}', '/* c */ {"a": // line\n 1 /* x */}', '"\\u0000cut"', '"a\\u0000b\\u0000"', '"\\ud83d"',
  '"\\ud83d\\u0041"', '"\\udc00"', '"\\/\\b\\f\\r\\t\\n\\"\\\\"', '  {"k" : [ 1 , 2 ] }  ', '\u001e[1]', '"\u00e9\u20ac\U0001F600"',
  '{"\u00e9":{"\u20ac":[]}}', '{"":{"":""}}', '[[],{},[[]],[{}],{"a":{}}]', '"</script>"', '[true,false,null]',
  # yajl's whitespace has form feed and vertical tab too.
  '[1,\f2]', '\v{"a":1}', '{"a":1}\f', '\f[ \v1\t,\r\n2 ]\v'
)
for (text in quirks) check(paste("C parse, quirk", substr(text, 1, 40)), same_parse(text))
check("C parse: a lone high surrogate escape is \"?\" and the rest stays (jsonlite 1.9)",
      identical(native_parse('"\\ud83dxyz"'), "?xyz") && identical(native_parse('"a\\ud83d\\nb"'), "a?\nb"))

bytes_parse <- function(bytes) {
  ours <- parse_or_error(native$parse_json_bytes, bytes)
  theirs <- parse_or_error(function(b) jsonlite_parse(rawToChar(b)), bytes)
  identical(ours, theirs)
}
check("C parse: UTF-8 yajl accepts (overlong, surrogate bytes)", bytes_parse(as.raw(c(0x22, 0xc0, 0x80, 0x22))) &&
        bytes_parse(as.raw(c(0x22, 0xed, 0xa0, 0x80, 0x22))))
check("C parse: invalid UTF-8 fails as in jsonlite", bytes_parse(as.raw(c(0x22, 0xff, 0x22))) &&
        bytes_parse(as.raw(c(0x22, 0xe2, 0x82, 0x22))) && identical(parse_or_error(native$parse_json_bytes, as.raw(c(0x22, 0xff, 0x22))), "<error>"))
check("C parse: a byte order mark is skipped with jsonlite's warning", {
  warned <- character()
  value <- withCallingHandlers(native$parse_json_bytes(c(as.raw(c(0xef, 0xbb, 0xbf)), charToRaw("[1]"))),
                               warning = function(w) {
                                 warned <<- conditionMessage(w)
                                 invokeRestart("muffleWarning")
                               })
  identical(value, list(1L)) && grepl("byte-order-mark", warned)
})

invalid <- c(" ", "{", "[1,]", '{"a":1,}', '{"a"}', "{a:1}", "[1 2]", "01", "1.", ".5", "-", "1e", "1e+", "+1", "tru", "nul",
             "NaN", "Infinity", '"a', '"\\x"', '"\\u12"', '"\\u12g4"', '"\t"', "[1]]", "{} {}", "/* open", "'s'", "[1,,2]",
             '{"a":1 "b":2}', "[", "]", '{"a":', "nulll", "[1]x")
for (text in invalid) {
  check(paste("C parse fails on", encodeString(text)), {
    message <- tryCatch({
      native$parse_json_bytes(charToRaw(text))
      ""
    }, error = conditionMessage)
    grepl(" at line [0-9]+, column [0-9]+ \\(byte [0-9]+\\)$", message) && identical(parse_or_error(jsonlite_parse, text), "<error>")
  })
}
check("C parse: the error says where", identical(tryCatch(native$parse_json_bytes(charToRaw('{"a":\n  [1,]}')), error = conditionMessage),
                                               "invalid character where a value was expected at line 2, column 6 (byte 12)"))

# Random edits of valid texts: the C parser and jsonlite agree on every one (the same value, or both fail).
set.seed(11)
seeds <- c(events, quirks, vapply(1:40, function(i) rt$encode_json(list(root = random_value(0))), ""))
alphabet <- c(strsplit('{}[],:"\\ 0123456789.eE+-/*tfnu', "")[[1L]], "\u00e9", "\n")
mutate <- function(text) {
  chars <- strsplit(text, "")[[1L]]
  for (k in seq_len(sample(1:3, 1))) {
    at <- sample(seq_len(length(chars) + 1L), 1)
    chars <- switch(sample(1:3, 1),
      append(chars, sample(alphabet, 1), after = at - 1L),
      if (length(chars)) chars[-min(at, length(chars))] else chars,
      { if (length(chars)) chars[min(at, length(chars))] <- sample(alphabet, 1); chars })
  }
  paste(chars, collapse = "")
}
# jsonlite's yajl takes a complete value followed by an unfinished token ('1 "abc', '[1] tru',
# '1 /* open') as the value; the C parser calls any text after the value an error. Where they differ only so, the
# value before the error's byte is what jsonlite returned.
only_trailing_text <- function(text, theirs) {
  message <- tryCatch({
    native_parse(text)
    ""
  }, error = conditionMessage)
  at <- regmatches(message, regexec("^(?:text after the end of the JSON value|unterminated comment) .*\\(byte ([0-9]+)\\)$", message,
                                    perl = TRUE))[[1L]]
  length(at) == 2L && identical(native$parse_json_bytes(charToRaw(text)[seq_len(as.integer(at[[2L]]) - 1L)]), theirs)
}
disagree <- character()
for (i in 1:1500) {
  text <- mutate(sample(seeds, 1))
  # jsonlite reads a short invalid text that names an existing file or folder ("/", ".") as that file.
  if (file.exists(text) || lone_surrogate_differs(text)) next
  ours <- parse_or_error(native_parse, text)
  theirs <- parse_or_error(jsonlite_parse, text)
  if (!identical(ours, theirs) && !only_trailing_text(text, theirs)) disagree <- c(disagree, text)
}
check(sprintf("C parse agrees with jsonlite on 1,500 random edits (disagreed: %s)", paste(head(encodeString(disagree), 3), collapse = " ")),
      length(disagree) == 0L)

check("C parse: nesting 50,000 deep (no recursion)", {
  value <- native$parse_json_bytes(charToRaw(paste0(strrep("[", 50000), strrep("]", 50000))))
  depth <- 0L
  while (length(value)) {
    value <- value[[1L]]
    depth <- depth + 1L
  }
  depth == 49999L
})
check("C parse: records that share key and string vectors stay independent when changed", {
  event <- native$parse_json_bytes(charToRaw('[{"a":"x","b":1},{"a":"x","b":2}]'))
  names(event[[1L]])[1L] <- "z"
  event[[1L]][["z"]][1L] <- "y"
  identical(event, list(list(z = "y", b = 1L), list(a = "x", b = 2L)))
})

# --- Doubles: the same digits from both encoders, and every one reads back ------------------------
set.seed(5)
# Random bit patterns reach every exponent (subnormals, NaN, infinities too), where the C encoder asks printf for
# digits; between 1e-5 and 1e17 it computes them in integers, so that range gets many values of its own, with ties
# at 15 digits (123456789012345.5), powers of ten and their neighbours, and carries (999999999999999.6).
random_bits <- readBin(as.raw(sample(0:255, 8 * 100000, TRUE)), "double", 100000)
powers <- 10^(-30:30)
doubles <- c(runif(20000) * 10^sample(-300:300, 20000, TRUE), rnorm(5000), sin(seq_len(5000)) * 1000, random_bits,
             runif(100000) * 10^sample(-6:17, 100000, TRUE), round(runif(20000), 2), powers,
             powers * (1 + .Machine$double.eps), powers * (1 - .Machine$double.eps), 2^(seq(-1074, 1023, by = 7)),
             .Machine$double.xmax, .Machine$double.xmin, 5e-324, 0.1 + 0.2, 1 / 3, -0, 1e22, 1e23, 9.999999999999999e22,
             0.5, 2.5e-5, 1e-5, 123456789012345.5, 123456789012344.5, 999999999999999.4, 999999999999999.6,
             9999999999999998, 99999999999999984, 9.999999999999999e16)
c_text <- native_text(doubles)
check("doubles: C and R write the same digits", identical(rt$encode_json(doubles), c_text))
finite <- is.finite(doubles)
check("doubles: every one reads back as itself (strtod, through jsonlite), and the others are null",
      all(as.numeric(unlist(jsonlite::parse_json(native_text(doubles[finite])))) == doubles[finite]) &&
        all(vapply(doubles[!finite], native_text, "") == "null"))
# R's as.numeric() reads these 15 digits as x itself; strtod (a JSON reader) as the next double.
x <- jsonlite::parse_json("938.04508067290794")
check("doubles: 15 digits are used only where a JSON reader reads them back",
      identical(rt$format_doubles(x), "938.04508067290794") && identical(native_text(x), "938.04508067290794"))

# --- The runtime picks the codec -------------------------------------------------------------------
check("the runtime uses the C codec where lambdajson is installed, and R_LAMBDA_JSON=r turns it off", local({
  old <- .libPaths()
  on.exit(.libPaths(old))
  .libPaths(c(native_lib, old))
  with_c <- runtime_env(c("json.R"))
  with_c$init_json()
  Sys.setenv(R_LAMBDA_JSON = "r")
  on.exit(Sys.unsetenv("R_LAMBDA_JSON"), add = TRUE)
  with_r <- runtime_env(c("json.R"))
  with_r$init_json()
  event <- charToRaw('{"a":[1,2.5,"x"],"b":{}}')
  identical(with_c$json_codec(), "C") && identical(with_r$json_codec(), "R") &&
    identical(with_c$serialize_result(with_c$parse_event(event)), with_r$serialize_result(with_r$parse_event(event)))
}))

check("with the C codec, jsonlite is loaded only when a classed value needs it", {
  script <- tempfile(fileext = ".R")
  writeLines(c(
    sprintf(".libPaths(c(%s, .libPaths()))", deparse(native_lib)),
    "env <- new.env(parent = baseenv())",
    sprintf("for (part in c('log.R', 'api.R', 'json.R', 'context.R', 'handler.R', 'loop.R')) sys.source(file.path(%s, part), envir = env)",
            deparse(RUNTIME_DIR)),
    "env$init_json_library()",
    "before <- isNamespaceLoaded('jsonlite')",
    "plain <- rawToChar(env$serialize_result(env$parse_event(charToRaw('{\"a\":[1,\"x\",{}]}'))))",
    "after_plain <- isNamespaceLoaded('jsonlite')",
    "classed <- rawToChar(env$serialize_result(list(d = as.Date('2024-01-02'))))",
    "cat(env$json_codec(), before, after_plain, isNamespaceLoaded('jsonlite'), plain, classed, sep = '\\n')"
  ), script)
  out <- system2(file.path(R.home("bin"), "Rscript"), script, stdout = TRUE, stderr = TRUE)
  identical(out, c("C", "FALSE", "FALSE", "TRUE", '{"a":[1,"x",{}]}', rt$encode_json(list(d = as.Date("2024-01-02")))))
})

# --- The pure-R string escaper is jsonlite's -----------------------------------------------------
strings <- enc2utf8(c(intToUtf8(1:127, multiple = TRUE), "h\u00e9\nllo\u0001 \U0001F600", "", "a\"b\\c",
                      paste0("\u00e9", intToUtf8(c(2, 8, 9, 10, 12, 13, 31, 127))), "\u2028"))
check("the R escaper writes what jsonlite's does",
      identical(rt$quote_json_strings_r(strings), rt$json_state$quote(strings)))
check("control characters become \\u00XX, not ?", identical(rt$quote_json_strings_r("a\001\037"), "\"a\\u0001\\u001f\""))
check("no strings give no text", identical(rt$quote_json_strings_r(character()), character()))

without_jsonlite_escaper <- function(x) {
  saved <- rt$json_state$quote
  on.exit(rt$json_state$quote <- saved)
  rt$json_state$quote <- NULL
  rt$encode_json(x)
}
for (text in events) check(paste("R escaper, event", substr(text, 1, 30)), identical(without_jsonlite_escaper(parse(text)), rt$encode_json(parse(text))))
writable <- Filter(function(v) !identical(encode_or_error(rt$encode_json, v), "<error>"), values)
check("R escaper, R values", identical(without_jsonlite_escaper(writable), rt$encode_json(writable)))

finish()
