# The runtime's JSON (R/json.R and its C codec, src/): the C parser returns
# jsonlite's values, quirks included, and fails where it fails; the C encoder writes jsonlite's shapes
# (byte-identical to jsonlite where jsonlite's 15 digits are exact), round-trips data frames, matrices,
# factors, dates and times, and writes every double as JavaScript's JSON.stringify does (compared with
# Node byte for byte on a million random bit patterns).

invisible(loadNamespace("jsonlite"))
native <- rt
lib <- dirname(getNamespaceInfo("lambdaruntime", "path")) # where the package under test is installed

encode <- function(x) rawToChar(rt$serialize_result(x))
# What jsonlite writes with the runtime's options (digits = NA: its most, 15 significant).
jsonlite_text <- function(x) as.character(jsonlite::toJSON(x, auto_unbox = TRUE, null = "null", na = "null", digits = NA))
expect_same_as_jsonlite <- function(x, info) expect_identical(encode(x), jsonlite_text(x), info = info)

# The C parser returns what jsonlite returns, or both fail.
jsonlite_parse <- function(text) {
  Encoding(text) <- "UTF-8"
  jsonlite::fromJSON(text, simplifyVector = FALSE)
}
parse_or_error <- function(parse, text) tryCatch(parse(text), error = function(e) "<error>")
native_parse <- function(text) native$parse_json_bytes(charToRaw(text))
expect_same_parse <- function(text, info) {
  ours <- parse_or_error(native_parse, text)
  expect_false(identical(ours, "<error>"), info = paste("the C parser failed:", info))
  expect_identical(ours, parse_or_error(jsonlite_parse, text), info = info)
}
# jsonlite before 1.9 (Debian 12 has 1.8.4) also dropped the character after a lone high surrogate
# escape; the C parser does what 1.9, the r layer's jsonlite, does: "?" and the rest.
lone_surrogate_differs <- function(text) {
  packageVersion("jsonlite") < "1.9" && grepl("\\\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\\\u)", text, perl = TRUE)
}

parse <- function(text) rt$parse_event(charToRaw(enc2utf8(text)))
native_text <- function(x) rawToChar(native$encode_json_bytes(x, rt$encode_fallback))

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
# An event echoes to JSON that parses back to the same event: the same values, numbers exactly equal (a whole double
# such as 2.0 or -0 is written as JavaScript writes it, "2" and "0", and read back as an integer).
expect_echoes <- function(x, info) expect_equal(parse(encode(x)), x, tolerance = 0, info = info)
test_that("an event echoes to JSON that parses back to the same event", {
  for (text in events) expect_echoes(parse(text), info = paste("event", substr(text, 1, 40)))
})

fixtures <- if (nzchar(REPO_ROOT)) list.files(file.path(REPO_ROOT, "test", "fixtures", "events"), pattern = "\\.json$", full.names = TRUE) else character()
test_that("the project's event fixtures echo", {
  needs_repo()
  for (f in fixtures) expect_echoes(rt$parse_event(readBin(f, "raw", file.size(f))), info = paste("fixture", basename(f)))
})

# --- R values a handler may return: jsonlite's shapes -------------------------------------------
# Numbers here are exact in jsonlite's 15 digits and written alike by both (no 1e-7 or 1e21, which JavaScript's rules
# write as "1e-7" and "1e+21" and jsonlite as "1e-07" and "1e+21"), so the texts must be byte-identical.
frame <- data.frame(n = c(1.5, NA, -2), i = c(1L, NA, 3L), s = c("a", NA, "c\"\n"), l = c(TRUE, NA, FALSE),
                    f = factor(c("u", NA, "v")), d = as.Date(c("2024-01-02", NA, "1969-12-31")),
                    t = as.POSIXct(c("2024-01-02 03:04:05", NA, "1960-06-30 23:59:59"), tz = "UTC"), stringsAsFactors = FALSE)
