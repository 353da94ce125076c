# Streamed responses (Lambda's response streaming: Function URLs with InvokeMode RESPONSE_STREAM,
# InvokeWithResponseStream). A handler returns stream_response(function(write) ...) or
# http_response_stream(function(write) ..., status_code, headers, cookies); the runtime then calls the function
# with `write`, and each write() goes out at once as one chunk of a chunked POST /response, so a response of any
# size (Lambda allows 200 MB) is never held whole. The POST starts with the first byte: an error before it is
# reported to /invocation/{id}/error as for any handler; after it, in the trailers Lambda-Runtime-Function-Error-Type
# and Lambda-Runtime-Function-Error-Body (the error JSON, base64), declared up front in Trailer.

HTTP_INTEGRATION_TYPE <- "application/vnd.awslambda.http-integration-response"

# Lambda's limit for a streamed response.
MAX_STREAMED_BYTES <- 200 * 1024 * 1024

# For handlers: a response written piece by piece. `fun` is called as fun(write); write(x) sends x (raw bytes, or
# character text as UTF-8, its elements joined as they are) right away.
stream_response <- function(fun, content_type = "application/octet-stream") {
  if (!is.function(fun)) stop("stream_response() needs a function(write) that writes the response")
  if (!is.character(content_type) || length(content_type) != 1L || !nzchar(content_type)) {
    stop("content_type must be one string, e.g. \"text/plain\"")
  }
  structure(list(fun = fun, content_type = content_type, prelude = NULL), class = "lambda_stream")
}

# For handlers behind a Function URL: an HTTP response streamed. Status, headers (a named list or character vector)
# and cookies (Set-Cookie values) go first, in the prelude Function URLs read; then the body, as fun(write) writes it.
http_response_stream <- function(fun, status_code = 200L, headers = list(), cookies = character()) {
  status_code <- suppressWarnings(as.integer(status_code))
  if (length(status_code) != 1L || is.na(status_code) || status_code < 100L || status_code > 599L) {
    stop("status_code must be an HTTP status such as 200")
  }
  headers <- as.list(headers)
  if (length(headers) && (is.null(names(headers)) || !all(nzchar(names(headers))))) {
    stop("headers must be named, e.g. list(\"content-type\" = \"text/html\")")
  }
  headers <- lapply(headers, function(value) paste(as.character(value), collapse = ","))
  if (!length(headers)) headers <- structure(list(), names = character())
  prelude <- list(statusCode = status_code, headers = headers, cookies = I(as.character(cookies)))
  stream <- stream_response(fun, HTTP_INTEGRATION_TYPE)
  stream$prelude <- c(serialize_result(prelude), as.raw(rep(0L, 8L)))
  stream
}

is_stream <- function(value) inherits(value, "lambda_stream")

# Runs a stream's function and posts it. Returns list(ok, streamed = TRUE, answer, report) once posted, or the
# failed result as run_user_code() gives it when the function failed before its first byte (posted to /error).
serve_stream <- function(request_id, stream) {
  writer <- stream_writer(request_id, stream)
  # Called from a frame marked as user code (see USER_CODE_MARK), so an error's stack trace shows the user's frames.
  frame <- user_code_env(emptyenv())
  frame$fun <- stream$fun
  frame$write <- writer$write
  result <- run_user_code(function() eval(quote(fun(write)), frame))
  if (!writer$started() && !result$ok) return(result)
  if (!writer$started()) writer$start()
  answer <- writer$finish(if (!result$ok) result$report)
  list(ok = result$ok, streamed = TRUE, answer = answer, report = result$report)
}

stream_writer <- function(request_id, stream) {
  sent <- 0
  open <- FALSE
  start <- function() {
    api_stream_open(request_id, stream$content_type)
    open <<- TRUE
    if (!is.null(stream$prelude)) api_stream_chunk(stream$prelude)
  }
  write <- function(x) {
    bytes <- if (is.raw(x)) x else if (is.character(x)) charToRaw(enc2utf8(paste(x, collapse = ""))) else
      stop(sprintf("write() takes raw bytes or character text, not %s", class(x)[[1L]]))
    if (!length(bytes)) return(invisible())
    if (sent + length(bytes) > MAX_STREAMED_BYTES) {
      stop(errorCondition(sprintf(
        "The streamed response would be over Lambda's limit of %.0f bytes (200 MB). Stream less, or store it (e.g. in S3) and return where it is.",
        MAX_STREAMED_BYTES), class = c("Runtime.ResponseSizeTooLarge", "error", "condition")))
    }
    if (!open) start()
    api_stream_chunk(bytes)
    sent <<- sent + length(bytes)
    invisible()
  }
  list(write = write, start = start, started = function() open,
       finish = function(report = NULL) api_stream_close(report))
}

# RFC 4648 base64, for the error trailer (base R has no encoder; jsonlite's is not loaded for this).
base64_encode <- function(bytes) {
  if (!length(bytes)) return("")
  alphabet <- c(LETTERS, letters, 0:9, "+", "/")
  pad <- (3L - length(bytes) %% 3L) %% 3L
  m <- matrix(as.integer(c(bytes, as.raw(rep(0L, pad)))), nrow = 3L)
  v <- m[1L, ] * 65536 + m[2L, ] * 256 + m[3L, ]
  out <- alphabet[rbind(v %/% 262144, (v %/% 4096) %% 64, (v %/% 64) %% 64, v %% 64) + 1L]
  if (pad) out[length(out) - seq_len(pad) + 1L] <- "="
  paste(out, collapse = "")
}
