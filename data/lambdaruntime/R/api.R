# A minimal HTTP/1.1 client for the Lambda Runtime API over one keep-alive socket.
# The socket is reused between events (warm calls skip the TCP handshake) and reopened when
# the server has closed it.

API_VERSION_PATH <- "/2018-06-01/runtime"

# GET /next waits for the next event with no client timeout: Lambda freezes the process between
# events, possibly for hours, and R's socket timeout counts that time. A year is "never".
NO_TIMEOUT_SECONDS <- 365L * 24L * 3600L

api <- new.env(parent = emptyenv())

api_configure <- function(address = Sys.getenv("AWS_LAMBDA_RUNTIME_API")) {
  if (!grepl("^[^:]+:[0-9]+$", address)) {
    stop(sprintf("AWS_LAMBDA_RUNTIME_API must be host:port, got '%s'. Lambda sets it; for local runs use `r-lambda-layer invoke`.", address))
  }
  api$host <- sub(":[0-9]+$", "", address)
  api$port <- as.integer(sub("^.*:", "", address))
  api$address <- address
  api$con <- NULL
}

api_close <- function() {
  if (!is.null(api$con)) try(close(api$con), silent = TRUE)
  api$con <- NULL
}

api_open <- function() {
  api$con <- socketConnection(api$host, api$port, blocking = TRUE, open = "r+b", timeout = NO_TIMEOUT_SECONDS)
}

# The request as the writes that send it. One write for most: a header write followed by a small
# body write could stall on Nagle's algorithm and delayed ACKs (40 ms). A body of a megabyte or more
# is written on its own instead of copied after the header: it is many full TCP segments, which
# Nagle's algorithm never holds back and the receiver acknowledges at once, and the copy would add
# the body's size to the process's peak memory.
SEPARATE_BODY_BYTES <- 1048576

http_request_writes <- function(method, path, body, headers) {
  lines <- c(
    sprintf("%s %s HTTP/1.1", method, path),
    sprintf("Host: %s", api$address),
    if (length(headers)) sprintf("%s: %s", names(headers), headers),
    if (!is.null(body)) c("Content-Type: application/json", sprintf("Content-Length: %d", length(body))),
    "", ""
  )
  head <- charToRaw(paste(lines, collapse = "\r\n"))
  if (length(body) >= SEPARATE_BODY_BYTES) list(head, body) else list(c(head, body))
}

# Returns list(status, headers = named character with lower-case names, body = raw), or NULL
# when the server closed the connection before answering.
http_read_response <- function(con) {
  status_line <- readLines(con, n = 1L, warn = FALSE)
  if (length(status_line) == 0L) return(NULL)
  headers <- http_read_headers(con)
  list(status = http_status(status_line), headers = headers, body = http_read_body(con, headers))
}

http_status <- function(status_line) {
  if (!grepl("^HTTP/[0-9.]+ [0-9]{3}( |$)", status_line)) {
    stop(protocol_error(sprintf("the Runtime API answered with a malformed HTTP status line: '%s'",
                                substr(status_line, 1L, 200L))))
  }
  as.integer(sub("^HTTP/[0-9.]+ ([0-9]{3}).*$", "\\1", status_line))
}

http_read_headers <- function(con) {
  lines <- character()
  repeat {
    line <- readLines(con, n = 1L, warn = FALSE)
    if (length(line) == 0L || !nzchar(line)) break
    lines <- c(lines, line)
  }
  colon <- regexpr(":", lines, fixed = TRUE)
  values <- trimws(substring(lines, colon + 1L))
  names(values) <- tolower(substring(lines, 1L, colon - 1L))
  values
}

http_read_body <- function(con, headers) {
  length_header <- headers["content-length"]
  if (!is.na(length_header)) return(read_exactly(con, as.numeric(length_header)))
  if (identical(tolower(unname(headers["transfer-encoding"])), "chunked")) return(read_chunked(con))
  raw()
}

# A chunk's size line: hex digits, then maybe ";extensions". Anything else, or a size of 2^31 bytes
# or more (R's integers end there; Lambda's events stop at 6 MB), is a protocol error, never the end
# of the body.
chunk_size <- function(line) {
  if (!length(line)) stop(protocol_error("the Runtime API closed the connection inside a chunked body"))
  digits <- trimws(sub(";.*$", "", line))
  size <- if (grepl("^[0-9A-Fa-f]{1,8}$", digits)) strtoi(digits, 16L) else NA_integer_
  if (is.na(size)) {
    stop(protocol_error(sprintf("the Runtime API sent a malformed or too large chunk size: '%s'", substr(line, 1L, 100L))))
  }
  size
}

protocol_error <- function(message) errorCondition(message, class = "runtime_api_protocol_error")

read_exactly <- function(con, n) {
  if (n == 0) return(raw())
  bytes <- readBin(con, "raw", n)
  if (length(bytes) < n) stop(sprintf("the Runtime API closed the connection after %d of %.0f body bytes", length(bytes), n))
  bytes
}

read_chunked <- function(con) {
  chunks <- list()
  repeat {
    size <- chunk_size(readLines(con, n = 1L, warn = FALSE))
    if (size == 0L) break
    chunks[[length(chunks) + 1L]] <- read_exactly(con, size)
    readLines(con, n = 1L, warn = FALSE)
  }
  http_read_headers(con) # trailers, if any
  unlist(chunks, use.names = FALSE)
}