values <- list(
  NULL, list(), setNames(list(), character(0)), character(0), integer(0), NA, NA_character_, NA_real_, NA_integer_,
  c(1, NA, Inf, -Inf, NaN), 1:3, c(a = 1), c(a = 1, b = 2), list(c(a = 1), c(b = "x")), c(TRUE, NA), "x", I(5), I("a"),
  I(c(1, 2)), list(v = c(1, NA), s = NA_character_), list(one = I(5), scalar = 5),
  list(a = 1:2, b = list(), c = NULL, d = list(NULL), e = letters),
  frame, frame[0, ], frame[, 0], data.frame(x = 1:2, row.names = c("a", "b")), data.frame(x = I(list(1:2, "a", NULL))),
  structure(data.frame(a = 1:2, b = c(0.5, 0.25)), class = c("tbl_df", "tbl", "data.frame")),
  list(frames = list(frame, data.frame(z = 1)), inner = list(deeper = frame[2:3, c("f", "d")])),
  matrix(c(1.5, 2, 3, 4, NA, 6), 2), matrix(c("a", NA, "b", "c"), 2), matrix(c(TRUE, FALSE), 1), matrix(1L, 1, 1),
  matrix(numeric(0), 0, 2), array(1:24, c(2, 3, 4)), array(1:3, 3), list(m = matrix(1:4, 2, dimnames = list(c("a", "b"), NULL))),
  factor(c("x", "y", NA)), factor("x"), factor(character(0)), as.Date("2024-01-02"), as.Date(c("2024-01-02", NA)),
  as.POSIXct("2024-01-02 03:04:05", tz = "America/New_York"), as.POSIXlt("2024-01-02 03:04:05", tz = "UTC"),
  list(fs = list(factor("a"), factor("b")), ds = list(as.Date("2024-01-02"), as.Date("2024-01-03"))),
  list(r = as.raw(1), rs = list(as.raw(1), as.raw(2))), list(I(list(1, "a"))),
  list(mixed = list(1L, 2.5, "a", TRUE, NULL, NA, list()), ints = list(1L, 2L, NA_integer_), lg = list(TRUE, NA, FALSE)),
  list(lg_num = list(TRUE, 1), int_num = list(1L, 2.5), named_scalars = list(c(a = 1), 2)),
  list(latin1 = iconv("caf\u00e9", "UTF-8", "latin1"), keys = setNames(list(1, 2), c("k\u00e9", "a\"b\n"))),
  list(list(list(list()))), rep(list(list(a = 1, b = "x")), 5)
)
test_that("R values a handler may return are written as jsonlite writes them", {
  for (i in seq_along(values)) {
    expect_same_as_jsonlite(values[[i]], info = sprintf("R value %d: %s", i, substr(paste(deparse(values[[i]]), collapse = ""), 1, 50)))
  }
  x <- data.frame(a = 1)
  x$m <- matrix(1:2, 1)
  x$inner <- data.frame(p = "q", d = as.Date("2024-05-06"))
  expect_same_as_jsonlite(x, info = "a data frame with matrix and data frame columns")
})

# Two differences from jsonlite, kept from the runtime's earlier encoders: JSON text (raw_json(), jsonlite::toJSON())
# goes in unchanged anywhere (jsonlite quotes it as a string inside a list), and empty or NA names stay "" and "NA"
# (jsonlite numbers them by position).
test_that("json text (raw_json(), jsonlite::toJSON()) goes in unchanged, at the top and inside; empty and NA names are \"\" and \"NA\"", {
  expect_identical(encode(list(raw = structure('{"kept": 1.50}', class = "json"), inner = list(structure("[1, 2]", class = "json")),
                               j = jsonlite::toJSON(list(a = 1:2)))),
                   '{"raw":{"kept": 1.50},"inner":[[1, 2]],"j":{"a":[1,2]}}')
  expect_identical(encode(setNames(list(1, 2, 3), c("a", "", NA))), '{"a":1,"":2,"NA":3}')
})

