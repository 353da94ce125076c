# The context object handed to handlers, built from the Runtime API's headers and the
# environment Lambda sets.

function_settings <- function() {
  list(
    function_name = Sys.getenv("AWS_LAMBDA_FUNCTION_NAME"),
    function_version = Sys.getenv("AWS_LAMBDA_FUNCTION_VERSION"),
    memory_limit_in_mb = suppressWarnings(as.integer(Sys.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))),
    log_group_name = Sys.getenv("AWS_LAMBDA_LOG_GROUP_NAME"),
    log_stream_name = Sys.getenv("AWS_LAMBDA_LOG_STREAM_NAME")
  )
}

header_value <- function(headers, name) {
  value <- headers[name]
  if (is.na(value)) NULL else unname(value)
}

parse_optional_json <- function(text) {
  if (is.null(text) || !nzchar(text)) return(NULL)
  tryCatch(parse_event(charToRaw(text)), error = function(e) text)
}

now_ms <- function() as.numeric(Sys.time()) * 1000

remaining_time_function <- function(deadline_ms) {
  force(deadline_ms)
  function() max(0, floor(deadline_ms - now_ms()))
}

make_context <- function(headers, settings) {
  deadline_ms <- as.numeric(header_value(headers, "lambda-runtime-deadline-ms"))
  c(
    list(
      aws_request_id = header_value(headers, "lambda-runtime-aws-request-id"),
      invoked_function_arn = header_value(headers, "lambda-runtime-invoked-function-arn"),
      deadline_ms = deadline_ms,
      get_remaining_time_ms = remaining_time_function(deadline_ms)
    ),
    settings,
    list(
      client_context = parse_optional_json(header_value(headers, "lambda-runtime-client-context")),
      identity = parse_optional_json(header_value(headers, "lambda-runtime-cognito-identity"))
    )
  )
}

# X-Ray SDKs read the trace id of the current event from this variable.
set_trace_id <- function(headers) {
  trace_id <- header_value(headers, "lambda-runtime-trace-id")
  if (is.null(trace_id)) Sys.unsetenv("_X_AMZN_TRACE_ID") else Sys.setenv("_X_AMZN_TRACE_ID" = trace_id)
}
