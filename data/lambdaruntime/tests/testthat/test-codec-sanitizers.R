# The runtime package's C codec under AddressSanitizer and UndefinedBehaviorSanitizer (gcc's): built with both, loaded
# into an R started with libasan preloaded, and run over events, results of every shape, invalid and truncated texts,
# random edits and a hundred thousand random doubles. Any finding aborts that R, which fails the check.

gcc <- Sys.which("gcc")
libasan <- if (nzchar(gcc)) system2(gcc, "-print-file-name=libasan.so", stdout = TRUE) else ""
if (!nzchar(REPO_ROOT) || !length(libasan) || !file.exists(libasan)) {
  test_that("the codec under ASan and UBSan", skip("needs the project's sources (R_LAMBDA_REPO_ROOT) and gcc with libasan"))
} else {
lib <- file.path(tempdir(), "asan-lib")
dir.create(lib)
invisible(file.copy(file.path(REPO_ROOT, "data", "lambdaruntime"), tempdir(), recursive = TRUE))
makevars <- file.path(tempdir(), "Makevars")
flags <- "-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
writeLines(c(paste("CFLAGS =", flags), paste("LDFLAGS = -fsanitize=address,undefined")), makevars)
install_log <- system2(file.path(R.home("bin"), "R"), c("CMD", "INSTALL", "--preclean", "--no-docs", "--no-test-load", paste0("--library=", lib),
                                                        shQuote(file.path(tempdir(), "lambdaruntime"))),
                       stdout = TRUE, stderr = TRUE, env = paste0("R_MAKEVARS_USER=", makevars))
test_that("the codec builds with -fsanitize=address,undefined", {
  expect_true(file.exists(file.path(lib, "lambdaruntime", "libs", "lambdaruntime.so")), info = paste(install_log, collapse = "\n"))
})

workload <- file.path(tempdir(), "workload.R")
writeLines(c(
  sprintf("codec <- loadNamespace('lambdaruntime', lib.loc = %s)", deparse(lib)),
  "fallback <- function(x) if (inherits(x, c('Date', 'POSIXt'))) format(x) else structure('\"other\"', class = 'json')",
  "enc <- function(x) codec$encode_json_bytes(x, fallback)",
  "parse <- function(text) tryCatch(codec$parse_json_bytes(charToRaw(text)), error = function(e) NULL)",
  "set.seed(1)",
  "d <- readBin(as.raw(sample(0:255, 8e5, TRUE)), 'double', 1e5)",
  "d <- c(d, runif(1e5) * 10^sample(-6:17, 1e5, TRUE), 2^(-1074:1023), 10^(-323:308), -0, 5e-324)",
  "stopifnot(identical(vapply(parse(rawToChar(enc(d[is.finite(d)]))), as.numeric, 0), d[is.finite(d)]))",
  "frame <- data.frame(n = c(1.5, NA), s = c('a\"\\n\\u00e9', NA), f = factor(c('u', NA)), d = as.Date(c('2024-01-02', NA)),",
  "                    t = as.POSIXct(c('2024-01-02 03:04:05', NA), tz = 'UTC'), l = I(list(1:2, NULL)), stringsAsFactors = FALSE)",
  "frame$m <- matrix(1:4, 2)",
  "values <- list(frame, frame[0, ], matrix(d[1:12], 3), array(1:24, 2:4), factor(c('a', NA)), list(a = NULL, b = list(), c = I(1)),",
  "               setNames(list(1, 2), c('', NA)), structure('[1]', class = 'json'), 1i, iconv('caf\\u00e9', 'UTF-8', 'latin1'),",
  "               Reduce(function(x, i) list(x), 1:5000, list()), strrep('</x\\001', 10000))",
  "for (v in values) invisible(tryCatch(enc(v), error = function(e) NULL))",
  "invisible(tryCatch(enc(Reduce(function(x, i) list(x), 1:10005, list())), error = function(e) NULL))",
  "text <- rawToChar(enc(list(frame = frame, d = d[1:1000], nested = list(list(x = 'y')))))",
  "for (n in seq(1, nchar(text), by = 7)) invisible(parse(substr(text, 1, n)))",
  "alphabet <- c(strsplit('{}[],:\"\\\\ 0123456789.eE+-/*tfnu', '')[[1]], '\\u00e9')",
  "for (i in 1:3000) { chars <- strsplit(substr(text, 1, 200), '')[[1]]; at <- sample(length(chars), 3); chars[at] <- sample(alphabet, 3); invisible(parse(paste(chars, collapse = ''))) }",
  "invisible(parse(paste0(strrep('[', 50000), strrep(']', 50000))))",
  "invisible(lapply(c('\"\\\\ud83d\"', '\"\\\\u00\"', '1e99999', '-', '[1,]', '{\"a\"', '\"\\\\', '\"\\001\"'), parse))",
  "cat('sanitizers: clean\\n')"
), workload)
env <- c(paste0("LD_PRELOAD=", libasan), "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1", "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
out <- suppressWarnings(system2(file.path(R.home("bin"), "Rscript"), shQuote(workload), stdout = TRUE, stderr = TRUE, env = env))
status <- attr(out, "status")
test_that("events, results, invalid texts and doubles run clean under ASan and UBSan", {
  last_lines <- paste(tail(out, 40L), collapse = "\n")
  expect_null(status, info = last_lines)
  expect_identical(tail(out, 1L), "sanitizers: clean", info = last_lines)
  expect_false(any(grepl("runtime error|AddressSanitizer", out)), info = last_lines)
})
}