test_that("a classed double vector jsonlite writes as numbers (a ts) keeps every digit, in jsonlite's shape", {
  expect_identical(encode(list(t = ts(c(1 / 3, 2)), one = ts(0.1 + 0.2))), '{"t":[0.3333333333333333,2],"one":0.30000000000000004}')
  expect_identical(encode(list(z = 1 + 2i)), '{"z":"1+2i"}')
})

# A value that cannot be written is an error (the runtime's Runtime.MarshalError), never a wrong text.
test_that("an environment, or a class jsonlite does not know, is an error", {
  expect_error(encode(list(a = new.env())))
  expect_error(encode(structure(1:3, class = "unknown")))
})

# --- Round trips: every number reads back as the same double ----------------------------------------
set.seed(3)
n <- 500
bits <- readBin(as.raw(sample(0:255, 8 * n, TRUE)), "double", n)
bits[!is.finite(bits)] <- 0.5
rows <- data.frame(dbl = c(runif(n - 5) * 10^sample(-20:20, n - 5, TRUE), 0.1 + 0.2, 1 / 3, 1e21, 1e-7, NA),
                   bits = bits, int = c(sample(-1e6:1e6, n - 1), NA), fct = factor(sample(c("lo", "hi", NA), n, TRUE)),
                   day = as.Date("1970-01-01") + c(sample(-30000:30000, n - 1), NA),
                   when = as.POSIXct("2000-01-01", tz = "UTC") + c(sample(-1e9:1e9, n - 1), NA))
test_that("a data frame round-trips: doubles exactly (not jsonlite's 15 digits), integers, NA, factors, Dates, POSIXct", {
  back <- jsonlite::fromJSON(encode(rows))
  expect_identical(back$dbl, rows$dbl)
  expect_identical(back$bits, rows$bits)
  expect_identical(back$int, rows$int)
  expect_identical(back$fct, as.character(rows$fct))
  expect_identical(as.Date(back$day), rows$day)
  expect_identical(as.POSIXct(back$when, tz = "UTC"), rows$when)
})
test_that("the issue's example: data.frame(x = 0.1 + 0.2, y = 1/3)", {
  expect_identical(encode(data.frame(x = 0.1 + 0.2, y = 1 / 3)), '[{"x":0.30000000000000004,"y":0.3333333333333333}]')
})
test_that("nested lists of data frames round-trip", {
  nested <- list(a = list(rows[1:50, ], list(b = rows[51:60, c("dbl", "bits")])), c = rows[61:70, "bits", drop = FALSE])
  back <- jsonlite::fromJSON(encode(nested), simplifyVector = TRUE, simplifyDataFrame = TRUE)
  expect_identical(back$a[[2L]]$b$bits, rows$bits[51:60])
  expect_identical(back$a[[1L]]$dbl, rows$dbl[1:50])
  expect_identical(back$c$bits, rows$bits[61:70])
})
m <- matrix(c(bits[1:200], runif(100) / 3), 30)
test_that("matrices round-trip row-major, exactly; an integer matrix with NA too", {
  expect_identical(jsonlite::fromJSON(encode(m)), m)
  expect_identical(jsonlite::fromJSON(encode(matrix(c(1:5, NA), 3))), matrix(c(1:5, NA), 3))
})
test_that("an event's numbers echo exactly", {
  expect_identical(parse(encode(parse('{"a":[0.30000000000000004,1e-300,5e-324,1.7976931348623157e308]}'))),
                   list(a = list(0.1 + 0.2, 1e-300, 5e-324, .Machine$double.xmax)))
})

