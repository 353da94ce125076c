# test.r: the original guide's script-mode convention (_HANDLER=test.handler).
#
# The file reads `event` at top level, so it is a script: the runtime evaluates it anew for each event, in a fresh
# environment where `event` (the parsed JSON) and `context` are bound. The value of the last
# expression is the response; it is "OK" when that is an invisible NULL, as here (cat()).
# Variables never carry over from one event to the next.
#
# Try it locally:  npx tsx src/cli.ts invoke --task-root examples/script-mode --handler test.handler
# Deploy: zip test.r into function.zip, create a function (runtime provided.al2023, handler
# test.handler, the three layers) and invoke it.

name <- if (is.null(event$name)) "world" else event$name
cat("Hello,", name, "from", R.version.string, "- request", context$aws_request_id, "\n")
