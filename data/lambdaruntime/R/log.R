# Log lines for CloudWatch. The runtime writes to stderr only: stdout belongs to the handler.
#
# Lambda's advanced logging controls: with AWS_LAMBDA_LOG_FORMAT=JSON (the default on Managed Instances) every
# line is one JSON object (timestamp, level, requestId, message; an error adds errorType, errorMessage and
# stackTrace), and AWS_LAMBDA_LOG_LEVEL (TRACE, DEBUG, INFO, WARN, ERROR, FATAL; INFO when unset) drops lines below
# it. The handler's message() calls are INFO lines and its warnings WARN lines; lambda_log() writes at any level.
# Text (the default elsewhere) keeps the plain "[LEVEL] text" lines, nothing filtered, message() untouched.

LOG_LEVELS <- c("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")

log_state <- new.env(parent = emptyenv())
log_state$json <- FALSE
log_state$min_level <- 3L
log_state$request_id <- NULL

# Reads the settings once, at init (and again in tests).
configure_logging <- function(format = Sys.getenv("AWS_LAMBDA_LOG_FORMAT"), level = Sys.getenv("AWS_LAMBDA_LOG_LEVEL")) {
  log_state$json <- identical(toupper(format), "JSON")
  given <- match(toupper(level), LOG_LEVELS)
  log_state$min_level <- if (is.na(given)) 3L else given
  invisible()
}

# The invocation being served, for the requestId field (NULL between invocations).
set_log_request_id <- function(request_id) {
  log_state$request_id <- request_id
}

log_enabled <- function(level) {
  !log_state$json || match(level, LOG_LEVELS, nomatch = 3L) >= log_state$min_level
}

log_line <- function(level, text, fields = list()) {
  if (!log_enabled(level)) return(invisible())
  line <- if (log_state$json) json_log_line(level, text, fields) else sprintf("[%s] %s", level, text)
  # One write per line, newline included: the workers of a Managed Instance share stderr, and two writes could
  # let another worker's line in between.
  cat(paste0(line, "\n"), file = stderr())
}

# One JSON object: the codec writes it (strings stay strings, a stack trace stays an array).
json_log_line <- function(level, text, fields = list()) {
  record <- c(
    list(timestamp = format(Sys.time(), "%Y-%m-%dT%H:%M:%OS3Z", tz = "UTC"), level = level,
         requestId = log_state$request_id, message = paste(text, collapse = "\n")),
    fields
  )
  if (is.null(record$requestId)) record$requestId <- NULL
  rawToChar(serialize_result(record))
}

log_error_report <- function(request_id, report) {
  if (log_state$json) {
    log_line("ERROR", sprintf("%s: %s", report$errorType, report$errorMessage), list(
      errorType = report$errorType, errorMessage = report$errorMessage, stackTrace = I(as.character(report$stackTrace))))
    return(invisible())
  }
  frames <- if (length(report$stackTrace)) paste0("\n    at ", unlist(report$stackTrace), collapse = "") else ""
  log_line("ERROR", sprintf("RequestId: %s %s: %s%s", request_id, report$errorType, report$errorMessage, frames))
}

# For handlers (attached as "r-lambda-runtime"): a log line at a level, e.g. lambda_log("rows:", n, level = "DEBUG").
# The pieces are pasted with spaces, as cat() would.
lambda_log <- function(..., level = "INFO") {
  level <- toupper(level)
  if (!level %in% LOG_LEVELS) stop(sprintf("level must be one of %s, not '%s'", paste(LOG_LEVELS, collapse = ", "), level))
  log_line(level, paste(..., collapse = " "))
  invisible()
}

# Handler output is buffered when stdout is a pipe; flushing after each event keeps the log in
# order with the runtime's stderr lines and visible before Lambda freezes the process.
flush_output <- function() {
  flush(stdout())
  flush(stderr())
}