# --- Random trees: the same values as jsonlite's text, numbers to 15 digits --------------------------
set.seed(9)
random_value <- function(depth) {
  pick <- if (depth > 4) sample(1:6, 1) else sample(1:10, 1)
  switch(pick,
    sample(c(-3L, 0L, 7L, NA_integer_), 1), sample(c(0.1, -2.5, 1e-7, 3, 1 / 3, NA), 1),
    sample(c("a", "", "\u00e9\n", "q\"\\", NA), 1), sample(c(TRUE, FALSE, NA), 1), NULL,
    sample(list(1:2, c("x", "y"), numeric(0), factor(c("p", "q")), as.Date("2020-02-29")), 1)[[1L]],
    lapply(seq_len(sample(0:4, 1)), function(i) random_value(depth + 1)),
    setNames(lapply(1:3, function(i) random_value(depth + 1)), sample(c("id", "v", "w", "id2"), 3)),
    lapply(seq_len(sample(1:6, 1)), function(i) list(id = i, name = paste0("n", i), v = random_value(depth + 2))),
    data.frame(id = 1:2, v = c(0.25, 1 / 7), s = c("x", NA))
  )
}
test_that("150 random trees: jsonlite's values", {
  for (i in 1:150) {
    x <- list(root = random_value(0), more = random_value(1))
    ours <- jsonlite::fromJSON(encode(x), simplifyVector = FALSE)
    expect_equal(ours, jsonlite::fromJSON(jsonlite_text(x), simplifyVector = FALSE), tolerance = 1e-14, info = sprintf("random tree %d", i))
  }
})

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
  deeper = Reduce(function(inner, i) list(level = i, inner = inner), 1:1500, list(end = TRUE)),
  long_strings = list(a = strrep("x\u00e9\"", 200000), b = list(strrep("\n", 1000), strrep("y", 300000))),
  long_numbers = list(values = as.list(sin(seq_len(30000))), ints = as.list(seq_len(20000))),
  long_vector = list(values = sin(seq_len(30000)), flags = rep(c(TRUE, FALSE, NA), 1000))
)
test_that("deeper than the encoder's 10,000 levels is an error, not a crash", {
  expect_error(encode(Reduce(function(inner, i) list(inner), 1:10005, list())))
})

# At full size: an event echoes to the same text, and that text parses to the same event.
expect_echo_is_stable <- function(x, info) {
  event <- parse(encode(x))
  text <- encode(event)
  expect_identical(text, encode(x), info = info)
  expect_identical(parse(text), event, info = info)
}
test_that("large shapes, 40,000 records and nesting 1000 deep echo", {
  for (name in names(shapes)) expect_echo_is_stable(shapes[[name]], info = paste("shape", name))
  expect_echo_is_stable(list(records = records(40000)), info = "40,000 records")
  expect_echo_is_stable(Reduce(function(inner, i) list(inner, i), 1:1000, list()), info = "nesting 1000 deep")
})

# --- The C parser against jsonlite ----------------------------------------------------------------
test_that("C parse: events, fixtures, large shapes and 40,000 records as jsonlite parses them", {
  for (text in events) expect_same_parse(text, info = paste("event", substr(text, 1, 30)))
  for (f in fixtures) expect_same_parse(readChar(f, file.size(f), useBytes = TRUE), info = paste("fixture", basename(f)))
  for (name in names(shapes)) expect_same_parse(encode(shapes[[name]]), info = paste("shape", name))
  expect_same_parse(encode(list(records = records(40000))), info = "40,000 records")
})

