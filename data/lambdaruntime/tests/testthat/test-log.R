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

rt$configure_logging("", "")
check("Text: [LEVEL] text, nothing filtered",
      identical(stderr_of({
        rt$log_line("INFO", "hello")
        rt$log_line("DEBUG", "details")
      }), c("[INFO] hello", "[DEBUG] details")))

rt$configure_logging("JSON", "")
rt$set_log_request_id("req-1")
lines <- stderr_of({
  rt$log_line("INFO", "hello \"quoted\"\nsecond line")
  rt$log_line("DEBUG", "dropped at the default level, INFO")
  rt$log_error_report("req-1", list(errorMessage = "bad", errorType = "simpleError", stackTrace = I(c("f()", "g()"))))
})
records <- lapply(lines, jsonlite::fromJSON)
check("JSON: one object per line, DEBUG dropped at INFO", length(lines) == 2L)
check("JSON: timestamp, level, requestId, message",
      identical(records[[1L]]$level, "INFO") && identical(records[[1L]]$requestId, "req-1") &&
        identical(records[[1L]]$message, "hello \"quoted\"\nsecond line") &&
        grepl("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$", records[[1L]]$timestamp))
check("JSON: an error has errorType, errorMessage and its stack trace as an array",
      identical(records[[2L]]$level, "ERROR") && identical(records[[2L]]$errorType, "simpleError") &&
        identical(records[[2L]]$errorMessage, "bad") && identical(records[[2L]]$stackTrace, c("f()", "g()")))

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
check("JSON at WARN: message() (INFO) dropped, warning() WARN, lambda_log() at its level", identical(levels, c("WARN", "ERROR")) &&
        identical(jsonlite::fromJSON(lines[[2L]])$message, "an error line 42") && identical(r$value, "done"))

rt$configure_logging("JSON", "DEBUG")
rt$set_log_request_id(NULL)
line <- stderr_of(rt$run_user_code(function() message("between invocations")))
check("JSON at DEBUG: message() is an INFO line; no requestId outside an invocation",
      identical(jsonlite::fromJSON(line)$level, "INFO") && identical(jsonlite::fromJSON(line)$message, "between invocations") &&
        is.null(jsonlite::fromJSON(line)$requestId))

check("lambda_log() refuses an unknown level", inherits(tryCatch(rt$lambda_log("x", level = "loud"), error = identity), "error"))

check("AWS_LAMBDA_MAX_CONCURRENCY: unset, 1 or nonsense is the single loop",
      rt$max_concurrency("") == 1L && rt$max_concurrency("1") == 1L && rt$max_concurrency("x") == 1L && rt$max_concurrency("4") == 4L)
