# The runtime's HTTP client (R/api.R) against a scripted server on 127.0.0.1
# (runtime-api-stub.mjs): keep-alive, a malformed status line, a connection the server closed
# while idle, and one closed after the request was sent, where only GET is sent again.

node <- Sys.which("node")
if (!nzchar(node)) skip("node is not on PATH (the scripted server runs in node)")


ok <- function(body = "{}", extra = "") {
  sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s", nchar(body, "bytes"), extra, body)
}
accepted <- "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}"

# Runs `calls(rt)` against a stub playing `steps`; returns list(value or error, requests seen).
with_stub <- function(steps, calls) {
  script <- tempfile("api-stub-script-", fileext = ".json")
  writeLines(jsonlite::toJSON(steps, auto_unbox = TRUE), script)
  with_node_server("runtime-api-stub.mjs", script, calls)
}

request_lines <- function(run) vapply(run$requests, function(r) r$request, "")
connections <- function(run) vapply(run$requests, function(r) r$connection, 0L)

test_that("keep-alive: two requests on one connection, the answers read, the POST's body sent", {
  run <- with_stub(list(list(reply = ok('{"n":1}')), list(reply = accepted)), function(rt) {
    list(rt$api_call("GET", "/invocation/next"), rt$api_call("POST", "/invocation/id-1/response", charToRaw('{"n":1}')))
  })
  expect_identical(connections(run), c(1L, 1L))
  expect_identical(rawToChar(run$value[[1L]]$body), '{"n":1}')
  expect_equal(run$value[[2L]]$status, 202L)
  expect_identical(run$requests[[2L]]$body, '{"n":1}')
})

# A body of a megabyte or more goes in its own write (no copy joined to the header); it arrives whole,
# and a small one still goes in the header's write.
test_that("a large body is written on its own, a small one with the header; a large body arrives whole", {
  big <- paste0('{"s":"', strrep("x\u00e9", 700000), '"}')
  run <- with_stub(list(list(reply = accepted), list(reply = accepted)), function(rt) {
    list(rt$http_request_writes("POST", "/x", charToRaw(big), character()), rt$http_request_writes("POST", "/x", charToRaw("{}"), character()),
         rt$api_call("POST", "/invocation/id-1/response", charToRaw(big)), rt$api_call("POST", "/invocation/id-2/response", charToRaw("{}")))
  })
  expect_length(run$value[[1L]], 2L)
  expect_length(run$value[[2L]], 1L)
  expect_identical(enc2utf8(run$requests[[1L]]$body), enc2utf8(big))
  expect_equal(run$value[[3L]]$status, 202L)
  expect_identical(run$requests[[2L]]$body, "{}")
  expect_identical(connections(run), c(1L, 1L))
})

test_that("a malformed status line is a clear error, not retried", {
  for (line in c("HTTP/1.1 abc", "hello", "HTTP/1.1 2000 Too Much")) {
    run <- with_stub(list(list(reply = paste0(line, "\r\nContent-Length: 0\r\n\r\n"))), function(rt) rt$api_call("GET", "/invocation/next"))
    message <- if (inherits(run$value, "error")) conditionMessage(run$value) else ""
    expect_match(message, "malformed HTTP status line", fixed = TRUE, info = line)
    expect_match(message, line, fixed = TRUE, info = line)
    expect_no_match(message, "missing value", info = line)
    expect_length(run$requests, 1L)
  }
})

test_that("closed while idle: the POST goes out once, on a new connection", {
  run <- with_stub(list(list(reply = ok(), after = "close"), list(reply = accepted)), function(rt) {
    rt$api_call("GET", "/invocation/next")
    Sys.sleep(0.3) # the server's close arrives while the connection is idle
    rt$api_call("POST", "/invocation/id-1/response", charToRaw("{}"))
  })
  expect_identical(connections(run), c(1L, 2L))
  expect_equal(run$value$status, 202L)
})