quirks <- c(
  "[-0, 0, 2147483647, -2147483647, -2147483648, 2147483648, 9007199254740993, 123456789012345678901234567890, -9223372036854775808, 18446744073709551616, 999999999999999999, 1000000000000000000]",
  "[0.1, -0.0, 1.5e300, 1e400, -1e400, 1e-400, 5e-324, 2.2250738585072014e-308, 1E5, 1e+5, 1e-5, 0.30000000000000004, 123.456e-2, 100000000000000000000000.0, 0.000001234567890123456789, 1e22, 1e23, 9007199254740993.0, 1.00000000000000011102230246251565404236316680908203125]",
  '{"a":1,"a":2}', '/* c */ {"a": // line\n 1 /* x */}', '"\\u0000cut"', '"a\\u0000b\\u0000"', '"\\ud83d"',
  '"\\ud83d\\u0041"', '"\\udc00"', '"\\/\\b\\f\\r\\t\\n\\"\\\\"', '  {"k" : [ 1 , 2 ] }  ', '\u001e[1]', '"\u00e9\u20ac\U0001F600"',
  '{"\u00e9":{"\u20ac":[]}}', '{"":{"":""}}', '[[],{},[[]],[{}],{"a":{}}]', '"</script>"', '[true,false,null]',
  # yajl's whitespace has form feed and vertical tab too.
  '[1,\f2]', '\v{"a":1}', '{"a":1}\f', '\f[ \v1\t,\r\n2 ]\v'
)
test_that("C parse: jsonlite's quirks", {
  for (text in quirks) expect_same_parse(text, info = paste("quirk", encodeString(substr(text, 1, 40))))
})
test_that("C parse: a lone high surrogate escape is \"?\" and the rest stays (jsonlite 1.9)", {
  expect_identical(native_parse('"\\ud83dxyz"'), "?xyz")
  expect_identical(native_parse('"a\\ud83d\\nb"'), "a?\nb")
})

expect_bytes_parse <- function(bytes) {
  ours <- parse_or_error(native$parse_json_bytes, bytes)
  theirs <- parse_or_error(function(b) jsonlite_parse(rawToChar(b)), bytes)
  expect_identical(ours, theirs, info = paste("bytes", paste(bytes, collapse = " ")))
}
test_that("C parse: UTF-8 yajl accepts (overlong, surrogate bytes)", {
  expect_bytes_parse(as.raw(c(0x22, 0xc0, 0x80, 0x22)))
  expect_bytes_parse(as.raw(c(0x22, 0xed, 0xa0, 0x80, 0x22)))
})
test_that("C parse: invalid UTF-8 fails as in jsonlite", {
  expect_bytes_parse(as.raw(c(0x22, 0xff, 0x22)))
  expect_bytes_parse(as.raw(c(0x22, 0xe2, 0x82, 0x22)))
  expect_error(native$parse_json_bytes(as.raw(c(0x22, 0xff, 0x22))))
})
test_that("C parse: a byte order mark is skipped with jsonlite's warning", {
  warned <- character()
  value <- withCallingHandlers(native$parse_json_bytes(c(as.raw(c(0xef, 0xbb, 0xbf)), charToRaw("[1]"))),
                               warning = function(w) {
                                 warned <<- conditionMessage(w)
                                 invokeRestart("muffleWarning")
                               })
  expect_identical(value, list(1L))
  expect_match(warned, "byte-order-mark")
})

invalid <- c(" ", "{", "[1,]", '{"a":1,}', '{"a"}', "{a:1}", "[1 2]", "01", "1.", ".5", "-", "1e", "1e+", "+1", "tru", "nul",
             "NaN", "Infinity", '"a', '"\\x"', '"\\u12"', '"\\u12g4"', '"\t"', "[1]]", "{} {}", "/* open", "'s'", "[1,,2]",
             '{"a":1 "b":2}', "[", "]", '{"a":', "nulll", "[1]x")
test_that("C parse fails where jsonlite fails, and the error says where", {
  for (text in invalid) {
    message <- tryCatch({
      native$parse_json_bytes(charToRaw(text))
      ""
    }, error = conditionMessage)
    expect_match(message, " at line [0-9]+, column [0-9]+ \\(byte [0-9]+\\)$", info = paste("C parse of", encodeString(text)))
    expect_identical(parse_or_error(jsonlite_parse, text), "<error>", info = paste("jsonlite's parse of", encodeString(text)))
  }
  expect_identical(tryCatch(native$parse_json_bytes(charToRaw('{"a":\n  [1,]}')), error = conditionMessage),
                   "invalid character where a value was expected at line 2, column 6 (byte 12)")
})

