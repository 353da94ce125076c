# The JSON encoder (layer/r-runtime/json.R): byte for byte what the encoder before the tree
# encoder wrote (test/r/reference-encoder.R), on JSON events and on R values a handler may
# return, at small chunk sizes too; lossless round trips of large shapes; the pure-R string
# escaper against jsonlite's.
source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[[1L]]))), "helpers.R"))

invisible(loadNamespace("jsonlite"))
rt <- runtime_env(c("json.R"))
rt$init_json()
ref <- new.env(parent = rt)
sys.source(file.path(test_dir(), "reference-encoder.R"), envir = ref)

# Both write the same text, or both fail (a value jsonlite cannot write either).
encode_or_error <- function(encode, x) tryCatch(encode(x), error = function(e) "<error>")
same_as_reference <- function(x) identical(encode_or_error(rt$encode_json, x), encode_or_error(ref$reference_encode_json, x))

# The same through the tree encoder only (small lists otherwise go node by node), whole and cut
# into chunks of a few nodes (the chunked path of node_texts()).
same_in_chunks <- function(x, limits = c(1L, 3L, 50L, 4096L)) {
  expected <- encode_or_error(ref$reference_encode_json, x)
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
for (text in events) check(paste("event", substr(text, 1, 40)), same_as_reference(parse(text)) && same_in_chunks(parse(text)))

fixtures <- list.files(file.path(REPO_ROOT, "test", "fixtures", "events"), pattern = "\\.json$", full.names = TRUE)
for (f in fixtures) {
  x <- rt$parse_event(readBin(f, "raw", file.size(f)))
  check(paste("fixture", basename(f)), same_as_reference(x) && same_in_chunks(x))
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
for (i in seq_along(values)) check(sprintf("R value %d", i), same_as_reference(values[[i]]) && same_in_chunks(values[[i]]))

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
  check(sprintf("random tree %d", i), same_as_reference(x) && same_in_chunks(x, c(2L, 7L)))
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
  # The reference recurses in R, and runs out of C stack a little deeper than this.
  deep = Reduce(function(inner, i) list(level = i, inner = inner), 1:120, list()),
  deep_arrays = Reduce(function(inner, i) list(inner), 1:120, list(1)),
  long_strings = list(a = strrep("x\u00e9\"", 200000), b = list(strrep("\n", 1000), strrep("y", 300000))),
  long_numbers = list(values = as.list(sin(seq_len(30000))), ints = as.list(seq_len(20000))),
  long_vector = list(values = sin(seq_len(30000)), flags = rep(c(TRUE, FALSE, NA), 1000))
)
for (name in names(shapes)) check(paste("shape", name), same_as_reference(shapes[[name]]))
check("shape records in chunks of 1000", same_in_chunks(shapes$records, 1000L))

# At full size, through jsonlite's parser (the reference encoder would take minutes): an event
# echoes to the same text, and that text parses to the same event.
echo_is_stable <- function(x) {
  event <- parse(rt$encode_json(x))
  text <- rt$encode_json(event)
  identical(text, rt$encode_json(x)) && identical(parse(text), event)
}
check("40,000 records echo", echo_is_stable(list(records = records(40000))))
check("nesting 1000 deep echoes", echo_is_stable(Reduce(function(inner, i) list(inner, i), 1:1000, list())))

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
