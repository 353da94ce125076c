# hello.R: a function-mode handler (_HANDLER=hello.handler).
#
# The runtime sources this file once per execution environment and calls handler(event, context)
# for each event; what it returns is sent back as JSON.
#
# Try it locally:  npx tsx src/cli.ts invoke --task-root examples/hello --handler hello.handler \
#                    --event - <<< '{"name": "Lambda"}'
# Deploy: zip hello.R into function.zip, create a function with runtime provided.al2023, handler
# hello.handler and the three layers (r, r_lib, subsystem), then
#   aws lambda invoke --function-name hello --payload '{"name":"Lambda"}' \
#     --cli-binary-format raw-in-base64-out out.json

handler <- function(event, context) {
  name <- if (is.null(event$name)) "world" else event$name
  message("greeting ", name) # goes to the log (CloudWatch), not into the response
  list(
    message = sprintf("Hello, %s!", name),
    r_version = paste(R.version$major, R.version$minor, sep = "."),
    request_id = context$aws_request_id,
    remaining_ms = context$get_remaining_time_ms()
  )
}