# Random edits of valid texts: the C parser and jsonlite agree on every one (the same value, or both fail).
set.seed(11)
seeds <- c(events, quirks, vapply(1:40, function(i) encode(list(root = random_value(0))), ""))
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
test_that("C parse agrees with jsonlite on 1,500 random edits", {
  disagree <- character()
  for (i in 1:1500) {
    text <- mutate(sample(seeds, 1))
    # jsonlite reads a short invalid text that names an existing file or folder ("/", ".") as that file.
    if (file.exists(text) || lone_surrogate_differs(text)) next
    ours <- parse_or_error(native_parse, text)
    theirs <- parse_or_error(jsonlite_parse, text)
    if (!identical(ours, theirs) && !only_trailing_text(text, theirs)) disagree <- c(disagree, text)
  }
  # The texts they disagreed on, if any.
  expect_identical(disagree, character())
})

test_that("C parse: nesting 50,000 deep (no recursion)", {
  value <- native$parse_json_bytes(charToRaw(paste0(strrep("[", 50000), strrep("]", 50000))))
  depth <- 0L
  while (length(value)) {
    value <- value[[1L]]
    depth <- depth + 1L
  }
  expect_equal(depth, 49999L)
})
test_that("C parse: records that share key and string vectors stay independent when changed", {
  event <- native$parse_json_bytes(charToRaw('[{"a":"x","b":1},{"a":"x","b":2}]'))
  names(event[[1L]])[1L] <- "z"
  event[[1L]][["z"]][1L] <- "y"
  expect_identical(event, list(list(z = "y", b = 1L), list(a = "x", b = 2L)))
})

# --- Doubles: JavaScript's JSON.stringify, byte for byte ------------------------------------------
# A million random bit patterns reach every exponent (subnormals, NaN, infinities too), where the C encoder bisects
# with printf; between 1e-5 and 1e17 it computes the shortest digits in integers, so that range gets many values of
# its own, with powers of ten and two and their neighbours, ties and carries. R writes them through the runtime,
# Node's JSON.stringify writes the same doubles (read from their bytes), and the texts must be equal.
set.seed(5)
random_bits <- readBin(as.raw(sample(0:255, 8 * 1e6, TRUE)), "double", 1e6)
powers <- 10^(-30:30)
doubles <- c(random_bits, runif(20000) * 10^sample(-300:300, 20000, TRUE), rnorm(5000), sin(seq_len(5000)) * 1000,
             runif(200000) * 10^sample(-6:17, 200000, TRUE), round(runif(20000), 2), powers,
             powers * (1 + .Machine$double.eps), powers * (1 - .Machine$double.eps), 2^(-1074:1023), 10^(-323:308),
             .Machine$double.xmax, .Machine$double.xmin, 5e-324, 0.1 + 0.2, 1 / 3, -0, 1e21, 1e22, 1e23, 9.999999999999999e22,
             1e-7, 1e-6, 0.5, 2.5e-5, 1e-5, 123456789012345.5, 123456789012344.5, 999999999999999.4, 999999999999999.6,
             9999999999999998, 99999999999999984, 9.999999999999999e16, 2^53, 2^53 + 2, -1.5e300, 1e17, 1e17 * (1 - 2^-53))
