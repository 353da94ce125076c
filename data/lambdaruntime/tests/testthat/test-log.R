# Logging (R/log.R): Text lines as ever; with AWS_LAMBDA_LOG_FORMAT=JSON one JSON object per line (timestamp,
# level, requestId, message; errors with errorType, errorMessage and stackTrace), AWS_LAMBDA_LOG_LEVEL filtering,
# and the handler's message() and warning() as INFO and WARN lines.

stderr_of <- function(expr) {
  file <- tempfile()
  con <- file(file, open = "wt")
  sink(con, type = "message")
  on.exit({
    sink(type = "message")
    close(con)
  })
  force(expr)
  sink(type = "message")
  close(con)
  on.exit()
  readLines(file, warn = FALSE)
}

on.exit(rt$configure_logging("", ""), add = TRUE)

test_that("Text: [LEVEL] text, nothing filtered", {
  rt$configure_logging("", "")
  expect_identical(stderr_of({
    rt$log_line("INFO", "hello")
    rt$log_line("DEBUG", "details")
  }), c("[INFO] hello", "[DEBUG] details"))
})

test_that("JSON: one object per line, DEBUG dropped at INFO; timestamp, level, requestId, message; errors with errorType, errorMessage, stackTrace", {
  rt$configure_logging("JSON", "")
  rt$set_log_request_id("req-1")
  lines <- stderr_of({
    rt$log_line("INFO", "hello \"quoted\"\nsecond line")
    rt$log_line("DEBUG", "dropped at the default level, INFO")
    rt$log_error_report("req-1", list(errorMessage = "bad", errorType = "simpleError", stackTrace = I(c("f()", "g()"))))
  })
  records <- lapply(lines, jsonlite::fromJSON)
  expect_length(lines, 2L)
  expect_identical(records[[1L]]$level, "INFO")
  expect_identical(records[[1L]]$requestId, "req-1")
  expect_identical(records[[1L]]$message, "hello \"quoted\"\nsecond line")
  expect_match(records[[1L]]$timestamp, "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$")
  # an error has errorType, errorMessage and its stack trace as an array
  expect_identical(records[[2L]]$level, "ERROR")
  expect_identical(records[[2L]]$errorType, "simpleError")
  expect_identical(records[[2L]]$errorMessage, "bad")
  expect_identical(records[[2L]]$stackTrace, c("f()", "g()"))
})

test_that("JSON at WARN: message() (INFO) dropped, warning() WARN, lambda_log() at its level", {
  rt$configure_logging("json", "warn")
  lines <- stderr_of({
    r <- rt$run_user_code(function() {
      message("a message")
      warning("a warning")
      rt$lambda_log("an error line", 42, level = "error")
      "done"
    })
  })
  levels <- vapply(lines, function(line) jsonlite::fromJSON(line)$level, "", USE.NAMES = FALSE)
  expect_identical(levels, c("WARN", "ERROR"))
  expect_identical(jsonlite::fromJSON(lines[[2L]])$message, "an error line 42")
  expect_identical(r$value, "done")
})

test_that("JSON at DEBUG: message() is an INFO line; no requestId outside an invocation", {
  rt$configure_logging("JSON", "DEBUG")
  rt$set_log_request_id(NULL)
  line <- stderr_of(rt$run_user_code(function() message("between invocations")))
  expect_identical(jsonlite::fromJSON(line)$level, "INFO")
  expect_identical(jsonlite::fromJSON(line)$message, "between invocations")
  expect_null(jsonlite::fromJSON(line)$requestId)
})

test_that("lambda_log() refuses an unknown level", {
  expect_error(rt$lambda_log("x", level = "loud"))
})

test_that("AWS_LAMBDA_MAX_CONCURRENCY: unset, 1 or nonsense is the single loop", {
  expect_equal(rt$max_concurrency(""), 1L)
  expect_equal(rt$max_concurrency("1"), 1L)
  expect_equal(rt$max_concurrency("x"), 1L)
  expect_equal(rt$max_concurrency("4"), 4L)
})
