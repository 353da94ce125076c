# The handler loader and runner (R/handler.R): function mode however the function
# was made, script mode, init errors, and stack traces that start at the user's code (found by
# the marked eval() frame, not by counting frames, so they hold in every R version).


task_root <- function(files) {
  dir <- tempfile("task-")
  dir.create(dir)
  for (name in names(files)) writeLines(files[[name]], file.path(dir, name))
  dir
}

load <- function(files, handler) {
  tryCatch(rt$load_handler(handler, task_root(files)), error = identity)
}

invoke <- function(h, event = list(), context = list(aws_request_id = "id-1")) {
  rt$run_user_code(function() h$run(event, context), h$outer_frame)
}

value_of <- function(h, event = list()) {
  outcome <- invoke(h, event)
  if (!outcome$ok) stop(outcome$report$errorMessage)
  outcome$value
}

init_type <- function(failure) if (inherits(failure, "runtime_init_failure")) failure$type else NA_character_

# --- Function mode, however the function was made ------------------------------------------------
test_that("function mode, however the handler was made: top-level assignment, assign(), a source()d file", {
  h <- load(list(app.R = "handler <- function(event, context) list(n = event$n + 1)"), "app.handler")
  expect_identical(value_of(h, list(n = 1)), list(n = 2))

  # assign(): function mode, called with the event
  h <- load(list(app.R = 'assign("handler", function(event) paste("made by assign", event$who))'), "app.handler")
  expect_identical(value_of(h, list(who = "me")), "made by assign me")

  # source() resolves paths against the working directory, as on Lambda (the task root).
  root <- task_root(list(main.R = 'source("impl.R")', impl.R = "handler <- function(event, context) 'from impl'"))
  old_wd <- setwd(root)
  h <- tryCatch(rt$load_handler("main.handler", root), error = identity)
  setwd(old_wd)
  expect_identical(value_of(h), "from impl")
  rm("handler", envir = globalenv()) # where source() put it; the runtime loads one handler per process
})

test_that("function mode: the file is sourced once, state survives", {
  h <- load(list(app.R = c("runs <- 0", "handler <- function(event) { runs <<- runs + 1; runs }")), "app.handler")
  expect_equal(value_of(h), 1)
  expect_equal(value_of(h), 2)
})

test_that("a handler made by a call at top level, or through do.call(assign): function mode", {
  h <- load(list(app.R = c("make <- function(greeting) function(event) paste(greeting, event$who)", "handler <- make('hi')")), "app.handler")
  expect_identical(value_of(h, list(who = "Ada")), "hi Ada")
  h <- load(list(app.R = c("make <- function(greeting) function(event) paste(greeting, event$who)", "do.call('assign', list('handler', make('yo')))")),
            "app.handler")
  expect_identical(value_of(h, list(who = "Bo")), "yo Bo")
})

test_that("dotted file and function names", {
  h <- load(list(a.b.R = "my.fun <- function(event, context) 'dotted'"), "a.b.my.fun")
  expect_identical(value_of(h), "dotted")
})

# --- Script mode ---------------------------------------------------------------------------------
test_that("script mode: not run at init, run per event with event and context; an invisible NULL answers OK", {
  root <- task_root(list(test.r = c("writeLines('ran', file.path(Sys.getenv('SCRIPT_MARK_DIR'), 'ran'))",
                                    "list(name = event$name, id = context$aws_request_id)")))
  Sys.setenv(SCRIPT_MARK_DIR = root)
  h <- rt$load_handler("test.handler", root)
  expect_false(file.exists(file.path(root, "ran")))
  expect_identical(value_of(h, list(name = "Ada")), list(name = "Ada", id = "id-1"))
  h <- load(list(test.r = "cat(names(event))"), "test.handler")
  expect_identical(value_of(h), "OK")
})

test_that("script mode: a file that reads event at top level, its own functions aside; _HANDLER's function part unused", {
  h <- load(list(test.r = c("f <- function(event) event$n * 2", "f(event)")), "test.typo")
  expect_identical(value_of(h, list(n = 4)), 8)
})