test_that(sprintf("doubles: %d written through the runtime as Node's JSON.stringify writes them", length(doubles)), {
  bin <- tempfile(fileext = ".bin")
  ours <- tempfile(fileext = ".json")
  writeBin(doubles, bin, endian = "little")
  writeBin(rt$serialize_result(doubles), ours)
  compare <- paste(
    "const fs = require('fs'); const b = fs.readFileSync(process.argv[1]);",
    "const x = new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));",
    "const node = JSON.stringify(Array.from(x)); const ours = fs.readFileSync(process.argv[2], 'utf8');",
    "if (node !== ours) { const a = ours.slice(1, -1).split(','), e = node.slice(1, -1).split(',');",
    "  const i = a.findIndex((v, k) => v !== e[k]); console.log('differs at', i, a[i], e[i]); process.exit(1); }",
    "if (JSON.stringify(JSON.parse(ours)) !== ours) process.exit(2);")
  # Node prints where they differ; its exit status: 1 when they differ, 2 when the runtime's text does not echo in JavaScript.
  status <- system2("node", c("-e", shQuote(compare), bin, ours))
  expect_identical(status, 0L)
})
test_that("doubles: every finite one reads back as itself (the runtime's parser), and the others are null", {
  finite <- is.finite(doubles)
  expect_identical(vapply(parse(encode(doubles[finite])), as.numeric, 0), doubles[finite])
  expect_identical(vapply(doubles[!finite][1:10], encode, ""), rep("null", 10L))
})
test_that("doubles: JavaScript's notation (1e21 and 1e-7 switch to exponents, -0 is 0)", {
  expect_identical(encode(c(1e21, 1e20, 1e-7, 1e-6, -0, 1.5e-7, 123e-20, 0.1, 100)),
                   "[1e+21,100000000000000000000,1e-7,0.000001,0,1.5e-7,1.23e-18,0.1,100]")
})

# --- jsonlite is loaded lazily --------------------------------------------------------------------
test_that("jsonlite is loaded only when a classed value the codec does not know needs it", {
  script <- tempfile(fileext = ".R")
  writeLines(c(
    sprintf(".libPaths(c(%s, .libPaths()))", deparse(lib)),
    "env <- asNamespace('lambdaruntime')",
    "env$check_jsonlite()",
    "before <- isNamespaceLoaded('jsonlite')",
    "plain <- rawToChar(env$serialize_result(list(env$parse_event(charToRaw('{\"a\":[1,\"x\",{}]}')), data.frame(d = Sys.Date()))))",
    "after_plain <- isNamespaceLoaded('jsonlite')",
    "classed <- rawToChar(env$serialize_result(list(z = 1i)))",
    "cat(before, after_plain, isNamespaceLoaded('jsonlite'), classed, sep = '\\n')"
  ), script)
  out <- system2(file.path(R.home("bin"), "Rscript"), script, stdout = TRUE, stderr = TRUE)
  # isNamespaceLoaded('jsonlite') before, after a plain result, after a classed one; the classed result's text
  expect_identical(out, c("FALSE", "FALSE", "TRUE", '{"z":"0+1i"}'))
})

# --- Error reports are written in R (they must work when the codec is what failed) -------------------
strings <- enc2utf8(c(intToUtf8(1:127, multiple = TRUE), "h\u00e9\nllo\u0001 \U0001F600", "", "a\"b\\c",
                      paste0("\u00e9", intToUtf8(c(2, 8, 9, 10, 12, 13, 31, 127))), "\u2028", "</script>"))
test_that("the report's string escaper writes what the C encoder and jsonlite write; no strings give no text", {
  expect_identical(paste0("[", paste(rt$quote_json_strings(strings), collapse = ","), "]"), encode(strings))
  expect_identical(encode(strings), jsonlite_text(strings))
  expect_identical(rt$quote_json_strings(character()), character())
})
test_that("an error report's bytes are the encoder's", {
  report <- list(errorMessage = "boom \"x\"\n", errorType = "Runtime.X", stackTrace = I(c("a()", "b()")))
  expect_identical(rawToChar(rt$error_report_bytes(report)), encode(report))
  expect_identical(rawToChar(rt$error_report_bytes(list(errorMessage = "m", errorType = "t", stackTrace = I(character())))),
                   '{"errorMessage":"m","errorType":"t","stackTrace":[]}')
})