test_that("closed after a POST was sent: an error that says so, never a second POST", {
  run <- with_stub(list(list(reply = ok()), list(hangUp = TRUE), list(reply = accepted)), function(rt) {
    rt$api_call("GET", "/invocation/next")
    rt$api_call("POST", "/invocation/id-1/response", charToRaw("{}"))
  })
  expect_s3_class(run$value, "error")
  expect_match(conditionMessage(run$value), "not sent again")
  expect_equal(sum(grepl("^POST", request_lines(run))), 1L)
})

test_that("closed after a GET /next on a reused connection: sent again on a new one", {
  run <- with_stub(list(list(reply = ok()), list(hangUp = TRUE), list(reply = ok('{"n":2}'))), function(rt) {
    rt$api_call("GET", "/invocation/next")
    rt$api_call("GET", "/invocation/next")
  })
  expect_identical(connections(run), c(1L, 1L, 2L))
  expect_identical(rawToChar(run$value$body), '{"n":2}')
})

test_that("a new connection that closes without answering is an error, not retried", {
  run <- with_stub(list(list(hangUp = TRUE), list(reply = ok())), function(rt) rt$api_call("GET", "/invocation/next"))
  expect_s3_class(run$value, "error")
  expect_match(conditionMessage(run$value), "closed the connection without answering GET")
  expect_length(run$requests, 1L)
})

test_that("Connection: close: the next request on a new connection", {
  run <- with_stub(list(list(reply = ok("{}", "Connection: close\r\n"), after = "close"), list(reply = accepted)), function(rt) {
    rt$api_call("GET", "/invocation/next")
    rt$api_call("POST", "/invocation/id-1/response", charToRaw("{}"))
  })
  expect_identical(connections(run), c(1L, 2L))
})

test_that("a chunked body is read whole", {
  chunked <- "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n"
  run <- with_stub(list(list(reply = chunked)), function(rt) rt$api_call("GET", "/invocation/next"))
  expect_identical(rawToChar(run$value$body), '{"a":1}')
})

# Chunked bodies: read whole; a size of 2^31 or more, or one that is not hex, is a protocol error, not the end.
chunked <- function(chunks, headers = "Lambda-Runtime-Aws-Request-Id: id-1\r\n") {
  sprintf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n%s\r\n%s", headers, paste0(chunks, collapse = ""))
}
test_that("a chunked event (a chunk extension too) is read whole", {
  run <- with_stub(list(list(reply = chunked(c("3\r\n{\"a\r\n", "5;ext=1\r\n\":1}\n\r\n", "0\r\n\r\n")))),
                   function(rt) rt$api_next_invocation())
  expect_identical(rawToChar(run$value$body), '{"a":1}\n')
})
test_that("a chunk size of 2^31 or more, or not hex: a protocol error, not the end of the body", {
  for (size in c("80000000", "ffffffffff", "zz", "")) {
    run <- with_stub(list(list(reply = chunked(c("2\r\n{}\r\n", paste0(size, "\r\n"), "x\r\n0\r\n\r\n")))), function(rt) rt$api_next_invocation())
    expect_s3_class(run$value, "error")
    expect_match(conditionMessage(run$value), "malformed or too large chunk size", info = sprintf("chunk size '%s'", size))
  }
})

# An event without a request id cannot be answered: a clear error, never a POST to /invocation/NA/.
test_that("an event without a usable request id is a clear error; one with a request id is read", {
  for (headers in c("", "Lambda-Runtime-Aws-Request-Id: a/b\r\n")) {
    which_id <- if (nzchar(headers)) "'a/b'" else "none"
    run <- with_stub(list(list(reply = ok("{}", headers))), function(rt) rt$api_next_invocation())
    expect_s3_class(run$value, "error")
    expect_match(conditionMessage(run$value), "without a usable Lambda-Runtime-Aws-Request-Id header", info = which_id)
    expect_length(run$requests, 1L)
  }
  run <- with_stub(list(list(reply = ok("{}", "Lambda-Runtime-Aws-Request-Id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\n"))),
                   function(rt) rt$api_next_invocation())
  expect_identical(unname(run$value$headers["lambda-runtime-aws-request-id"]), "8476a536-e9f4-11e8-9739-2dfe598c3fcd")
})
