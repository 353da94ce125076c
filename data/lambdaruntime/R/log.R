# Log lines for CloudWatch. The runtime writes to stderr only: stdout belongs to the handler.

log_line <- function(level, text) {
  cat(sprintf("[%s] %s\n", level, text), file = stderr())
}

log_error_report <- function(request_id, report) {
  frames <- if (length(report$stackTrace)) paste0("\n    at ", unlist(report$stackTrace), collapse = "") else ""
  log_line("ERROR", sprintf("RequestId: %s %s: %s%s", request_id, report$errorType, report$errorMessage, frames))
}

# Handler output is buffered when stdout is a pipe; flushing after each event keeps the log in
# order with the runtime's stderr lines and visible before Lambda freezes the process.
flush_output <- function() {
  flush(stdout())
  flush(stderr())
}