# --- Init errors ---------------------------------------------------------------------------------
test_that("a file without the handler function: Runtime.NoSuchHandler, listing what the file made", {
  # other functions but not the handler
  failure <- load(list(app.R = c("helper <- function(x) x", "main <- function(event) 1")), "app.handler")
  expect_identical(init_type(failure), "Runtime.NoSuchHandler")
  expect_match(conditionMessage(failure), "defines helper, main but no function 'handler'")
  # assign() of another name
  failure <- load(list(app.R = 'assign("other", function(event) 1)'), "app.handler")
  expect_identical(init_type(failure), "Runtime.NoSuchHandler")
  expect_match(conditionMessage(failure), "defines other but no function 'handler'")
  # a typo in the handler's name, the function made by a call
  failure <- load(list(app.R = c("make <- function(g) function(event) g", "hanlder <- make(1)")), "app.handler")
  expect_identical(init_type(failure), "Runtime.NoSuchHandler")
  expect_match(conditionMessage(failure), "defines hanlder, make but no function 'handler'")
  # a file that makes no function and reads no event: not a script
  failure <- load(list(app.R = "x <- 1"), "app.handler")
  expect_identical(init_type(failure), "Runtime.NoSuchHandler")
  expect_match(conditionMessage(failure), "defines nothing but no function 'handler'")
})

test_that("a name that is not a function: Runtime.NoSuchHandler", {
  failure <- load(list(app.R = "handler <- 42"), "app.handler")
  expect_identical(init_type(failure), "Runtime.NoSuchHandler")
  expect_match(conditionMessage(failure), "is a numeric")
})

test_that("a syntax error", {
  failure <- load(list(app.R = "handler <- function(event) {"), "app.handler")
  expect_identical(init_type(failure), "Runtime.UserCodeSyntaxError")
})

test_that("an error while sourcing keeps its class and points at the line; init failures are conditions made by errorCondition()", {
  failure <- load(list(app.R = c("x <- 1", "stop(errorCondition('bad config', class = 'configError'))", "handler <- function(event) 1")), "app.handler")
  expect_identical(init_type(failure), "configError")
  expect_identical(failure$report$stackTrace[[length(failure$report$stackTrace)]],
                   "app.R:2 stop(errorCondition(\"bad config\", class = \"configError\"))")
  expect_equal(inherits(failure, c("runtime_init_failure", "error", "condition"), which = TRUE)[[1L]], 1L)
})

test_that("a malformed _HANDLER: Runtime.ConfigInvalid; a missing file: Runtime.NoSuchHandler", {
  failure <- load(list(app.R = "handler <- function(event) 1"), "app")
  expect_identical(init_type(failure), "Runtime.ConfigInvalid")
  failure <- load(list(other.R = "f <- function(event) 1"), "missing.handler")
  expect_identical(init_type(failure), "Runtime.NoSuchHandler")
})

# --- Stack traces --------------------------------------------------------------------------------
test_that("function mode: the stack starts at the user's code; a condition class is the errorType; a builtin's error names the call", {
  h <- load(list(fail.R = c("helper <- function(x) {", "  if (x > 1) stop(\"too big: \", x)", "  x", "}",
                            "handler <- function(event, context) {",
                            "  if (isTRUE(event$custom)) stop(errorCondition('bad input', class = 'validationError'))",
                            "  if (isTRUE(event$builtin)) return(sqrt('a'))",
                            "  helper(event$n)", "}")), "fail.handler")
  outcome <- invoke(h, list(n = 5))
  expect_identical(as.character(outcome$report$stackTrace), c('fail.R:2 stop("too big: ", x)', "fail.R:8 helper(event$n)", "handler(event, context)"))
  outcome <- invoke(h, list(custom = TRUE))
  expect_identical(outcome$report$errorType, "validationError")
  outcome <- invoke(h, list(builtin = TRUE))
  expect_identical(as.character(outcome$report$stackTrace), c("sqrt(\"a\")", "handler(event, context)"))
})

test_that("script mode: the stack ends with the statement", {
  h <- load(list(test.r = c("x <- 1", "if (isTRUE(event$fail)) stop(\"script failed\")", "x")), "test.handler")
  outcome <- invoke(h, list(fail = TRUE))
  expect_identical(as.character(outcome$report$stackTrace), c('stop("script failed")', 'test.r:2 if (isTRUE(event$fail)) stop("script failed")'))
})

test_that("an error before any user code has no user frames", {
  outcome <- rt$run_user_code(function() stop("runtime's own"))
  expect_length(outcome$report$stackTrace, 0L)
})
