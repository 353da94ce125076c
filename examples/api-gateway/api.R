# api.R: an API Gateway HTTP API (payload format 2.0) handler (_HANDLER=api.handler).
#
# POST a JSON body {"x": [...], "y": [...]} to fit y ~ x with stats::lm; GET returns a hint.
# API Gateway expects statusCode, headers and body (a string) back.
#
# Try it locally:  npx tsx src/cli.ts invoke --task-root examples/api-gateway --handler api.handler \
#                    --event test/fixtures/events/apigw-http-v2.json
# Deploy: zip api.R into function.zip, create a function (runtime provided.al2023, handler
# api.handler, the three layers), and an HTTP API with a route POST /predict integrated with it.

respond <- function(status, content) {
  list(
    statusCode = status,
    headers = list("content-type" = "application/json"),
    body = as.character(jsonlite::toJSON(content, auto_unbox = TRUE, digits = NA))
  )
}

read_body <- function(event) {
  body <- event$body
  if (is.null(body)) return(NULL)
  if (isTRUE(event$isBase64Encoded)) body <- rawToChar(jsonlite::base64_dec(body))
  jsonlite::fromJSON(body)
}

handler <- function(event, context) {
  method <- event$requestContext$http$method
  if (!identical(method, "POST")) {
    return(respond(200, list(usage = "POST a JSON body {\"x\": [...], \"y\": [...]}")))
  }
  data <- tryCatch(read_body(event), error = function(e) NULL)
  if (is.null(data$x) || is.null(data$y) || length(data$x) != length(data$y) || length(data$x) < 2) {
    return(respond(400, list(error = "the body must be JSON with arrays x and y of the same length (at least 2)")))
  }
  fit <- stats::lm(y ~ x, data = data.frame(x = as.numeric(data$x), y = as.numeric(data$y)))
  coefficients <- unname(stats::coef(fit))
  respond(200, list(intercept = coefficients[[1]], slope = coefficients[[2]], n = length(data$x)))
}