# Sends one request and reads its response. The kept-alive connection is used when the server
# has not closed it, which is checked before writing, so nothing is ever sent on a dead socket;
# otherwise a new one is opened. Once a request has gone out it is not sent again if no answer
# comes: a second POST could report an event's outcome twice. GET /invocation/next is the
# exception (it changes nothing, and HTTP lets a client repeat it): on a reused connection that
# died without answering it is sent once more on a new one.
api_call <- function(method, path, body = NULL, headers = character()) {
  request <- http_request_writes(method, paste0(API_VERSION_PATH, path), body, headers)
  if (!is.null(api$con) && connection_dropped(api$con)) api_close()
  reused <- !is.null(api$con)
  outcome <- api_exchange(request)
  if (reused && identical(method, "GET") && is.null(outcome$response) && !inherits(outcome$error, "runtime_api_protocol_error")) {
    outcome <- api_exchange(request)
  }
  if (!is.null(outcome$error)) {
    stop(sprintf("%s %s to the Runtime API at %s failed: %s", method, path, api$address, conditionMessage(outcome$error)))
  }
  if (is.null(outcome$response)) {
    stop(sprintf("the Runtime API at %s closed the connection without answering %s %s%s", api$address, method, path,
                 if (identical(method, "GET")) "" else " (not sent again: it may have arrived)"))
  }
  if (identical(tolower(unname(outcome$response$headers["connection"])), "close")) api_close()
  outcome$response
}

# One request on the current connection (opened if there is none): list(response) or
# list(error); the connection is closed unless a response came.
api_exchange <- function(request) {
  if (is.null(api$con)) api_open()
  outcome <- tryCatch({
    for (bytes in request) writeBin(bytes, api$con)
    list(response = http_read_response(api$con))
  }, error = function(e) list(error = e))
  if (is.null(outcome$response)) api_close()
  outcome
}

# An idle kept-alive connection has nothing to read; when it is readable, the server has closed
# it (or sent what nobody asked for), and it cannot carry the next request.
connection_dropped <- function(con) {
  isTRUE(tryCatch(socketSelect(list(con), write = FALSE, timeout = 0), error = function(e) TRUE))
}

# The event, with its request id checked: without one the outcome could not be posted (it would go to
# /invocation/NA/...), so the process stops with this error and Lambda starts a new one.
api_next_invocation <- function() {
  response <- api_call("GET", "/invocation/next")
  if (response$status != 200L) {
    stop(sprintf("GET /invocation/next answered %d: %s", response$status, rawToChar(response$body)))
  }
  id <- unname(response$headers["lambda-runtime-aws-request-id"])
  if (is.na(id) || !grepl("^[A-Za-z0-9._:-]+$", id)) {
    stop(protocol_error(sprintf(
      "the Runtime API sent an event without a usable Lambda-Runtime-Aws-Request-Id header (%s); its outcome cannot be posted",
      if (is.na(id)) "none" else sprintf("'%s'", substr(id, 1L, 100L)))))
  }
  response
}

api_post_response <- function(request_id, payload) {
  api_call("POST", sprintf("/invocation/%s/response", request_id), payload)
}

api_post_error <- function(request_id, report) {
  api_call("POST", sprintf("/invocation/%s/error", request_id), error_report_bytes(report),
           c("Lambda-Runtime-Function-Error-Type" = report$errorType))
}

api_post_init_error <- function(report) {
  api_call("POST", "/init/error", error_report_bytes(report),
           c("Lambda-Runtime-Function-Error-Type" = report$errorType))
}

# A streamed POST /response: its head is sent with the first chunk, and each chunk's closing CRLF with the next
# write, so a small chunk is one write (no stall on Nagle's algorithm and delayed ACKs) and a large one is written
# from the caller's vector without a copy.
api_stream_open <- function(request_id, content_type) {
  if (!is.null(api$con) && connection_dropped(api$con)) api_close()
  if (is.null(api$con)) api_open()
  head <- paste(c(
    sprintf("POST %s/invocation/%s/response HTTP/1.1", API_VERSION_PATH, request_id),
    sprintf("Host: %s", api$address),
    "Lambda-Runtime-Function-Response-Mode: streaming",
    "Transfer-Encoding: chunked",
    sprintf("Content-Type: %s", content_type),
    "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
    "", ""), collapse = "\r\n")
  api$pending <- charToRaw(head)
}

CRLF <- as.raw(c(13L, 10L))

api_stream_chunk <- function(bytes) {
  prefix <- c(api$pending, charToRaw(sprintf("%x\r\n", length(bytes))))
  if (length(bytes) >= SEPARATE_BODY_BYTES) {
    writeBin(prefix, api$con)
    writeBin(bytes, api$con)
  } else {
    writeBin(c(prefix, bytes), api$con)
  }
  api$pending <- CRLF
}

# Ends the stream (the error, if any, in the trailers) and reads the answer. A connection that broke meanwhile is
# logged and dropped: the response is lost either way, and the next event comes on a new connection.
api_stream_close <- function(report = NULL) {
  trailers <- if (!is.null(report)) c(
    sprintf("Lambda-Runtime-Function-Error-Type: %s", report$errorType),
    sprintf("Lambda-Runtime-Function-Error-Body: %s", base64_encode(error_report_bytes(report))))
  end <- charToRaw(paste(c("0", trailers, "", ""), collapse = "\r\n"))
  answer <- tryCatch({
    writeBin(c(api$pending, end), api$con)
    http_read_response(api$con)
  }, error = function(e) {
    log_line("ERROR", sprintf("the streamed response could not be finished: %s", conditionMessage(e)))
    NULL
  })
  api$pending <- NULL
  if (is.null(answer)) {
    api_close()
    return(list(status = 0L, headers = character(), body = charToRaw("the connection broke")))
  }
  if (identical(tolower(unname(answer$headers["connection"])), "close")) api_close()
  answer
}
