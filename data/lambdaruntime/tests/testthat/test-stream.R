# Streamed responses (R/stream.R, the chunked POST in R/api.R) against a recording Runtime API on 127.0.0.1
# (recording-api.mjs, node:http): the pieces arrive whole and in order, the streaming headers are set, an error
# after the first byte goes in the trailers (its body base64), one before it is left to /error, and an HTTP
# response stream starts with its prelude.

node <- Sys.which("node")
if (!nzchar(node)) skip("node is not on PATH (the recording server runs in node)")

with_recorder <- function(calls) with_node_server("recording-api.mjs", character(), calls)

decode <- function(text) jsonlite::base64_dec(text)

test_that("base64 of 0 to 259 bytes as jsonlite writes it, on one line", {
  for (n in 0:7) {
    bytes <- as.raw(seq_len(n * 37L) %% 256L)
    expect_identical(rt$base64_encode(bytes), if (length(bytes)) gsub("\n", "", jsonlite::base64_enc(bytes)) else "",
                     info = sprintf("%d bytes", length(bytes)))
  }
})

test_that("stream_response() wants a function and one content type", {
  expect_error(rt$stream_response("x"))
  expect_error(rt$stream_response(function(write) NULL, c("a", "b")))
})

prelude_of <- function(stream) {
  bytes <- stream$prelude
  list(json = rawToChar(bytes[seq_len(length(bytes) - 8L)]), tail = bytes[length(bytes) - 7:0])
}
test_that("an HTTP prelude: status, headers, cookies, then eight NUL bytes; without headers or cookies {} and []", {
  p <- prelude_of(rt$http_response_stream(function(write) NULL, 201, list("Content-Type" = "text/html"), c("a=1", "b=2")))
  expect_identical(p$json, '{"statusCode":201,"headers":{"Content-Type":"text/html"},"cookies":["a=1","b=2"]}')
  expect_identical(p$tail, as.raw(rep(0L, 8L)))
  expect_identical(prelude_of(rt$http_response_stream(function(write) NULL))$json, '{"statusCode":200,"headers":{},"cookies":[]}')
})
test_that("a status that is not HTTP's is refused", {
  expect_error(rt$http_response_stream(function(write) NULL, 42))
})

piece <- as.raw(rep(0:255, 4096L)) # 1 MB
test_that("a stream is one POST /response with the streaming headers, its pieces whole and in order, no error trailers", {
  run <- with_recorder(function(rt) {
    rt$serve_stream("id-1", rt$stream_response(function(write) {
      write("text, ")
      for (i in 1:3) write(piece)
      write(c("a", "b"))
    }, "text/plain"))
  })
  r <- run$requests[[1L]]
  expect_length(run$requests, 1L)
  expect_identical(r$request, "POST /2018-06-01/runtime/invocation/id-1/response")
  expect_identical(r$headers[["lambda-runtime-function-response-mode"]], "streaming")
  expect_identical(r$headers[["transfer-encoding"]], "chunked")
  expect_identical(r$headers[["content-type"]], "text/plain")
  expect_identical(r$headers[["trailer"]], "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body")
  # its pieces arrive whole and in order
  expect_equal(r$bytes, 6 + 3 * length(piece) + 2)
  expect_identical(decode(r$body)[1:10], c(charToRaw("text, "), as.raw(0:3)))
  # a finished stream has no error trailers and reports success
  expect_length(r$trailers, 0L)
  expect_true(run$value$ok)
  expect_true(run$value$streamed)
  expect_equal(run$value$answer$status, 202L)
})

test_that("an error after the first byte goes in the trailers, its body base64 JSON with the user's call in the stack trace", {
  run <- with_recorder(function(rt) {
    rt$serve_stream("id-2", rt$stream_response(function(write) {
      write(piece)
      stop("after the first megabyte")
    }))
  })
  r <- run$requests[[1L]]
  report <- jsonlite::fromJSON(rawToChar(decode(r$trailers[["lambda-runtime-function-error-body"]])))
  expect_equal(r$bytes, length(piece))
  expect_identical(r$trailers[["lambda-runtime-function-error-type"]], "simpleError")
  expect_identical(report$errorMessage, "after the first megabyte")
  expect_identical(report$errorType, "simpleError")
  expect_false(run$value$ok)
  expect_true(run$value$streamed)
  expect_true(any(grepl("stop(\"after the first megabyte\")", report$stackTrace, fixed = TRUE)), info = paste(report$stackTrace, collapse = "\n"))
})

test_that("an error before the first byte sends nothing: it is left for /error", {
  run <- with_recorder(function(rt) {
    rt$serve_stream("id-3", rt$stream_response(function(write) stop("nothing written")))
  })
  expect_length(run$requests, 0L)
  expect_false(run$value$ok)
  expect_null(run$value$streamed)
  expect_identical(run$value$report$errorMessage, "nothing written")
})

test_that("an HTTP stream that writes nothing still sends its prelude", {
  run <- with_recorder(function(rt) {
    rt$serve_stream("id-4", rt$http_response_stream(function(write) NULL, 204))
  })
  r <- run$requests[[1L]]
  expect_identical(r$headers[["content-type"]], "application/vnd.awslambda.http-integration-response")
  expect_identical(rawToChar(decode(r$body)[seq_len(r$bytes - 8L)]), '{"statusCode":204,"headers":{},"cookies":[]}')
})

test_that("write() refuses what is neither raw nor text", {
  run <- with_recorder(function(rt) rt$serve_stream("id-5", rt$stream_response(function(write) write(list(1)))))
  expect_false(run$value$ok)
  expect_match(run$value$report$errorMessage, "raw bytes or character")
})
